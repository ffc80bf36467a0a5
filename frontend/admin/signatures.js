// A petition's signatures: search, the table, and invalidating or restoring one.

import { get, post, query } from "./api.js";
import { h, scrolling, toast } from "./dom.js";
import { moment, number, place } from "./format.js";
import { t, tn } from "./i18n.js";
import { act, route } from "./router.js";
import { isSealed, openKeys, openSignature } from "./sealing.js";
import { me } from "./session.js";

const STATES = ["all", "verified", "pending", "invalidated", "withdrawn"];
const PER_PAGE = 50;
// A sealed petition's names are searched here, in what this tab loads and opens: the server
// cannot read them. Its most recent signatures, up to this many, are loaded for a search.
const SEARCHED_AT_MOST = 2000;
const LOAD_PAGE = 200; // the API's largest page

const search = { q: "", state: "all", source: "", since: "", until: "", page: 1 };

export async function signaturesTab(p) {
  const form = h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    for (const key of ["q", "state", "source", "since", "until"]) search[key] = data.get(key);
    search.page = 1;
    route();
  } },
  h("label", { class: "wide" }, t("signatures.query"), h("input", { name: "q", value: search.q, type: "search",
    placeholder: t("signatures.query_placeholder") })),
  h("label", {}, t("signatures.state"), h("select", { name: "state" }, STATES.map((s) =>
    h("option", { value: s, selected: s === search.state }, t(`states.${s}`))))),
  me.partner ? null : h("label", {}, t("signatures.source"), h("input", { name: "source", value: search.source,
    placeholder: t("export.source_placeholder") })),
  h("label", {}, t("signatures.since"), h("input", { name: "since", type: "date", value: search.since })),
  h("label", {}, t("signatures.until"), h("input", { name: "until", type: "date", value: search.until })),
  h("button", { type: "submit" }, t("signatures.search")));
  const params = { ...search, per_page: PER_PAGE };
  if (me.partner) delete params.source;
  // An address is found by the server even when sealed (it keeps a keyed hash of each); a name is not.
  const byNameHere = Boolean(p.seal_key && search.q && !search.q.includes("@"));
  if (byNameHere && !openKeys().length) return h("div", {}, form, h("p", { class: "error" }, t("sealing.key_to_search")));
  const found = byNameHere
    ? await searchLoaded(p, params)
    : await get(`/petitions/${encodeURIComponent(p.slug)}/signatures${query(params)}`);
  const signatures = found.signatures.map(openSignature);
  return h("div", {}, form,
    h("p", { class: "muted", role: "status" }, found.searched === undefined
      ? tn("signatures.found", found.total)
      : tn("signatures.found_loaded", found.total, { loaded: number(found.searched) })),
    signatureTable(signatures, (s) => signatureActions(s)),
    byNameHere ? null : pager(found));
}

/** Load a sealed petition's signatures (the other filters applied by the server), open and search them here. */
async function searchLoaded(p, params) {
  const rest = { ...params, q: "", per_page: LOAD_PAGE };
  const loaded = [];
  for (let page = 1; loaded.length < SEARCHED_AT_MOST; page += 1) {
    const batch = await get(`/petitions/${encodeURIComponent(p.slug)}/signatures${query({ ...rest, page })}`);
    loaded.push(...batch.signatures);
    if (page * LOAD_PAGE >= batch.total) break;
  }
  const wanted = params.q.toLocaleLowerCase();
  const matches = loaded.map(openSignature)
    .filter((s) => !isSealed(s.name) && (s.name || "").toLocaleLowerCase().includes(wanted));
  return { signatures: matches, total: matches.length, searched: loaded.length };
}

function pager(found) {
  const pages = Math.max(1, Math.ceil(found.total / found.per_page));
  if (pages === 1) return null;
  const go = (n) => () => { search.page = n; route(); };
  return h("div", { class: "pager" },
    h("button", { type: "button", class: "quiet", disabled: found.page <= 1, onclick: go(found.page - 1) }, t("signatures.previous")),
    h("span", {}, t("signatures.page", { page: found.page, pages })),
    h("button", { type: "button", class: "quiet", disabled: found.page >= pages, onclick: go(found.page + 1) }, t("signatures.next")));
}

