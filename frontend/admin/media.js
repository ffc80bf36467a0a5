// A petition's picture (upload, describe, remove) and its campaign updates (post, delete),
// at #/p/SLUG/media, for organisers. The words are the "news" block of /locales/{lang}.json.

import { call, get, post } from "./api.js";
import { h, show } from "./dom.js";
import { moment } from "./format.js";
import { LANGUAGES } from "./facts.js";
import { lang, localeFile } from "./i18n.js";
import { act } from "./router.js";

/** The words of this page in the page's language. */
const words = async () => (await localeFile()).news;

const base = (slug) => `/petitions/${encodeURIComponent(slug)}`;

/** The picture now (null when there is none): a 404 here is an answer, not a failure. */
async function currentPicture(slug) {
  try {
    return await get(`${base(slug)}/image`);
  } catch {
    return null;
  }
}

function pictureCard(t, slug, picture) {
  const status = h("p", { class: "muted", "aria-live": "polite" });
  const upload = h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    const file = new FormData(event.target).get("file");
    status.textContent = t.uploading;
    // The file itself is the body (api.js sends a Blob as it is, with its own type).
    act(() => call("PUT", `${base(slug)}/image`, file), t.uploaded).then(() => (status.textContent = ""));
  } },
  h("label", { class: "wide" }, t.file,
    h("input", { name: "file", type: "file", accept: "image/jpeg,image/png,image/webp", required: true })),
  h("button", { type: "submit" }, picture ? t.replace : t.upload));
  const shown = picture
    // Styled through CSSOM (dom.js), which the page's policy allows: admin.css is not this module's.
    ? h("figure", { class: "media-picture", style: "margin: 0 0 1rem" },
      h("img", { src: picture.url, alt: picture.alt[lang] || t.current, width: picture.width, height: picture.height,
        style: "display: block; max-width: 100%; max-height: 24rem; width: auto; height: auto; border-radius: 6px" }),
      h("figcaption", { class: "muted" }, `${picture.width}×${picture.height} · ${moment(picture.uploaded_at)}`))
    : h("p", {}, t.no_picture, " ", h("a", { href: `/p/${encodeURIComponent(slug)}/card.png?lang=${lang}`, target: "_blank" }, t.see_card));
  const remove = picture
    ? h("button", { type: "button", class: "danger", onclick: () => {
      if (window.confirm(t.confirm_remove_picture)) act(() => call("DELETE", `${base(slug)}/image`), t.picture_removed);
    } }, t.remove_picture)
    : null;
  return h("div", { class: "card" }, h("h2", {}, t.picture_heading), h("p", { class: "muted" }, t.picture_hint),
    shown, upload, status, remove, picture ? altForm(t, slug, picture) : null);
}

function altForm(t, slug, picture) {
  return h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const alt = Object.fromEntries(Object.keys(LANGUAGES).map((code) => [code, data.get(code).trim()]));
    act(() => call("PATCH", `${base(slug)}/image`, { alt }), t.described);
  } },
  h("h3", { class: "wide" }, t.alt_heading),
  h("p", { class: "muted wide" }, t.alt_hint),
  Object.entries(LANGUAGES).map(([code, name]) => h("label", { class: "wide" }, name,
    h("input", { name: code, lang: code, maxlength: 300, value: picture.alt[code] || "" }))),
  h("button", { type: "submit" }, t.save));
}

function postForm(t, slug) {
  return h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const texts = {};
    for (const code of Object.keys(LANGUAGES)) {
      const title = data.get(`${code}-title`).trim();
      const body = data.get(`${code}-body`).trim();
      if (title || body) texts[code] = { title, body };
    }
    act(() => post(`${base(slug)}/news`, { texts }), t.posted);
  } },
  h("p", { class: "muted wide" }, t.post_hint),
  Object.entries(LANGUAGES).map(([code, name]) => h("fieldset", { class: "wide", lang: code },
    h("legend", {}, name),
    h("label", { class: "wide" }, t.title, h("input", { name: `${code}-title`, maxlength: 200 })),
    h("label", { class: "wide" }, t.body, h("textarea", { name: `${code}-body`, rows: 4, maxlength: 20000 })))),
  h("button", { type: "submit" }, t.post));
}

function postsList(t, slug, posts) {
  if (!posts.length) return h("p", { class: "empty" }, t.none);
  const inLanguage = (p) => p.texts[lang] || Object.values(p.texts)[0];
  return h("ul", { class: "media-posts" }, posts.map((p) => h("li", {},
    h("strong", {}, inLanguage(p).title), " ",
    h("span", { class: "muted" }, `${moment(p.published_at)} · ${Object.keys(p.texts).join(", ")}`), " ",
    // Named with its post's title: a list of buttons all called "Delete" says nothing to a screen reader.
    h("button", { type: "button", class: "danger", "aria-label": `${t.delete}: ${inLanguage(p).title}`, onclick: () => {
      if (window.confirm(t.confirm_delete)) act(() => call("DELETE", `${base(slug)}/news/${p.id}`), t.deleted);
    } }, t.delete))));
}

/** The page at #/p/SLUG/media: the petition's title, a way back, its picture and its updates. */
export async function mediaView(slug) {
  const [{ petition }, t, picture, { news }] = await Promise.all([
    get(`${base(slug)}/dashboard`), words(), currentPicture(slug), get(`${base(slug)}/news`),
  ]);
  show(
    h("div", { class: "heading" }, h("div", {}, h("h1", {}, petition.title),
      h("p", { class: "muted" }, h("a", { href: `#/p/${encodeURIComponent(slug)}/dashboard` }, `/p/${slug}`),
        ` · ${t.tab}`))),
    pictureCard(t, slug, picture),
    h("div", { class: "card" }, h("h2", {}, t.heading), postsList(t, slug, news),
      h("h3", {}, t.new_post), postForm(t, slug)),
  );
}
