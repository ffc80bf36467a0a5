// A petition's signatures: search, the table, and invalidating or restoring one.

import { get, post, query } from "./api.js";
import { h, toast } from "./dom.js";
import { moment, number, place } from "./format.js";
import { act, route } from "./router.js";
import { me } from "./session.js";

const STATES = ["all", "verified", "pending", "invalidated", "withdrawn"];

const search = { q: "", state: "all", source: "", since: "", until: "", page: 1 };

export async function signaturesTab(p) {
  const form = h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    for (const key of ["q", "state", "source", "since", "until"]) search[key] = data.get(key);
    search.page = 1;
    route();
  } },
  h("label", { class: "wide" }, "Name or email", h("input", { name: "q", value: search.q, type: "search",
    placeholder: "part of a name, or a whole address" })),
  h("label", {}, "State", h("select", { name: "state" }, STATES.map((s) =>
    h("option", { value: s, selected: s === search.state }, s)))),
  me.partner ? null : h("label", {}, "Source", h("input", { name: "source", value: search.source,
    placeholder: "partner code" })),
  h("label", {}, "From", h("input", { name: "since", type: "date", value: search.since })),
  h("label", {}, "To", h("input", { name: "until", type: "date", value: search.until })),
  h("button", { type: "submit" }, "Search"));
  const params = { ...search, per_page: 50 };
  if (me.partner) delete params.source;
  const found = await get(`/petitions/${encodeURIComponent(p.slug)}/signatures${query(params)}`);
  return h("div", {}, form,
    h("p", { class: "muted" }, `${number(found.total)} found`),
    signatureTable(found.signatures, (s) => signatureActions(s)),
    pager(found));
}

function pager(found) {
  const pages = Math.max(1, Math.ceil(found.total / found.per_page));
  if (pages === 1) return null;
  const go = (n) => () => { search.page = n; route(); };
  return h("div", { class: "pager" },
    h("button", { type: "button", class: "quiet", disabled: found.page <= 1, onclick: go(found.page - 1) }, "Previous"),
    h("span", {}, `Page ${found.page} of ${pages}`),
    h("button", { type: "button", class: "quiet", disabled: found.page >= pages, onclick: go(found.page + 1) }, "Next"));
}

export function signatureTable(signatures, actions) {
  if (!signatures.length) return h("p", { class: "empty" }, "No signatures here.");
  return h("table", { class: "table signatures" },
    h("thead", {}, h("tr", {}, ["Name", "Email", "Place", "Source", "State", "Signed", ""].map((t) =>
      h("th", {}, t)))),
    h("tbody", {}, signatures.map((s) => h("tr", { "data-id": s.id },
      h("td", {}, s.personal_data ? s.name : h("span", { class: "muted" }, "(no consent)"),
        s.comment ? h("div", { class: "comment" }, `“${s.comment}”`) : null),
      h("td", {}, s.email ?? ""),
      h("td", {}, place(s)),
      h("td", {}, s.source ?? h("span", { class: "muted" }, "direct")),
      h("td", {}, h("span", { class: `pill ${s.state}` }, s.state), s.flagged ? h("span", { class: "pill flagged" }, "flagged") : null,
        s.invalidation_reason ? h("div", { class: "muted" }, s.invalidation_reason) : null),
      h("td", {}, moment(s.signed_at)),
      h("td", { class: "actions" }, actions(s))))));
}

function reasonFor(verb) {
  const reason = window.prompt(`Why ${verb} this signature? (kept in the audit log)`);
  if (reason === null) return null;
  if (!reason.trim()) { toast("A reason is required."); return null; }
  return reason.trim();
}

export function signatureActions(s) {
  if (me.partner) return null;
  if (s.state === "invalidated") {
    return h("button", { type: "button", class: "small", onclick: () => {
      const reason = reasonFor("restore");
      if (reason) act(() => post(`/signatures/${s.id}/restore`, { reason }), "Signature restored.");
    } }, "Restore");
  }
  if (s.state === "withdrawn") return null;
  return h("button", { type: "button", class: "small danger", onclick: () => {
    const reason = reasonFor("invalidate");
    if (reason) act(() => post(`/signatures/${s.id}/invalidate`, { reason }), "Signature invalidated.");
  } }, "Invalidate");
}
