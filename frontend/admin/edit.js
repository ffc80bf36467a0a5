// Creating a petition, and editing every setting it has: texts and languages, goal and closing
// time, who the organisers are and how to reach them, the hand-over list's default, the wall,
// the thank-you page, how long personal data is kept, and sealing (keymaker.js makes the key).

import { call, post } from "./api.js";
import { h, show } from "./dom.js";
import { LANGUAGES, PATTERNS } from "./facts.js";
import { day } from "./format.js";
import { t } from "./i18n.js";
import { costs, fingerprint, keyMaker } from "./keymaker.js";
import { act } from "./router.js";

const LOCALES = Object.keys(LANGUAGES);
const TEXTS = ["title", "summary", "body", "target"];

/** Whether the service keeps a retention setting: the field appears only if it does. */
let retentionKnown = null;
async function acceptsRetention(p) {
  if (p) return "retention_days" in p;
  if (retentionKnown === null) {
    const described = await fetch("/api/openapi.json", { cache: "no-cache" }).then((r) => r.json()).catch(() => ({}));
    const schemas = described.components?.schemas ?? {};
    retentionKnown = Object.values(schemas).some((schema) => schema.properties?.slug && schema.properties?.retention_days);
  }
  return retentionKnown;
}

/** A warning for a petition with no way to reach its organisers (the privacy notice names them). */
export function noContactWarning(p, link = true) {
  if (p.organiser_contact) return null;
  return h("p", { class: "warning", role: "note" }, t("settings.no_contact"), " ",
    link ? h("a", { href: `#/p/${encodeURIComponent(p.slug)}/edit` }, t("settings.add_contact")) : null);
}

/** A value with its objects' keys in order, to compare what the form holds with what was saved. */
const canonical = (value) => (value && typeof value === "object"
  ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical(value[key])]))
  : value ?? null);

/** Whether the form's `value` is what the petition has: a closing time to the minute, as the form shows it. */
function same(key, value, saved) {
  if (key === "closes_at") return (value ?? "").slice(0, 16) === (saved ?? "").slice(0, 16);
  return JSON.stringify(canonical(value)) === JSON.stringify(canonical(saved));
}

/** What the retention setting does, and for a petition with a closing time, the day it happens. */
function retentionHint(p) {
  const when = p?.erased_at ? ["erased_on", p.erased_at] : p?.erases_at ? ["erases_on", p.erases_at] : null;
  return when ? `${t("settings.retention_hint")} ${t(`settings.${when[0]}`, { date: day(when[1]) })}`
    : t("settings.retention_hint");
}

const field = (label, input, hint) =>
  h("label", {}, label, input, hint ? h("span", { class: "hint" }, hint) : null);
const tick = (label, input, hint) =>
  h("div", { class: "tick" }, h("label", { class: "inline" }, input, label),
    hint ? h("span", { class: "hint muted" }, hint) : null);

