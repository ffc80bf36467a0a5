// Who is signed in, and the parts of the page that change with it.

import { forgetToken, get, saveToken } from "./api.js";
import { show } from "./dom.js";
import { t } from "./i18n.js";

/** The locale text for a token the API refused. */
export const REFUSED = "sign_in.refused";

/** The signed-in organiser or partner, from /me; a live binding for the views to read. */
export let me = null;

/** Keep the token only if the API accepts it. */
export async function signIn(token) {
  saveToken(token);
  try {
    me = await get("/me");
  } catch (error) {
    forgetToken();
    throw error;
  }
}

/** Learn whom the stored token belongs to, once per page load. */
export async function identify() {
  if (!me) me = await get("/me");
}

export function signOut(message = "") {
  forgetToken();
  me = null;
  showSignIn(message);
}

export function showSignIn(message) {
  document.getElementById("sign-in").hidden = false;
  document.getElementById("nav").hidden = true;
  document.getElementById("who").hidden = true;
  document.getElementById("sign-in-error").textContent = message;
  show();
}

export function showSignedIn() {
  document.getElementById("sign-in").hidden = true;
  document.getElementById("nav").hidden = false;
  document.getElementById("who").hidden = false;
  document.getElementById("who-name").textContent = me.partner
    ? t("who_partner", { name: me.name, partner: me.partner })
    : me.name;
  for (const link of document.querySelectorAll("[data-nav]")) {
    // What the token's role may not do is not offered (the API would refuse it: 403).
    const refused = link.dataset.needs && !me.may?.includes(link.dataset.needs);
    link.hidden = (Boolean(me.partner) && link.dataset.nav !== "petitions") || Boolean(refused);
  }
}
