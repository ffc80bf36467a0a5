// Partners: who may embed the petition, and the snippets to give them.

import { get, post, query } from "./api.js";
import { h, show, toast } from "./dom.js";
import { LANGUAGES, PATTERNS } from "./facts.js";
import { lang, localeFile, t, textIn } from "./i18n.js";
import { act, route } from "./router.js";

// The petition whose snippets are shown, and their language: kept while the page is open.
const chosen = { petition: "", language: "" };

export async function partnersView() {
  const { petitions } = await get("/petitions");
  const petition = petitions.find((p) => p.slug === chosen.petition) || petitions[0];
  const language = chosen.language || lang;
  const { partners } = await get(`/partners${query({ petition: petition?.slug })}`);
  const words = await localeFile(); // the strict-policy snippet's label is in its "reach" block
  const picker = h("select", { onchange: (e) => { chosen.petition = e.target.value; route(); } },
    petitions.map((p) => h("option", { value: p.slug, selected: p.slug === petition?.slug }, p.title)));
  const languagePicker = h("select", { onchange: (e) => { chosen.language = e.target.value; route(); } },
    Object.entries(LANGUAGES).map(([code, name]) => h("option", { value: code, selected: code === language }, name)));
  const form = h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const origins = data.get("origins").split(/[\s,]+/).filter(Boolean);
    act(() => post("/partners", { code: data.get("code"), name: data.get("name"), allowed_origins: origins }),
      t("partners.added"));
  } },
  h("label", {}, t("partners.code"), h("input", { name: "code", required: true, pattern: PATTERNS.partner_code, placeholder: "kz-union" })),
  h("label", {}, t("partners.name"), h("input", { name: "name", required: true, placeholder: t("partners.name_placeholder") })),
  h("label", { class: "wide" }, t("partners.origins"), h("input", { name: "origins", placeholder: "https://union.example.org" })),
  h("button", { type: "submit" }, t("partners.add")));
  show(
    h("div", { class: "heading" }, h("h1", {}, t("partners.title")),
      petitions.length ? h("div", { class: "pickers" },
        h("label", { class: "inline" }, t("partners.snippets_for"), picker),
        h("label", { class: "inline" }, t("partners.snippet_language"), languagePicker)) : null),
    partners.length ? null : h("p", { class: "empty" }, t("partners.none")),
    partners.map((partner) => h("article", { class: "card partner" },
      h("h2", {}, partner.name, " ", h("code", {}, partner.code)),
      h("p", { class: "muted" }, partner.allowed_origins.length
        ? t("partners.allowed", { origins: partner.allowed_origins.join(", ") }) : t("partners.no_origins")),
      partner.embed ? [
        snippet(t("partners.widget"), widgetSnippet(serviceOrigin(partner), partner.code, petition.slug, language)),
        snippet(t("partners.iframe"), frameSnippet(serviceOrigin(partner), partner.code, petition, language)),
        snippet(textIn(words, "reach.strict_frame"), strictFrameSnippet(serviceOrigin(partner), partner.code, petition, language)),
      ] : null)),
    h("div", { class: "card" }, h("h2", {}, t("partners.add_title")), form));
}

/** The service's public address, from the server's own snippet: it knows its configured base URL. */
const serviceOrigin = (partner) =>
  /src="([^"]+)\/widget\.js"/.exec(partner.embed.widget)?.[1] ?? location.origin;

const attribute = (text) => text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/** The widget snippet of the README and docs/organising.md. */
const widgetSnippet = (base, code, slug, language) =>
  `<script src="${base}/widget.js" defer></script>\n` +
  `<undersign-petition petition="${slug}" lang="${language}" source="${code}"></undersign-petition>`;

/**
 * The frame snippet of the README and docs/organising.md: a title for screen readers (the
 * petition's, in the frame's language), and the few lines that let the frame grow to fit the
 * form (frontend/js/embed.js).
 */
function frameSnippet(base, code, petition, language) {
  const title = petition.texts[language]?.title || petition.title;
  return [
    `<iframe src="${base}/embed/${petition.slug}?lang=${language}&source=${code}"`,
    `        title="${attribute(title)}" style="width: 100%; border: 0"></iframe>`,
    "<script>",
    'addEventListener("message", (event) => {',
    `  if (event.origin !== "${base}" || event.data?.type !== "undersign:resize") return;`,
    '  for (const frame of document.querySelectorAll("iframe"))',
    '    if (frame.contentWindow === event.source) frame.style.height = event.data.height + "px";',
    "});",
    "</script>",
  ].join("\n");
}

/**
 * The frame snippet for a page that allows no inline script or style (its CSP says
 * `script-src 'self' <service>; style-src 'self'`): our hosted frame.js fits the frame, and
 * the frame itself has attributes only.
 */
function strictFrameSnippet(base, code, petition, language) {
  const title = petition.texts[language]?.title || petition.title;
  return [
    `<script src="${base}/frame.js" defer></script>`,
    `<iframe src="${base}/embed/${petition.slug}?lang=${language}&source=${code}" title="${attribute(title)}"></iframe>`,
  ].join("\n");
}

function snippet(label, code) {
  const area = h("textarea", { readonly: true, rows: code.split("\n").length + 1, class: "code", "aria-label": label }, code);
  return h("div", { class: "snippet" },
    h("div", { class: "snippet-head" }, h("strong", {}, label),
      h("button", { type: "button", class: "small quiet", onclick: async () => {
        area.select();
        try { await navigator.clipboard.writeText(code); toast(t("partners.copied")); } catch { toast(t("partners.press_copy")); }
      } }, t("partners.copy"))),
    area);
}