export async function editView(p) {
  const texts = p ? p.texts : {};
  const retention = await acceptsRetention(p);
  let sealKey = null; // a new petition's public key, once its file was made and opened here

  // Organisers: the privacy notice and every email name them; without a contact, say so.
  const contact = h("input", { name: "organiser_contact", maxlength: 200, value: p?.organiser_contact ?? "",
    autocomplete: "email", spellcheck: "false" });
  const warning = h("p", { class: "warning", role: "note" }, t("settings.no_contact"));
  const warn = () => (warning.hidden = Boolean(contact.value.trim()));
  contact.addEventListener("input", warn);
  warn();

  // Languages: a language ticked off is hidden, and its texts go when the form is saved.
  const offered = (lc) => (p ? lc in texts : true);
  const textSets = Object.fromEntries(LOCALES.map((lc) => [lc,
    h("fieldset", { "data-locale": lc, hidden: !offered(lc) },
      // Each legend names its language in that language, and says so to a screen reader.
      h("legend", { lang: lc }, LANGUAGES[lc]),
      h("label", {}, t("edit.title"), h("input", { name: `${lc}.title`, value: texts[lc]?.title ?? "" })),
      h("label", {}, t("edit.summary"), h("input", { name: `${lc}.summary`, value: texts[lc]?.summary ?? "" })),
      h("label", {}, t("edit.target"), h("input", { name: `${lc}.target`, value: texts[lc]?.target ?? "" })),
      h("label", {}, t("edit.body"), h("textarea", { name: `${lc}.body`, rows: 5 }, texts[lc]?.body ?? "")))]));
  const main = h("select", { name: "default_locale", onchange: () => {
    const box = languageBoxes[main.value];
    box.checked = true;
    textSets[main.value].hidden = false;
  } }, LOCALES.map((lc) => h("option", { value: lc, selected: lc === (p?.default_locale ?? "en") }, LANGUAGES[lc])));
  const languageBoxes = Object.fromEntries(LOCALES.map((lc) => [lc, h("input", { type: "checkbox",
    name: "offered", value: lc, checked: offered(lc), onchange: (event) => {
      if (lc === main.value) event.target.checked = true; // the main language stays
      textSets[lc].hidden = !event.target.checked;
    } })]));

  // Sealing: chosen when the petition is made; the key is made and checked in this browser.
  const message = h("p", { class: "error", role: "alert" });
  const sealing = p ? null : newSeal((key) => {
    sealKey = key;
    if (key) message.textContent = "";
  });
  // A refusal to create is about the sealing steps: redoing one of them puts it away.
  sealing?.element.addEventListener("change", () => (message.textContent = ""));

  const form = h("form", { class: "edit", onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const body = { texts: {}, default_locale: data.get("default_locale") };
    for (const lc of LOCALES) {
      if (!languageBoxes[lc].checked) continue;
      const fields = {};
      for (const f of TEXTS) {
        const value = data.get(`${lc}.${f}`).trim();
        if (value) fields[f] = value;
      }
      if (Object.keys(fields).length) body.texts[lc] = fields;
    }
    body.goal = data.get("goal") ? Number(data.get("goal")) : null;
    body.closes_at = data.get("closes_at") ? `${data.get("closes_at")}:00+00:00` : null;
    body.organiser_name = data.get("organiser_name").trim() || null;
    body.organiser_contact = data.get("organiser_contact").trim() || null;
    body.named_default = data.get("named_default") === "on";
    body.wall_mode = data.get("wall_mode");
    body.thanks_url = data.get("thanks_url").trim() || null;
    if (retention && data.get("retention_days")) body.retention_days = Number(data.get("retention_days"));
    message.textContent = "";
    if (p) {
      // Only what changed: an editor's token may change the texts, the rest is an owner's.
      const changed = Object.fromEntries(Object.entries(body).filter(([key, value]) => !same(key, value, p[key])));
      act(() => call("PATCH", `/petitions/${encodeURIComponent(p.slug)}`, changed), t("edit.saved"));
      return;
    }
    if (sealing.chosen()) {
      if (!sealing.understood() || !sealKey) {
        message.textContent = t("settings.not_ready");
        return;
      }
      body.seal_key = sealKey; // the public key: the private one never leaves this page
    }
    body.slug = data.get("slug").trim();
    act(async () => {
      await post("/petitions", body);
      location.hash = `#/p/${encodeURIComponent(body.slug)}/dashboard`;
    }, t("edit.created"));
  } },
  p ? null : field(t("edit.slug"), h("input", { name: "slug", required: true,
    pattern: PATTERNS.slug, placeholder: "save-the-plant" }), t("edit.slug_hint")),

  h("fieldset", {}, h("legend", {}, t("settings.organisers")),
    field(t("settings.organiser_name"), h("input", { name: "organiser_name", maxlength: 120,
      value: p?.organiser_name ?? "", autocomplete: "organization" }), t("settings.organiser_name_hint")),
    field(t("settings.organiser_contact"), contact, t("settings.organiser_contact_hint")),
    warning),

  h("fieldset", {}, h("legend", {}, t("settings.signing")),
    h("div", { class: "row" },
      field(t("edit.goal"), h("input", { name: "goal", type: "number", min: 1, value: p?.goal ?? "" })),
      field(t("edit.closes"), h("input", { name: "closes_at", type: "datetime-local",
        value: p?.closes_at ? p.closes_at.slice(0, 16) : "" })),
      // Retention (issue 20, item 3): shown once the service keeps the setting.
      retention ? field(t("settings.retention_days"), h("input", { name: "retention_days", type: "number",
        min: 1, max: 3650, placeholder: "90", value: p?.retention_days ?? "" }), retentionHint(p)) : null),
    tick(t("settings.named_default"), h("input", { type: "checkbox", name: "named_default",
      checked: Boolean(p?.named_default) }), t("settings.named_default_hint")),
    h("fieldset", { class: "choice" }, h("legend", {}, t("settings.wall_mode")),
      ["approve", "show"].map((mode) => h("label", { class: "inline" },
        h("input", { type: "radio", name: "wall_mode", value: mode,
          checked: (p?.wall_mode ?? "approve") === mode }), t(`settings.wall_${mode}`)))),
    field(t("settings.thanks_url"), h("input", { name: "thanks_url", type: "url", maxlength: 500,
      placeholder: "https://", value: p?.thanks_url ?? "" }), t("settings.thanks_url_hint"))),

  h("fieldset", {}, h("legend", {}, t("settings.languages")),
    h("div", { class: "row" }, field(t("edit.main_language"), main)),
    h("fieldset", { class: "choice" }, h("legend", {}, t("settings.offered")),
      LOCALES.map((lc) => h("label", { class: "inline" }, languageBoxes[lc], h("span", { lang: lc }, LANGUAGES[lc]))))),
  LOCALES.map((lc) => textSets[lc]),
  sealing ? sealing.element : null,
  message,
  h("button", { type: "submit" }, p ? t("edit.save") : t("edit.create")));

  if (p) return h("div", { class: "settings" }, form, p.seal_key ? rotation(p) : h("p", { class: "muted" }, t("settings.not_sealed")));
  show(h("div", { class: "heading" }, h("h1", {}, t("edit.new_petition"))), form);
  return form;
}

