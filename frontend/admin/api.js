// The organiser API at /api/v1/admin, called with a Bearer token.
// The token lives in sessionStorage only: never in a URL or a cookie, so no other
// site can make this browser act with it (nothing to forge across sites).

import { lang, localeFile, t, textIn } from "./i18n.js";

const API = "/api/v1/admin";
const TOKEN_KEY = "undersign.organiser-token";

export const hasToken = () => Boolean(sessionStorage.getItem(TOKEN_KEY));
export const saveToken = (token) => sessionStorage.setItem(TOKEN_KEY, token);
export const forgetToken = () => sessionStorage.removeItem(TOKEN_KEY);

/** The token is missing, wrong or revoked: the page must sign in again. */
export class Unauthorised extends Error {}

/** Call the API; answer its JSON, the response itself for a file, or null for 204. */
export async function call(method, path, body) {
  // The language the page shows: what the service says back (a list's problems) is said in it.
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}`, "Accept-Language": lang };
  // A file (a petition's picture) is sent as it is, with its own type; anything else as JSON.
  const raw = body instanceof Blob;
  if (body !== undefined) headers["Content-Type"] = raw ? body.type : "application/json";
  const response = await fetch(API + path, {
    method,
    headers,
    body: body === undefined || raw ? body : JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
  });
  if (response.status === 401) throw new Unauthorised();
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    const error = problem.error || {};
    if (response.status === 403 && error.role) throw new Error(await refusal(error.role));
    const fields = error.fields ? Object.values(error.fields).join("; ") : "";
    throw new Error(fields || error.message || t("server_answered", { status: response.status }));
  }
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  return type.includes("json") ? response.json() : response;
}

/** A refusal for want of a role, in the page's language, naming the role that would do (tokens.js's words). */
async function refusal(role) {
  const words = (await localeFile()).admin_team;
  return textIn(words, "refused", { role: textIn(words, `roles.${role}`) });
}

export const get = (path) => call("GET", path);
export const post = (path, body = {}) => call("POST", path, body);

/** A query string from the parameters that have a value ("" when none has). */
export const query = (params) => {
  const kept = Object.entries(params).filter(([, v]) => v !== "" && v !== null && v !== undefined);
  return kept.length ? "?" + new URLSearchParams(kept).toString() : "";
};
