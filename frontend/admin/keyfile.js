// On a sealed petition: the card where an organiser opens the key file (and its passphrase),
// sees which keys this tab holds, and forgets them. See sealing.js for where the key lives.

import { h } from "./dom.js";
import { t, tn } from "./i18n.js";
import { route } from "./router.js";
import { addKey, forgetKeys, KeyFileError, needsPassphrase, openKeys, readKeyFile } from "./sealing.js";

/** A key's short name: its public key's first characters, as `undersign keys generate` printed it. */
const fingerprint = (publicKey) => publicKey.slice(0, 10) + "…";

// A chosen key file that waits for its passphrase. Kept outside the card: the page may be
// drawn again meanwhile (a list still loading), and the organiser should not have to choose
// the file again.
let waiting = null;

export function keyCard(p) {
  const held = openKeys();
  const message = h("p", { class: "error", role: "alert" });
  const status = h("p", { class: "muted", role: "status" });
  const passphrase = h("input", { type: "password", name: "passphrase", autocomplete: "off" });
  const passphraseField = h("label", { hidden: !waiting }, t("sealing.passphrase"), passphrase);
  const submit = h("button", { type: "submit", hidden: !waiting }, t("sealing.unlock"));

  const opened = async (secret) => {
    message.textContent = "";
    status.textContent = t("sealing.opening");
    try {
      await addKey(waiting, secret);
      waiting = null;
      await route();
    } catch (error) {
      status.textContent = "";
      message.textContent = error instanceof KeyFileError ? t(`sealing.${error.reason}`) : error.message;
      if (error.reason === "wrong_passphrase") passphrase.select();
    }
  };
  const file = h("input", { type: "file", name: "key", accept: ".json,application/json", onchange: async (event) => {
    const chosen = event.target.files[0];
    message.textContent = "";
    if (!chosen) return;
    try {
      waiting = readKeyFile(await chosen.text());
    } catch (error) {
      waiting = null;
      passphraseField.hidden = submit.hidden = true;
      message.textContent = t(`sealing.${error.reason || "not_a_key_file"}`);
      return;
    }
    if (!needsPassphrase(waiting)) return opened("");
    passphraseField.hidden = false;
    submit.hidden = false;
    passphrase.focus();
  } });
  const form = h("form", { class: "filters key-form", onsubmit: (event) => {
    event.preventDefault();
    if (waiting) opened(passphrase.value);
  } },
  h("label", {}, t("sealing.key_file"), file), passphraseField, submit);

  const current = held.includes(p.seal_key);
  return h("section", { class: "card sealed-card", "aria-labelledby": "sealed-title" },
    h("h2", { id: "sealed-title" }, t("sealing.title")),
    h("p", {}, t("sealing.about")),
    held.length ? h("div", { class: "keys" },
      h("p", {}, tn("sealing.keys_open", held.length), " ",
        held.map((key) => h("code", { class: "key" }, fingerprint(key),
          key === p.seal_key ? ` (${t("sealing.current")})` : ""))),
      current ? null : h("p", { class: "error" }, t("sealing.not_current")),
      h("button", { type: "button", class: "quiet", onclick: () => { waiting = null; forgetKeys(); route(); } },
        t("sealing.forget"))) : null,
    form, status, message);
}
