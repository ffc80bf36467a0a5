// The team: who holds a token, with which role and for which petitions; make one (it is
// shown once, with a button to copy it) and revoke one. Owners of every petition only: the
// link is hidden for other tokens and the API refuses them. Its words are the "admin_team" block
// of the locale files.

import { call, get, post } from "./api.js";
import { h, scrolling, show, toast } from "./dom.js";
import { moment } from "./format.js";
import { localeFile, textIn } from "./i18n.js";
import { act, route } from "./router.js";

const ROLES = ["owner", "editor", "moderator", "viewer"];
let words = {};
// The token just made: shown on the next drawing of this view only, then forgotten.
let made = null;

async function useWords() {
  words = (await localeFile()).admin_team;
}

const w = (path, vars = {}) => textIn(words, path, vars);

/** Name the navigation link in the page's language; main.js calls it after each change. */
export async function labelTeamNav() {
  await useWords();
  for (const el of document.querySelectorAll("[data-team-i18n]")) el.textContent = w(el.dataset.teamI18n);
}

export async function tokensView() {
  await useWords();
  const [{ tokens }, { petitions }] = await Promise.all([get("/tokens"), get("/petitions")]);
  const shown = made;
  made = null;
  const titles = Object.fromEntries(petitions.map((p) => [p.slug, p.title]));
  show(
    h("div", { class: "heading" }, h("h1", {}, w("title"))),
    h("p", { class: "muted" }, w("intro")),
    shown ? madeCard(shown) : null,
    tokens.length ? table(tokens, titles) : h("p", { class: "empty" }, w("none")),
    h("div", { class: "card" }, h("h2", {}, w("new_title")), form(petitions)),
    h("div", { class: "card" }, h("h2", {}, w("roles_title")),
      h("dl", { class: "roles" }, ROLES.flatMap((role) => [h("dt", {}, w(`roles.${role}`)), h("dd", {}, w(`can.${role}`))]))),
  );
  if (shown) document.getElementById("made-token").focus();
}

function table(tokens, titles) {
  const columns = ["name", "role", "petitions", "created", "used", "state"].map((key) => h("th", {}, w(`columns.${key}`)));
  return scrolling(w("title"), h("table", { class: "table" },
    h("thead", {}, h("tr", {}, columns, h("th", {}, h("span", { class: "visually-hidden" }, w("columns.actions"))))),
    h("tbody", {}, tokens.map((token) => h("tr", {},
      h("td", { class: "nowrap" }, token.name),
      h("td", {}, token.partner ? w("partner", { partner: token.partner }) : w(`roles.${token.role}`)),
      h("td", {}, token.petitions ? token.petitions.map((slug) => titles[slug] || slug).join(", ") : w("every_petition")),
      h("td", { class: "nowrap" }, moment(token.created_at)),
      h("td", { class: "nowrap" }, token.last_used_at ? moment(token.last_used_at) : w("never")),
      h("td", {}, token.revoked_at ? w("revoked_on", { when: moment(token.revoked_at) }) : w("active")),
      h("td", {}, token.revoked_at ? null : h("button", {
        type: "button", class: "small quiet", "aria-label": w("revoke_named", { name: token.name }),
        onclick: () => {
          if (window.confirm(w("confirm_revoke", { name: token.name }))) {
            act(() => call("DELETE", `/tokens/${encodeURIComponent(token.name)}`), w("revoked"));
          }
        } }, w("revoke"))))))));
}

function form(petitions) {
  const boxes = petitions.map((p) => h("label", { class: "inline" },
    h("input", { type: "checkbox", name: "petitions", value: p.slug }), p.title));
  return h("form", { class: "settings", onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const body = { name: data.get("name").trim(), role: data.get("role"), petitions: data.getAll("petitions") };
    try {
      const answer = await post("/tokens", body);
      made = { name: answer.name, token: answer.token };
      await route();
    } catch (error) {
      toast(error.message);
    }
  } },
  h("label", {}, w("name"), h("input", { name: "name", required: true, maxlength: 80, pattern: "[\\w.@\\-]{1,80}", autocomplete: "off", "aria-describedby": "token-name-hint" })),
  h("span", { class: "hint", id: "token-name-hint" }, w("name_hint")),
  h("label", {}, w("role"), h("select", { name: "role" },
    ROLES.map((role) => h("option", { value: role, selected: role === "editor" }, w(`roles.${role}`))))),
  h("span", { class: "hint" }, w("role_hint")),
  h("fieldset", {}, h("legend", {}, w("petitions")),
    h("p", { class: "hint" }, w("petitions_hint")),
    boxes.length ? boxes : h("p", { class: "muted" }, w("no_petitions"))),
  h("div", {}, h("button", { type: "submit" }, w("create"))));
}

function madeCard({ name, token }) {
  const field = h("input", { id: "made-token", readonly: true, value: token, class: "code", spellcheck: "false",
    "aria-describedby": "made-token-once" });
  return h("div", { class: "card warning", role: "status" },
    h("h2", {}, w("made_title", { name })),
    h("p", { id: "made-token-once" }, w("made_once")),
    h("label", {}, w("token"), field),
    h("button", { type: "button", onclick: async () => {
      field.select();
      try { await navigator.clipboard.writeText(token); toast(w("copied")); } catch { toast(w("press_copy")); }
    } }, w("copy")));
}
