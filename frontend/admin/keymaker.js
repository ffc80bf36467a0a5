// Making a sealed petition's key in this browser, for an organiser without a terminal: the
// passphrase, the key pair and its file (the format `undersign keys generate` writes, so
// `undersign decrypt` opens it), the download, and a check that the file saved opens with the
// passphrase typed again. Only the public key leaves this module, through `ready`.

import { h } from "./dom.js";
import { t } from "./i18n.js";
import { KeyFileError, makeKeyFile, publicKeyOf, readKeyFile } from "./sealing.js";

const SHORTEST = 12;

/** A key's short name: its first characters, as the key card shows it. */
export const fingerprint = (publicKey) => publicKey.slice(0, 10) + "…";

/** What sealing costs, said before anything is made; `id` names the list for aria-describedby. */
export const costs = (id) => h("div", { class: "costs", id },
  h("p", {}, h("strong", {}, t("settings.costs_title"))),
  h("ul", {}, h("li", {}, t("settings.cost_key")), h("li", {}, t("settings.cost_email")),
    h("li", {}, t("settings.cost_wall"))));

/**
 * The steps that make a key, as an element; `ready(publicKey)` is called once the saved file
 * was opened with its passphrase, `ready(null)` when a step is redone. `name` is the slug, for
 * the file's name (or a function answering it, for a slug still being typed).
 */
export function keyMaker(name, ready) {
  let made = null; // {publicKey, text} of the key made here
  let link = null; // the download's object URL
  const message = h("p", { class: "error", role: "alert" });
  const status = h("p", { class: "muted", role: "status" });
  const field = (label, input, hint) => h("label", {}, label, input, hint ? h("span", { class: "hint" }, hint) : null);
  const secret = () => h("input", { type: "password", autocomplete: "new-password", spellcheck: "false" });
  const first = secret();
  const again = secret();
  first.setAttribute("minlength", SHORTEST);

  const download = h("a", { class: "button" }, t("settings.download"));
  const saved = h("div", { class: "made", hidden: true }, h("p", {}, download), h("p", { class: "hint muted" }, t("settings.keep")));

  const savedFile = h("input", { type: "file", accept: ".json,application/json" });
  const savedSecret = h("input", { type: "password", autocomplete: "off", spellcheck: "false" });
  const check = h("div", { class: "check", hidden: true },
    h("h3", {}, t("settings.check_title")), h("p", {}, t("settings.check_intro")),
    field(t("settings.check_file"), savedFile), field(t("settings.check_passphrase"), savedSecret),
    h("button", { type: "button", onclick: () => checkFile() }, t("settings.check")));

  const say = (error, note = "") => {
    message.textContent = error;
    status.textContent = note;
  };

  async function make() {
    ready(null);
    const problem = first.value.length < SHORTEST ? ["too_short", first]
      : first.value !== again.value ? ["mismatch", again] : null;
    if (problem) {
      say(t(`settings.${problem[0]}`));
      problem[1].focus();
      return;
    }
    say("", t("settings.making"));
    makeButton.disabled = true;
    try {
      made = await makeKeyFile(first.value);
    } finally {
      makeButton.disabled = false;
    }
    first.value = again.value = ""; // typed once more, from memory, to check the file
    if (link) URL.revokeObjectURL(link);
    link = URL.createObjectURL(new Blob([made.text], { type: "application/json" }));
    download.href = link;
    const slug = (typeof name === "function" ? name() : name) || "petition";
    download.setAttribute("download", `undersign-${slug}.key.json`);
    saved.hidden = check.hidden = false;
    say("", "");
    download.focus();
  }

  async function checkFile() {
    ready(null);
    const chosen = savedFile.files[0];
    if (!made || !chosen) return say(t("settings.not_ready"));
    say("", t("settings.checking"));
    try {
      const opened = await publicKeyOf(readKeyFile(await chosen.text()), savedSecret.value);
      if (opened !== made.publicKey) return say(t("settings.other_key"));
      say("", t("settings.checked", { key: fingerprint(opened) }));
      ready(made.publicKey);
    } catch (error) {
      say(error instanceof KeyFileError ? t(`sealing.${error.reason}`) : error.message);
    }
  }

  const makeButton = h("button", { type: "button", onclick: () => make() }, t("settings.make"));
  return h("div", { class: "key-maker" },
    field(t("settings.passphrase"), first, t("settings.passphrase_hint")),
    field(t("settings.passphrase_again"), again),
    h("p", {}, makeButton), saved, check, status, message);
}
