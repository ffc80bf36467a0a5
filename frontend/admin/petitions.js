// The petitions list, and one petition's page with its tabs.

import { get, post } from "./api.js";
import { dashboardTab, progress } from "./dashboard.js";
import { h, show } from "./dom.js";
import { editView } from "./edit.js";
import { exportTab } from "./export.js";
import { moment, number } from "./format.js";
import { queueTab } from "./moderation.js";
import { act } from "./router.js";
import { me } from "./session.js";
import { signaturesTab } from "./signatures.js";

const openPill = (p) => {
  const state = p.is_open ? "open" : "closed";
  return h("span", { class: `pill ${state}` }, state);
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
    h("div", { class: "heading" }, h("h1", {}, "Petitions"),
      me.partner ? null : h("a", { class: "button", href: "#/p/new/edit" }, "New petition")),
    petitions.length
      ? h("table", { class: "table" },
        h("thead", {}, h("tr", {}, h("th", {}, "Petition"), h("th", {}, "Status"),
          h("th", { class: "num" }, "Verified"), h("th", { class: "num" }, "Pending"),
          h("th", {}, "Goal"))),
        h("tbody", {}, rows))
      : h("p", { class: "empty" }, "No petitions yet."),
  );
}

const TABS = [
  ["dashboard", "Dashboard"],
  ["signatures", "Signatures"],
  ["review", "Review"],
  ["comments", "Comments"],
  ["export", "Export"],
  ["edit", "Edit"],
];

export async function petitionView(slug, tab) {
  if (slug === "new") return editView(null);
  const board = await get(`/petitions/${encodeURIComponent(slug)}/dashboard`);
  const p = board.petition;
  const organiser = !me.partner;
  const tabs = TABS.filter(([key]) => organiser || ["dashboard", "signatures", "export"].includes(key));
  const badge = { review: board.queues.review, comments: board.queues.comments };
  const header = h("div", { class: "heading" },
    h("div", {}, h("h1", {}, p.title),
      h("p", { class: "muted" }, `/p/${p.slug} · `,
        openPill(p),
        p.closes_at ? ` · closes ${moment(p.closes_at)} UTC` : "")),
    organiser
      ? h("button", {
        type: "button",
        class: p.status === "open" ? "danger" : "",
        onclick: () => act(() => post(`/petitions/${p.slug}/${p.status === "open" ? "close" : "open"}`),
          p.status === "open" ? "Petition closed." : "Petition opened."),
      }, p.status === "open" ? "Close petition" : "Open petition")
      : null);
  const nav = h("nav", { class: "tabs" }, tabs.map(([key, label]) =>
    h("a", { href: `#/p/${encodeURIComponent(slug)}/${key}`, class: key === tab ? "active" : "" },
      label, badge[key] ? h("span", { class: "count" }, badge[key]) : null)));
  const body = h("div", { class: "tab-body" });
  show(header, nav, body);
  const render = {
    dashboard: () => dashboardTab(board),
    signatures: () => signaturesTab(p),
    review: () => queueTab(p, "review"),
    comments: () => queueTab(p, "comments"),
    export: () => exportTab(p),
    edit: () => editView(p),
  }[tab] || (() => dashboardTab(board));
  body.replaceChildren(await render());
}
