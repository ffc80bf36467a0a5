// Webhooks: endpoints that receive each newly verified signature.

import { call, get, post } from "./api.js";
import { h, show } from "./dom.js";
import { day } from "./format.js";
import { act } from "./router.js";

export async function webhooksView() {
  const [{ webhooks }, { partners }, { petitions }] = await Promise.all([
    get("/webhooks"), get("/partners"), get("/petitions")]);
  const owners = [
    ...partners.map((p) => h("option", { value: `partner:${p.code}` }, `Partner: ${p.name}`)),
    ...petitions.map((p) => h("option", { value: `petition:${p.slug}` }, `Petition: ${p.title}`)),
  ];
  const secretBox = h("div", { id: "new-secret" });
  const form = h("form", { class: "filters", onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const [kind, owner] = data.get("owner").split(":");
    const made = await act(() => post("/webhooks", { url: data.get("url"), [kind]: owner }));
    if (!made) return;
    // After act() has redrawn the view: the secret is shown once, in the new page.
    document.getElementById("new-secret").replaceChildren(h("div", { class: "card notice" },
      h("strong", {}, "Signing secret (shown once): "), h("code", {}, made.secret),
      h("p", { class: "muted" }, "Each POST carries X-Undersign-Timestamp and X-Undersign-Signature: ",
        "sha256= HMAC of \"timestamp.body\" with this secret.")));
  } },
  h("label", { class: "wide" }, "Endpoint URL", h("input", { name: "url", type: "url", required: true, placeholder: "https://crm.example.org/undersign" })),
  h("label", {}, "For", h("select", { name: "owner", required: true }, owners)),
  h("button", { type: "submit" }, "Add webhook"));
  show(
    h("div", { class: "heading" }, h("h1", {}, "Webhooks")),
    h("p", { class: "muted" }, "Every newly verified signature is POSTed as JSON. A partner's endpoint ",
      "receives only what that partner collected, with personal data only for signers who agreed to be contacted."),
    secretBox,
    webhooks.length ? h("table", { class: "table" },
      h("thead", {}, h("tr", {}, h("th", {}, "Endpoint"), h("th", {}, "For"), h("th", {}, "Since"), h("th", {}, ""))),
      h("tbody", {}, webhooks.map((w) => h("tr", {},
        h("td", {}, h("code", {}, w.url)),
        h("td", {}, w.partner ? `partner ${w.partner}` : `petition ${w.petition}`),
        h("td", {}, day(w.created_at)),
        h("td", { class: "actions" }, h("button", { type: "button", class: "small danger", onclick: () =>
          act(() => call("DELETE", `/webhooks/${w.id}`), "Webhook removed.") }, "Remove"))))))
      : h("p", { class: "empty" }, "No webhooks yet."),
    h("div", { class: "card" }, h("h2", {}, "Add a webhook"), form));
}
