// How numbers, the API's ISO dates (kept in UTC) and places read on the page.

import { lang, months, numberFormat } from "./i18n.js";

export const number = (n) => numberFormat().format(n ?? 0);
export const day = (iso) => (iso ? iso.slice(0, 10) : "");
/**
 * A day of this year in the page's language: "6 December", "6 декабря", "6 желтоқсан"; `form`
 * "short" gives "6 Dec", "6 дек.", "6 жел.". The months are the server's (CLDR): browsers'
 * trimmed locale data may have no Kazakh ones. Without them, the numbers: "12-06", "06.12".
 */
export function dayMonth(iso, form = "long") {
  const names = months()?.[form];
  const [, month, dayOf] = iso.slice(0, 10).split("-").map(Number);
  if (names) return `${dayOf} ${names[month - 1]}`;
  return lang === "en" ? iso.slice(5, 10) : `${iso.slice(8, 10)}.${iso.slice(5, 7)}`;
}
/** A day of this year, short, as the page's language writes it: "6 Dec", "6 дек.", "6 жел.". */
export const shortDay = (iso) => dayMonth(iso, "short");
export const moment = (iso) => (iso ? iso.slice(0, 16).replace("T", " ") : "");

/** "City, Country" from whichever of the two a signer gave. */
export const place = (s) => [s.city, s.country].filter(Boolean).join(", ");
