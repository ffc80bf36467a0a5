// The organisers' page: every datum comes from /api/v1/admin with a Bearer token
// (see api.js for where the token is kept, and why). This module wires the page up.

import { Unauthorised } from "./api.js";
import { auditView } from "./audit.js";
import { LANGUAGES } from "./facts.js";
import { preferred, t, useLanguage } from "./i18n.js";
import { labelNav, mailingsView } from "./mailings.js";
import { mediaView } from "./media.js";
import { partnersView } from "./partners.js";
import { petitionsView, petitionView } from "./petitions.js";
import { route, start } from "./router.js";
import { labelTeamNav, tokensView } from "./tokens.js";
import { REFUSED, showSignIn, signIn, signOut } from "./session.js";
import { webhooksView } from "./webhooks.js";

document.getElementById("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const field = event.target.elements.token;
  try {
    await signIn(field.value.trim());
    field.value = "";
    if (!location.hash) location.hash = "#/petitions";
    await route();
  } catch (error) {
    showSignIn(error instanceof Unauthorised ? t(REFUSED) : error.message);
  }
});
document.getElementById("sign-out").addEventListener("click", () => signOut(""));

// The language switch: the page's words change at once, and so does the view.
const picker = document.getElementById("language");
picker.append(...Object.entries(LANGUAGES).map(([code, name]) => new Option(name, code)));
picker.value = preferred();
picker.addEventListener("change", async () => {
  await useLanguage(picker.value);
  await labelNav();
  await labelTeamNav();
  route();
});
await useLanguage(picker.value);
await labelNav();
await labelTeamNav();

start({
  // A petition's picture and campaign updates (media.js) have a page of their own,
  // #/p/SLUG/media; paper signatures (paper.js) are a tab of the petition's page.
  petition: (slug, tab) => (tab === "media" ? mediaView(slug) : petitionView(slug, tab)),
  petitions: petitionsView,
  partners: partnersView,
  webhooks: webhooksView,
  audit: auditView,
  updates: mailingsView,
  tokens: tokensView,
});
