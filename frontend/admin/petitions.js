// The petitions list, and one petition's page with its tabs.

import { innerQuotes } from "../js/fill.js";
import { get, post } from "./api.js";
import { dashboardTab, progress } from "./dashboard.js";
import { h, scrolling, show } from "./dom.js";
import { editView, noContactWarning } from "./edit.js";
import { exportTab } from "./export.js";
import { moment, number } from "./format.js";
import { lang, t } from "./i18n.js";
import { keyCard } from "./keyfile.js";
import { queueTab } from "./moderation.js";
import { paperTab } from "./paper.js";
import { act } from "./router.js";
import { me } from "./session.js";
import { signaturesTab } from "./signatures.js";

const openPill = (p) => {
  const state = p.is_open ? "open" : "closed";
  return h("span", { class: `pill ${state}` }, t(`petitions.${state}`));
};

export async function petitionsView() {
  const { petitions } = await get("/petitions");
  const rows = petitions.map((p) =>
    h("tr", {},
      h("td", {}, h("a", { href: `#/p/${encodeURIComponent(p.slug)}/dashboard` }, p.title),
        h("div", { class: "muted" }, p.slug)),
      h("td", {}, openPill(p)),
      h("td", { class: "num" }, number(p.counts.verified)),
      h("td", { class: "num" }, number(p.counts.pending)),
      h("td", {}, progress(p.counts.verified, p.goal)),
    ));
  show(
    h("div", { class: "heading" }, h("h1", {}, t("petitions.title")),
      me.partner ? null : h("a", { class: "button", href: "#/p/new/edit" }, t("petitions.new"))),
    petitions.length
      ? scrolling(t("petitions.title"), h("table", { class: "table" },
        h("thead", {}, h("tr", {}, h("th", {}, t("petitions.petition")), h("th", {}, t("petitions.status")),
          h("th", { class: "num" }, t("states.verified")), h("th", { class: "num" }, t("states.pending")),
          h("th", {}, t("petitions.goal")))),
        h("tbody", {}, rows)))
      : h("p", { class: "empty" }, t("petitions.none")),
  );
}

// "media" is a page of its own (media.js, routed in main.js); the others draw in the tab's body.
const TABS = ["dashboard", "signatures", "review", "comments", "export", "paper", "media", "edit"];

/** Open or close the petition; closing, which turns signers away, is asked about first. */
function openOrClose(p) {
  const closing = p.status === "open";
  // The text puts the title in quotation marks: the title's own become the inner ones.
  if (closing && !window.confirm(t("petitions.confirm_close", { title: innerQuotes(lang, p.title) }))) return;
  act(() => post(`/petitions/${encodeURIComponent(p.slug)}/${closing ? "close" : "open"}`),
    t(closing ? "petitions.closed_done" : "petitions.opened_done"));
}

export async function petitionView(slug, tab) {
  if (slug === "new") return editView(null);
  const board = await get(`/petitions/${encodeURIComponent(slug)}/dashboard`);
  const p = board.petition;
  const organiser = !me.partner;
  const tabs = TABS.filter((key) => organiser || ["dashboard", "signatures", "export"].includes(key));
  const badge = { review: board.queues.review, comments: board.queues.comments };
  const header = h("div", { class: "heading" },
    h("div", {}, h("h1", {}, p.title),
      h("p", { class: "muted" }, `/p/${p.slug} · `,
        openPill(p),
        p.closes_at ? ` · ${t("petitions.closes", { when: moment(p.closes_at) })}` : "")),
    organiser
      ? h("button", { type: "button", class: p.status === "open" ? "danger" : "", onclick: () => openOrClose(p) },
        t(p.status === "open" ? "petitions.close" : "petitions.open_again"))
      : null);
  const nav = h("nav", { class: "tabs", "aria-label": t("petitions.sections") }, tabs.map((key) =>
    h("a", { href: `#/p/${encodeURIComponent(slug)}/${key}`, class: key === tab ? "active" : "",
      "aria-current": key === tab ? "page" : null },
    t(`tabs.${key}`), badge[key] ? h("span", { class: "count" }, badge[key]) : null)));
  const body = h("div", { class: "tab-body" });
  // Only a sealed petition's personal data needs the key: not its dashboard or its texts.
  const sealed = p.seal_key && ["signatures", "review", "comments", "export"].includes(tab) ? keyCard(p) : null;
  // No way to reach the organisers: the privacy notice and the emails need one (edit.js,
  // whose form says it beside the field itself).
  show(header, organiser && tab !== "edit" ? noContactWarning(p) : null, nav, sealed, body);
  const render = {
    dashboard: () => dashboardTab(board),
    signatures: () => signaturesTab(p),
    review: () => queueTab(p, "review"),
    comments: () => queueTab(p, "comments"),
    export: () => exportTab(p),
    paper: () => paperTab(p),
    edit: () => editView(p),
  }[tab] || (() => dashboardTab(board));
  body.replaceChildren(await render());
}
