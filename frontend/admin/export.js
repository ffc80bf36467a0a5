// Exporting signatures, and the printable list for the handover.

import { get, query, Unauthorised } from "./api.js";
import { h, toast } from "./dom.js";
import { LANGUAGES } from "./facts.js";
import { t, tn } from "./i18n.js";
import { open, openKeys } from "./sealing.js";
import { me, signOut } from "./session.js";

/**
 * Fetch a file for the organiser and say `done`, leaving the page as it is: the view is not
 * drawn again (as act() does), so the choices made in its forms stay for the next file.
 */
async function fetchFile(action, done) {
  try {
    await action();
    if (done) toast(done);
  } catch (error) {
    if (error instanceof Unauthorised) signOut(t("sign_in.expired"));
    else toast(error.message);
  }
}

async function download(path, filename) {
  const response = await get(path);
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * The hand-over list as the server rendered it, with a sealed petition's values opened here:
 * the server marks each one (an element with data-sealed) since it cannot open them itself.
 * Answers the document's HTML and how many values stayed sealed.
 */
function openSealedList(html) {
  const page = new DOMParser().parseFromString(html, "text/html");
  let closed = 0;
  for (const el of page.querySelectorAll("[data-sealed]")) {
    const value = open(el.dataset.sealed);
    if (value === el.dataset.sealed) closed += 1;
    else {
      el.textContent = value;
      el.removeAttribute("data-sealed");
      el.classList.remove("sealed");
    }
  }
  return { html: `<!doctype html>\n${page.documentElement.outerHTML}`, closed };
}

async function openHandover(p, lang) {
  if (p.seal_key && !openKeys().length) {
    toast(t("sealing.key_first"));
    return;
  }
  const response = await get(`/petitions/${encodeURIComponent(p.slug)}/handover${query({ lang })}`);
  let html = await response.text();
  if (p.seal_key) {
    const opened = openSealedList(html);
    html = opened.html;
    if (opened.closed) toast(tn("sealing.some_closed", opened.closed));
  }
  const url = URL.createObjectURL(new Blob([html], { type: "text/html" }));
  window.open(url, "_blank");
}

let chosenLanguage;

/** The hand-over list's language: any the petition is written in, its first chosen at first. */
function handoverLanguage(p) {
  const written = Object.keys(LANGUAGES).filter((code) => code in (p.texts ?? {}));
  chosenLanguage = h("select", { name: "lang" }, written.map((code) =>
    h("option", { value: code, lang: code, selected: code === p.default_locale }, LANGUAGES[code])));
  return h("label", { style: "flex: 0 1 16rem" }, t("export.handover_language"), " ", chosenLanguage);
}

export function exportTab(p) {
  const form = h("form", { class: "filters export", onsubmit: (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(event.target));
    // "For Excel": the same CSV after a byte-order mark, without which Excel misreads UTF-8.
    if (data.format === "csv-excel") Object.assign(data, { format: "csv", bom: "1" });
    const stamp = new Date().toISOString().slice(0, 10);
    fetchFile(() => download(`/petitions/${encodeURIComponent(p.slug)}/export${query(data)}`,
      `${p.slug}-${stamp}.${data.format}`), t("export.downloaded"));
  } },
  h("label", {}, t("export.format"), h("select", { name: "format" },
    [["csv", "csv"], ["csv-excel", "csv_excel"], ["xlsx", "xlsx"], ["jsonl", "jsonl"]].map(([format, label]) =>
      h("option", { value: format }, t(`export.${label}`))))),
  h("label", {}, t("export.signatures"), h("select", { name: "status" },
    ["verified", "pending", "all"].map((s) => h("option", { value: s }, t(`states.${s}`))))),
  me.partner ? null : h("label", {}, t("export.source"), h("input", { name: "source", placeholder: t("export.source_placeholder") })),
  h("label", {}, t("export.since"), h("input", { name: "since", type: "date" })),
  h("label", {}, t("export.until"), h("input", { name: "until", type: "date" })),
  h("button", { type: "submit" }, t("export.download")));
  const handover = me.partner ? null : h("div", { class: "card" },
    h("h2", {}, t("export.handover_title")),
    h("p", {}, t("export.handover_about")),
    p.seal_key ? h("p", { class: "muted" }, t("export.handover_sealed")) : null,
    h("form", { class: "filters handover", onsubmit: (event) => {
      event.preventDefault();
      fetchFile(() => openHandover(p, chosenLanguage.value));
    } },
    handoverLanguage(p),
    h("button", { type: "submit" }, t("export.handover_open"))));
  return h("div", {},
    h("div", { class: "card" }, h("h2", {}, t("export.title")),
      h("p", { class: "muted" }, t("export.about")),
      p.seal_key ? h("p", { class: "muted" }, t("export.sealed_note")) : null,
      form),
    handover);
}
