// How numbers, the API's ISO dates (kept in UTC) and places read on the page.

import { lang } from "./i18n.js";

export const number = (n) => new Intl.NumberFormat(lang).format(n ?? 0);
export const day = (iso) => (iso ? iso.slice(0, 10) : "");
export const moment = (iso) => (iso ? iso.slice(0, 16).replace("T", " ") : "");

/** "City, Country" from whichever of the two a signer gave. */
export const place = (s) => [s.city, s.country].filter(Boolean).join(", ");
