// Routing: #/petitions, #/p/SLUG/TAB, #/partners, #/webhooks, #/audit, #/tokens.
// main.js hands the views to start(); the views import route() and act() from here,
// so that no module imports one that imports it back.

import { hasToken, Unauthorised } from "./api.js";
import { h, show, toast } from "./dom.js";
import { t } from "./i18n.js";
import { identify, REFUSED, showSignedIn, showSignIn, signOut } from "./session.js";

let views = null;
let drawn = Promise.resolve();
let waiting = null; // a drawing asked for that has not started yet
let read = null; // the address the latest drawing read as it started

/**
 * Draw the view the address names, once the drawing asked for before it is done: a view
 * still loading (the list after sign-in, say) must not land on top of a newer one. Asked
 * again before that drawing starts, it is the same drawing (it reads the address when it
 * starts): drawing one view twice in a row would throw away what was typed or chosen in it.
 */
export function route() {
  if (!waiting) {
    const begin = () => {
      waiting = null;
      return draw();
    };
    waiting = drawn.then(begin, begin);
    drawn = waiting;
  }
  return waiting;
}

async function draw() {
  read = location.hash;
  if (!hasToken()) return showSignIn("");
  try {
    await identify();
    showSignedIn();
    const [, section, slug, tab] = location.hash.split("/");
    for (const link of document.querySelectorAll("[data-nav]")) {
      link.classList.toggle("active", link.dataset.nav === (section === "p" ? "petitions" : section));
    }
    if (section === "p" && slug) await views.petition(decodeURIComponent(slug), tab || "dashboard");
    else if (section === "partners") await views.partners();
    else if (section === "webhooks") await views.webhooks();
    else if (section === "audit") await views.audit();
    else if (section === "tokens") await views.tokens();
    else if (section === "updates") await views.updates(slug ? decodeURIComponent(slug) : null);
    else await views.petitions();
  } catch (error) {
    if (error instanceof Unauthorised) signOut(t(REFUSED));
    else show(h("p", { class: "error" }, error.message));
  }
}

/**
 * Run an action from a button; report its failure without losing the page.
 * On success, say `done` (if given), redraw the view and answer what the action answered;
 * on failure, answer undefined.
 */
export async function act(action, done) {
  try {
    const result = await action();
    if (done) toast(done);
    await route();
    return result;
  } catch (error) {
    if (error instanceof Unauthorised) signOut(t("sign_in.expired"));
    else toast(error.message);
  }
}

/**
 * Route for a change of address, unless the latest drawing read this address already: the
 * browser tells of a change after the code that made it may have routed (signing in does),
 * and drawing the same view again would throw away what was typed in it meanwhile.
 */
function changed() {
  if (waiting || location.hash !== read) route();
}

/** Route now and whenever the address changes: {petition, petitions, partners, webhooks, audit}. */
export function start(byName) {
  views = byName;
  window.addEventListener("hashchange", changed);
  route();
}