/** The sealing fieldset of a new petition: the choice, what it costs, and the key's making. */
function newSeal(ready) {
  const steps = h("div", { class: "seal-steps", hidden: true });
  const understood = h("input", { type: "checkbox", "aria-describedby": "seal-costs" });
  const chosen = h("input", { type: "checkbox", name: "sealed", onchange: () => (steps.hidden = !chosen.checked) });
  steps.append(
    h("p", {}, t("settings.seal_about")),
    costs("seal-costs"),
    h("label", { class: "inline" }, understood, t("settings.understood")),
    keyMaker(() => document.querySelector("input[name=slug]")?.value.trim(), ready));
  return {
    element: h("fieldset", { class: "sealing" }, h("legend", {}, t("settings.sealing")),
      h("label", { class: "inline" }, chosen, t("settings.seal")), steps),
    chosen: () => chosen.checked,
    understood: () => understood.checked,
  };
}

/** A sealed petition's key, and changing it: new signatures are sealed to the new key. */
function rotation(p) {
  let key = null;
  const rotate = h("button", { type: "button", hidden: true, onclick: () => {
    if (!key) return;
    act(() => call("PATCH", `/petitions/${encodeURIComponent(p.slug)}`, { seal_key: key }), t("settings.rotated"));
  } }, t("settings.rotate"));
  return h("section", { class: "card sealed-card", "aria-labelledby": "rotate-title" },
    h("h2", { id: "rotate-title" }, t("settings.rotate_title")),
    h("p", {}, t("settings.sealed_to", { key: fingerprint(p.seal_key) })),
    h("p", {}, t("settings.rotate_about")),
    h("p", { class: "warning" }, t("settings.cost_key")),
    keyMaker(p.slug, (made) => {
      key = made;
      rotate.hidden = !made;
    }),
    rotate);
}
