// Creating a petition, and editing one's texts, goal and closing time.

import { call, post } from "./api.js";
import { h, show } from "./dom.js";
import { LANGUAGES, PATTERNS } from "./facts.js";
import { t } from "./i18n.js";
import { act } from "./router.js";

const LOCALES = Object.keys(LANGUAGES);

export function editView(p) {
  const texts = p ? p.texts : {};
  const form = h("form", { class: "edit", onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const body = { texts: {}, default_locale: data.get("default_locale") };
    for (const lc of LOCALES) {
      const fields = {};
      for (const f of ["title", "summary", "body", "target"]) {
        const value = data.get(`${lc}.${f}`).trim();
        if (value) fields[f] = value;
      }
      if (Object.keys(fields).length) body.texts[lc] = fields;
    }
    body.goal = data.get("goal") ? Number(data.get("goal")) : null;
    body.closes_at = data.get("closes_at") ? `${data.get("closes_at")}:00+00:00` : null;
    if (p) {
      act(() => call("PATCH", `/petitions/${encodeURIComponent(p.slug)}`, body), t("edit.saved"));
    } else {
      body.slug = data.get("slug").trim();
      act(async () => {
        await post("/petitions", body);
        location.hash = `#/p/${encodeURIComponent(body.slug)}/dashboard`;
      }, t("edit.created"));
    }
  } },
  p ? null : h("label", {}, t("edit.slug"), h("input", { name: "slug", required: true,
    pattern: PATTERNS.slug, placeholder: "save-the-plant" }),
  h("span", { class: "hint" }, t("edit.slug_hint"))),
  h("div", { class: "row" },
    h("label", {}, t("edit.goal"), h("input", { name: "goal", type: "number", min: 1, value: p?.goal ?? "" })),
    h("label", {}, t("edit.closes"), h("input", { name: "closes_at", type: "datetime-local",
      value: p?.closes_at ? p.closes_at.slice(0, 16) : "" })),
    h("label", {}, t("edit.main_language"), h("select", { name: "default_locale" }, LOCALES.map((lc) =>
      h("option", { value: lc, selected: lc === (p?.default_locale ?? "en") }, LANGUAGES[lc]))))),
  // Each fieldset's legend names its language in that language, and says so to a screen reader.
  LOCALES.map((lc) => h("fieldset", { "data-locale": lc }, h("legend", { lang: lc }, LANGUAGES[lc]),
    h("label", {}, t("edit.title"), h("input", { name: `${lc}.title`, value: texts[lc]?.title ?? "" })),
    h("label", {}, t("edit.summary"), h("input", { name: `${lc}.summary`, value: texts[lc]?.summary ?? "" })),
    h("label", {}, t("edit.target"), h("input", { name: `${lc}.target`, value: texts[lc]?.target ?? "" })),
    h("label", {}, t("edit.body"), h("textarea", { name: `${lc}.body`, rows: 5 }, texts[lc]?.body ?? "")))),
  h("button", { type: "submit" }, p ? t("edit.save") : t("edit.create")));
  if (p) return form;
  show(h("div", { class: "heading" }, h("h1", {}, t("edit.new_petition"))), form);
  return form;
}
