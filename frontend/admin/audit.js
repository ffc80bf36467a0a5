// The audit log: who did what, when, and to what.

import { get } from "./api.js";
import { h, show } from "./dom.js";
import { moment } from "./format.js";

export async function auditView() {
  const { entries } = await get("/audit?per_page=200");
  const detail = (d) => Object.entries(d).filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") : v}`).join(" · ");
  show(
    h("div", { class: "heading" }, h("h1", {}, "Audit log")),
    entries.length ? h("table", { class: "table" },
      h("thead", {}, h("tr", {}, ["When (UTC)", "Who", "What", "On", "Rows", "Details"].map((t) => h("th", {}, t)))),
      h("tbody", {}, entries.map((e) => h("tr", {},
        h("td", { class: "nowrap" }, moment(e.at)), h("td", { class: "nowrap" }, e.actor),
        h("td", {}, h("code", {}, e.action)),
        h("td", {}, e.target ?? ""), h("td", { class: "num" }, e.rows ?? ""), h("td", {}, detail(e.detail))))))
      : h("p", { class: "empty" }, "Nothing has happened yet."));
}
