// Partners: who may embed the petition, and the snippets to give them.

import { get, post, query } from "./api.js";
import { h, show, toast } from "./dom.js";
import { act, route } from "./router.js";

let picked = ""; // the petition whose snippets are shown, kept while the page is open

export async function partnersView() {
  const { petitions } = await get("/petitions");
  const chosen = picked || petitions[0]?.slug || "";
  const { partners } = await get(`/partners${query({ petition: chosen })}`);
  const picker = h("select", { onchange: (e) => { picked = e.target.value; route(); } },
    petitions.map((p) => h("option", { value: p.slug, selected: p.slug === chosen }, p.title)));
  const form = h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const origins = data.get("origins").split(/[\s,]+/).filter(Boolean);
    act(() => post("/partners", { code: data.get("code"), name: data.get("name"), allowed_origins: origins }),
      "Partner added.");
  } },
  // "\\-", as in edit.js: the browser compiles `pattern` with the v flag.
  h("label", {}, "Code", h("input", { name: "code", required: true, pattern: "[a-z0-9\\-]{1,40}", placeholder: "kz-union" })),
  h("label", {}, "Name", h("input", { name: "name", required: true, placeholder: "Miners' union" })),
  h("label", { class: "wide" }, "Allowed origins", h("input", { name: "origins", placeholder: "https://union.example.org" })),
  h("button", { type: "submit" }, "Add partner"));
  show(
    h("div", { class: "heading" }, h("h1", {}, "Partners"),
      petitions.length ? h("label", { class: "inline" }, "Snippets for ", picker) : null),
    partners.length ? null : h("p", { class: "empty" }, "No partners yet."),
    partners.map((partner) => h("article", { class: "card partner" },
      h("h2", {}, partner.name, " ", h("code", {}, partner.code)),
      h("p", { class: "muted" }, partner.allowed_origins.length
        ? `Allowed origins: ${partner.allowed_origins.join(", ")}` : "No origins listed."),
      partner.embed ? [
        snippet("Widget (script)", partner.embed.widget),
        snippet("Without scripts (iframe)", partner.embed.iframe),
      ] : null)),
    h("div", { class: "card" }, h("h2", {}, "Add a partner"), form));
}

function snippet(label, code) {
  const area = h("textarea", { readonly: true, rows: code.split("\n").length + 1, class: "code" }, code);
  return h("div", { class: "snippet" },
    h("div", { class: "snippet-head" }, h("strong", {}, label),
      h("button", { type: "button", class: "small quiet", onclick: async () => {
        area.select();
        try { await navigator.clipboard.writeText(code); toast("Copied."); } catch { toast("Press Ctrl+C to copy."); }
      } }, "Copy")),
    area);
}
