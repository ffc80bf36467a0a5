// The organisers' page: every datum comes from /api/v1/admin with a Bearer token
// (see api.js for where the token is kept, and why). This module wires the page up.

import { Unauthorised } from "./api.js";
import { auditView } from "./audit.js";
import { partnersView } from "./partners.js";
import { petitionsView, petitionView } from "./petitions.js";
import { route, start } from "./router.js";
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
    showSignIn(error instanceof Unauthorised ? REFUSED : error.message);
  }
});
document.getElementById("sign-out").addEventListener("click", () => signOut(""));

start({
  petition: petitionView,
  petitions: petitionsView,
  partners: partnersView,
  webhooks: webhooksView,
  audit: auditView,
});
