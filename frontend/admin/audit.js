// The audit log: who did what, when, and to what. Actions and their details are shown as the
// log records them (codes and field names, like the API's), in every language.

import { get } from "./api.js";
import { h, scrolling, show } from "./dom.js";
import { moment } from "./format.js";
import { t } from "./i18n.js";

export async function auditView() {
  const { entries } = await get("/audit?per_page=200");
  const detail = (d) => Object.entries(d).filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") : v}`).join(" · ");
  const columns = ["when", "who", "what", "on", "rows", "details"].map((key) => t(`audit.${key}`));
  show(
    h("div", { class: "heading" }, h("h1", {}, t("audit.title"))),
    entries.length ? scrolling(t("audit.title"), h("table", { class: "table" },
      h("thead", {}, h("tr", {}, columns.map((text) => h("th", {}, text)))),
      h("tbody", {}, entries.map((e) => h("tr", {},
        h("td", { class: "nowrap" }, moment(e.at)), h("td", { class: "nowrap" }, e.actor),
        h("td", {}, h("code", {}, e.action)),
        h("td", {}, e.target ?? ""), h("td", { class: "num" }, e.rows ?? ""), h("td", {}, h("code", { class: "detail" }, detail(e.detail))))))))
      : h("p", { class: "empty" }, t("audit.empty")));
}
