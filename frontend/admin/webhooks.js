// Webhooks: endpoints that receive each newly verified signature.

import { call, get, post } from "./api.js";
import { h, scrolling, show } from "./dom.js";
import { day } from "./format.js";
import { t } from "./i18n.js";
import { act } from "./router.js";

export async function webhooksView() {
  const [{ webhooks }, { partners }, { petitions }] = await Promise.all([
    get("/webhooks"), get("/partners"), get("/petitions")]);
  const owners = [
    ...partners.map((p) => h("option", { value: `partner:${p.code}` }, t("webhooks.partner_option", { name: p.name }))),
    ...petitions.map((p) => h("option", { value: `petition:${p.slug}` }, t("webhooks.petition_option", { title: p.title }))),
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
      h("strong", {}, t("webhooks.secret"), " "), h("code", {}, made.secret),
      h("p", { class: "muted" }, t("webhooks.secret_about"))));
  } },
  h("label", { class: "wide" }, t("webhooks.url"), h("input", { name: "url", type: "url", required: true, placeholder: "https://crm.example.org/undersign" })),
  h("label", {}, t("webhooks.for"), h("select", { name: "owner", required: true }, owners)),
  h("button", { type: "submit" }, t("webhooks.add")));
  show(
    h("div", { class: "heading" }, h("h1", {}, t("webhooks.title"))),
    h("p", { class: "muted" }, t("webhooks.about")),
    secretBox,
    webhooks.length ? scrolling(t("webhooks.title"), h("table", { class: "table" },
      h("thead", {}, h("tr", {}, h("th", {}, t("webhooks.endpoint")), h("th", {}, t("webhooks.for")),
        h("th", {}, t("webhooks.since")), h("th", {}, h("span", { class: "visually-hidden" }, t("signatures.actions"))))),
      h("tbody", {}, webhooks.map((w) => h("tr", {},
        h("td", {}, h("code", {}, w.url)),
        h("td", {}, w.partner ? t("webhooks.for_partner", { code: w.partner }) : t("webhooks.for_petition", { slug: w.petition })),
        h("td", {}, day(w.created_at)),
        h("td", { class: "actions" }, h("button", { type: "button", class: "small danger", onclick: () =>
          act(() => call("DELETE", `/webhooks/${w.id}`), t("webhooks.removed")) }, t("webhooks.remove"))))))))
      : h("p", { class: "empty" }, t("webhooks.none")),
    h("div", { class: "card" }, h("h2", {}, t("webhooks.add_title")), form));
}