/** A value as the table shows it: a sealed one this tab cannot open says so. */
export const shown = (value) =>
  isSealed(value) ? h("span", { class: "sealed-value" }, t("sealing.sealed")) : value ?? "";

/**
 * The signatures as a table, each row with its `actions`. With a `selection` (a Set of ids),
 * each row gets a box to tick and the heading one that ticks them all, for acting on many.
 */
export function signatureTable(signatures, actions, selection = null) {
  if (!signatures.length) return h("p", { class: "empty" }, t("signatures.none"));
  const columns = ["name", "email", "place", "source", "state", "signed"].map((key) => t(`signatures.${key}`));
  const boxes = [];
  const tick = (s) => {
    const box = h("input", { type: "checkbox", "aria-label": t("moderation.select_one", { name: plainName(s) }),
      onchange: (event) => { if (event.target.checked) selection.add(s.id); else selection.delete(s.id); } });
    boxes.push(box);
    return h("td", { class: "pick" }, box);
  };
  const all = selection ? h("input", { type: "checkbox", "aria-label": t("moderation.select_all"),
    onchange: (event) => {
      for (const [n, box] of boxes.entries()) {
        box.checked = event.target.checked;
        if (box.checked) selection.add(signatures[n].id); else selection.delete(signatures[n].id);
      }
    } }) : null;
  return scrolling(t("tabs.signatures"), h("table", { class: "table signatures" },
    h("thead", {}, h("tr", {}, selection ? h("th", { class: "pick" }, all) : null,
      columns.map((text) => h("th", {}, text)), h("th", {}, h("span", { class: "visually-hidden" }, t("signatures.actions"))))),
    h("tbody", {}, signatures.map((s) => h("tr", { "data-id": s.id },
      selection ? tick(s) : null,
      h("td", {}, s.personal_data ? shown(s.name) : h("span", { class: "muted" }, t("signatures.no_consent")),
        s.comment ? h("div", { class: "comment" }, isSealed(s.comment) ? shown(s.comment) : `“${s.comment}”`) : null),
      h("td", { class: "email" }, shown(s.email)),
      h("td", {}, isSealed(s.city) ? [shown(s.city), s.country ? `, ${s.country}` : ""] : place(s)),
      h("td", {}, s.source ?? h("span", { class: "muted" }, t("signatures.direct"))),
      h("td", {}, h("span", { class: `pill ${s.state}` }, t(`states.${s.state}`)),
        s.flagged ? h("span", { class: "pill flagged" }, t("signatures.flagged")) : null,
        s.invalidation_reason ? h("div", { class: "muted" }, s.invalidation_reason) : null),
      h("td", {}, moment(s.signed_at)),
      h("td", { class: "actions" }, actions(s)))))));
}

const plainName = (s) => (s.personal_data && !isSealed(s.name) ? s.name : `#${s.id}`);

/** Ask for the reason a decision needs (kept in the audit log); null when none is given. */
export function reasonFor(question) {
  const reason = window.prompt(question);
  if (reason === null) return null;
  if (!reason.trim()) { toast(t("signatures.reason_required")); return null; }
  return reason.trim();
}

export function signatureActions(s) {
  if (me.partner) return null;
  if (s.state === "invalidated") {
    return h("button", { type: "button", class: "small", onclick: () => {
      const reason = reasonFor(t("signatures.why_restore"));
      if (reason) act(() => post(`/signatures/${s.id}/restore`, { reason }), t("signatures.restored"));
    } }, t("signatures.restore"));
  }
  if (s.state === "withdrawn") return null;
  return h("button", { type: "button", class: "small danger", onclick: () => {
    const reason = reasonFor(t("signatures.why_invalidate"));
    if (reason) act(() => post(`/signatures/${s.id}/invalidate`, { reason }), t("signatures.invalidated"));
  } }, t("signatures.invalidate"));
}
