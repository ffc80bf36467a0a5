// The moderation queues: signatures from crowded addresses, and comments for the wall.

import { get, post } from "./api.js";
import { h } from "./dom.js";
import { moment, place } from "./format.js";
import { act } from "./router.js";
import { signatureActions, signatureTable } from "./signatures.js";

export async function queueTab(p, which) {
  const found = await get(`/petitions/${encodeURIComponent(p.slug)}/${which}?per_page=100`);
  if (which === "review") {
    return h("div", {},
      h("p", { class: "muted" }, "Signatures from a network address that signed many times today. ",
        "Many real people share an address (a plant's network, a phone carrier): keep those, ",
        "invalidate what is clearly one person."),
      signatureTable(found.signatures, (s) => [
        h("button", { type: "button", class: "small", onclick: () =>
          act(() => post(`/signatures/${s.id}/keep`), "Kept.") }, "Keep"),
        signatureActions(s),
      ]));
  }
  if (!found.signatures.length) return h("p", { class: "empty" }, "No comments wait for moderation.");
  // Nothing reaches the wall unapproved, so a busy day's queue must be quick to clear.
  const ids = found.signatures.map((s) => s.id);
  const approveAll = h("button", { type: "button", onclick: () => act(() =>
    post(`/petitions/${encodeURIComponent(p.slug)}/comments`, { ids, decision: "approved" }),
  `${ids.length} approved for the wall.`) }, `Approve all ${ids.length} shown`);
  return h("div", { class: "comments" }, h("div", { class: "actions" }, approveAll), ...found.signatures.map((s) =>
    h("article", { class: "card comment-card", "data-id": s.id },
      s.comment ? h("blockquote", {}, s.comment) : h("p", { class: "muted" }, "No message: name, city and country only."),
      h("p", { class: "muted" }, `${s.name} · ${place(s)} · `,
        moment(s.verified_at), s.public ? "" : " · not shown on the wall (signer chose private)"),
      h("div", { class: "actions" },
        h("button", { type: "button", onclick: () => act(() =>
          post(`/signatures/${s.id}/comment`, { decision: "approved" }), "Comment approved.") }, "Approve"),
        h("button", { type: "button", class: "danger", onclick: () => act(() =>
          post(`/signatures/${s.id}/comment`, { decision: "rejected" }), "Comment rejected.") }, "Reject")))));
}
