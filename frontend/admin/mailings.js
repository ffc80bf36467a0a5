// Updates to supporters: write one per language, preview it, send a test, send it, and
// watch it go out (the list is asked again every few seconds while one is sending).
// Its words are the "mailings.admin" block of the locale files.

import { get, post } from "./api.js";
import { h, scrolling, show, toast } from "./dom.js";
import { moment, number } from "./format.js";
import { LANGUAGES } from "./facts.js";
import { localeFile, textIn } from "./i18n.js";
import { act } from "./router.js";
import { me } from "./session.js";

const POLL_MS = 2000;
let words = {};

/** Take this module's words in the page's language. */
async function useWords() {
  words = (await localeFile()).mailings.admin;
}

/** The text at `path` ("columns.sent"), with {name} filled from `vars`. */
const m = (path, vars = {}) => textIn(words, path, vars);

/** Name the navigation link in the page's language; main.js calls it after each change. */
export async function labelNav() {
  await useWords();
  for (const el of document.querySelectorAll("[data-mailings-i18n]")) el.textContent = m(el.dataset.mailingsI18n);
}

/** #/updates: choose a petition; #/updates/SLUG: write to its supporters and follow what was sent. */
export async function mailingsView(slug) {
  await useWords();
  if (!slug) return choosePetition();
  const base = `/petitions/${encodeURIComponent(slug)}`;
  const petition = await get(base);
  const progress = h("div", { id: "updates-sent" });
  show(
    h("div", { class: "heading" }, h("div", {}, h("h1", {}, m("title")), h("p", { class: "muted" }, petition.title))),
    h("p", { class: "muted" }, m("intro", { lang: LANGUAGES[petition.default_locale] })),
    me.partner ? h("p", { class: "muted" }, m("partner_intro")) : null,
    composer(base, petition),
    h("h2", {}, m("sent_heading")),
    progress,
  );
  await follow(base, progress);
}

async function choosePetition() {
  const { petitions } = await get("/petitions");
  show(
    h("div", { class: "heading" }, h("h1", {}, m("title"))),
    h("p", {}, m("choose")),
    h("ul", {}, petitions.map((p) =>
      h("li", {}, h("a", { href: `#/updates/${encodeURIComponent(p.slug)}` }, p.title)))),
  );
}

/** The form: a subject and a Markdown body for each language, and the three actions. */
function composer(base, petition) {
  const preview = h("div", { class: "update-preview", "aria-live": "polite" });
  const languages = [petition.default_locale, ...Object.keys(LANGUAGES).filter((lc) => lc !== petition.default_locale)];
  const form = h("form", { class: "edit", onsubmit: (event) => event.preventDefault() },
    languages.map((lc) => h("fieldset", { lang: lc },
      h("legend", {}, LANGUAGES[lc]),
      h("label", {}, m("subject"), h("input", { name: `${lc}.subject`, maxlength: 200, required: lc === petition.default_locale })),
      h("label", {}, m("body"), h("textarea", { name: `${lc}.body`, rows: 6, class: "code", required: lc === petition.default_locale })))),
    h("div", { class: "send-row" },
      h("button", { type: "button", class: "quiet", onclick: () => showPreview(base, form, preview) }, m("preview")),
      h("label", {}, m("test_to"), h("input", { name: "test_to", type: "email", autocomplete: "email" })),
      h("button", { type: "button", class: "quiet", onclick: () => sendTest(base, form) }, m("send_test")),
      h("button", { type: "button", onclick: () => sendAll(base, form) }, m("send"))),
    preview);
  return form;
}

/** The update as the API takes it: the languages whose subject or body is written. */
function draft(form) {
  const data = new FormData(form);
  const update = { subject: {}, body: {} };
  for (const lc of Object.keys(LANGUAGES)) {
    const subject = data.get(`${lc}.subject`).trim();
    const body = data.get(`${lc}.body`).trim();
    if (!subject && !body) continue;
    update.subject[lc] = subject;
    update.body[lc] = body;
  }
  return update;
}

async function showPreview(base, form, into) {
  try {
    const { preview } = await post(`${base}/updates/preview`, draft(form));
    into.replaceChildren(...Object.entries(preview).map(([lc, shown]) => {
      // The HTML is what the server's Markdown renderer let through (sanitised there).
      const body = new DOMParser().parseFromString(shown.html, "text/html").body;
      return h("section", { class: "card", lang: lc },
        h("h3", {}, m("preview_heading", { lang: LANGUAGES[lc] })),
        h("p", {}, h("strong", {}, shown.subject)),
        h("div", {}, ...body.childNodes));
    }));
  } catch (error) {
    toast(error.message);
  }
}

async function sendTest(base, form) {
  const address = new FormData(form).get("test_to").trim();
  await act(() => post(`${base}/updates`, { ...draft(form), test_to: address || undefined }),
    m("test_queued", { address }));
}

async function sendAll(base, form) {
  // A plain confirmation: mail that is sent cannot be called back.
  if (!window.confirm(m("confirm"))) return;
  await act(() => post(`${base}/updates`, draft(form)), m("queued"));
}

/** Show what was sent, and ask again while any is still sending, as long as this view is shown. */
async function follow(base, into) {
  const shownAt = location.hash;
  const { updates } = await get(`${base}/updates`);
  into.replaceChildren(table(updates));
  if (updates.some((u) => u.status === "sending")) {
    setTimeout(() => { if (location.hash === shownAt && into.isConnected) follow(base, into).catch(() => {}); }, POLL_MS);
  }
}

function table(updates) {
  if (!updates.length) return h("p", { class: "empty" }, m("empty"));
  const columns = ["when", "subject", "status", "recipients", "sent", "failed", "pending", "unsubscribed"];
  const newest = updates[0];
  return h("div", {},
    // One short sentence for screen readers as the newest update goes out, not the whole table.
    h("p", { role: "status", class: "muted" },
      `${m(`status.${newest.status}`)} ${number(newest.sent)} / ${number(newest.recipients)}`),
    // Scrolls sideways on a phone rather than widening the page.
    scrolling(m("sent_heading"), h("table", { class: "table" },
      h("thead", {}, h("tr", {}, columns.map((c) =>
        h("th", { class: ["when", "subject", "status"].includes(c) ? "" : "num" }, m(`columns.${c}`))))),
      h("tbody", {}, updates.map((u) => h("tr", {},
        h("td", { class: "nowrap" }, moment(u.created_at)),
        h("td", {}, Object.values(u.subject)[0]),
        h("td", {}, u.test ? `${m("status.test")} · ${m(`status.${u.status}`)}` : m(`status.${u.status}`)),
        ["recipients", "sent", "failed", "pending", "unsubscribed"].map((c) =>
          h("td", { class: "num" }, number(u[c])))))))));
}
