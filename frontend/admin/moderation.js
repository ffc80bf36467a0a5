// The moderation queues: signatures from crowded addresses, and comments for the wall.
// A busy day fills both, so each entry can be ticked and many decided with one press.

import { get, post } from "./api.js";
import { h, toast } from "./dom.js";
import { moment, place } from "./format.js";
import { t, tn } from "./i18n.js";
import { act } from "./router.js";
import { isSealed, openSignature } from "./sealing.js";
import { reasonFor, shown, signatureActions, signatureTable } from "./signatures.js";

export async function queueTab(p, which) {
  const found = await get(`/petitions/${encodeURIComponent(p.slug)}/${which}?per_page=100`);
  const signatures = found.signatures.map(openSignature);
  return which === "review" ? reviewQueue(signatures) : commentQueue(p, signatures);
}

/** Run `decide` on every ticked entry; say so when none is ticked, and what was done when done. */
function forSelected(selection, decide) {
  return () => {
    if (!selection.size) { toast(t("moderation.none_selected")); return; }
    decide([...selection]);
  };
}

function reviewQueue(signatures) {
  const selection = new Set();
  // One request per signature: each decision is its own audit-log entry, as when taken singly.
  const keepMany = (ids) => act(async () => {
    for (const id of ids) await post(`/signatures/${id}/keep`);
  }, tn("moderation.kept_many", ids.length));
  const invalidateMany = (ids) => {
    const reason = reasonFor(tn("moderation.why_invalidate_many", ids.length));
    if (reason) act(async () => {
      for (const id of ids) await post(`/signatures/${id}/invalidate`, { reason });
    }, tn("moderation.invalidated_many", ids.length));
  };
  return h("div", {},
    h("p", { class: "muted" }, t("moderation.review_about")),
    signatures.length ? h("div", { class: "actions bulk" },
      h("button", { type: "button", onclick: forSelected(selection, keepMany) }, t("moderation.keep_selected")),
      h("button", { type: "button", class: "danger", onclick: forSelected(selection, invalidateMany) },
        t("moderation.invalidate_selected"))) : null,
    signatureTable(signatures, (s) => [
      h("button", { type: "button", class: "small", onclick: () =>
        act(() => post(`/signatures/${s.id}/keep`), t("moderation.kept")) }, t("moderation.keep")),
      signatureActions(s),
    ], selection));
}

function commentQueue(p, signatures) {
  if (!signatures.length) return h("p", { class: "empty" }, t("moderation.no_comments"));
  const selection = new Set();
  const decideMany = (decision, done) => (ids) => act(() =>
    post(`/petitions/${encodeURIComponent(p.slug)}/comments`, { ids, decision }), tn(done, ids.length));
  const boxes = [];
  const all = h("input", { type: "checkbox", onchange: (event) => {
    for (const box of boxes) {
      box.checked = event.target.checked;
      box.dispatchEvent(new Event("change"));
    }
  } });
  return h("div", { class: "comments" },
    h("div", { class: "actions bulk" },
      h("label", { class: "inline select-all" }, all, t("moderation.select_all")),
      h("button", { type: "button", onclick: forSelected(selection, decideMany("approved", "moderation.approved_many")) },
        t("moderation.approve_selected")),
      h("button", { type: "button", class: "danger", onclick: forSelected(selection, decideMany("rejected", "moderation.rejected_many")) },
        t("moderation.reject_selected"))),
    signatures.map((s) => {
      const box = h("input", { type: "checkbox", onchange: (event) => {
        if (event.target.checked) selection.add(s.id); else selection.delete(s.id);
      } });
      boxes.push(box);
      const who = isSealed(s.name) ? shown(s.name) : s.name;
      return h("article", { class: "card comment-card", "data-id": s.id },
        h("label", { class: "inline pick" }, box, t("moderation.select_one", { name: isSealed(s.name) ? `#${s.id}` : s.name })),
        s.comment ? h("blockquote", {}, shown(s.comment)) : h("p", { class: "muted" }, t("moderation.no_message")),
        h("p", { class: "muted" }, who, ` · ${place(s)} · `, moment(s.verified_at),
          s.public ? "" : ` · ${t("moderation.private")}`),
        h("div", { class: "actions" },
          h("button", { type: "button", onclick: () => act(() =>
            post(`/signatures/${s.id}/comment`, { decision: "approved" }), t("moderation.approved")) }, t("moderation.approve")),
          h("button", { type: "button", class: "danger", onclick: () => act(() =>
            post(`/signatures/${s.id}/comment`, { decision: "rejected" }), t("moderation.rejected")) }, t("moderation.reject"))));
    }));
}
