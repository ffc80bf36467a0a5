// The page's words, in one of the languages the server speaks (facts.js): the locale files
// the public pages use, /locales/{lang}.json, which also list the countries. This page's own
// words are their "admin" block; mailings.js, media.js and paper.js take theirs through
// localeFile(). The language is chosen by the organiser and remembered in this browser (a
// language is no secret, unlike the token).

import { fill } from "../js/fill.js";
import { LANGUAGES } from "./facts.js";

const CHOSEN = "undersign.admin-lang";
const loaded = {};

let own = {};
// The whole locale file of the language shown: its country names and months too.
let whole = { countries: [], months: null };
/** The language shown now; a live binding for the modules that format numbers and dates. */
export let lang = "en";

/** The language to start in: the one chosen before, else the browser's, else English. */
export function preferred() {
  const chosen = localStorage.getItem(CHOSEN);
  if (chosen in LANGUAGES) return chosen;
  const browser = navigator.languages.map((tag) => tag.slice(0, 2)).find((tag) => tag in LANGUAGES);
  return browser || "en";
}

/**
 * A language's whole locale file (the page's language unless named), asked once while the
 * page is open; "no-cache" so that a release's new words show at the next visit.
 */
export async function localeFile(language = lang) {
  if (!loaded[language]) {
    const response = await fetch(`/locales/${language}.json`, { cache: "no-cache" });
    loaded[language] = await response.json();
  }
  return loaded[language];
}

// The language asked for last: a choice made while the first words still load must not be
// undone when they arrive.
let wanted = null;

/** Load a language's words and mark the page as written in it. */
export async function useLanguage(choice) {
  const next = choice in LANGUAGES ? choice : "en";
  wanted = next;
  const file = await localeFile(next);
  if (wanted !== next) return;
  own = file.admin;
  whole = file;
  names = null;
  lang = next;
  localStorage.setItem(CHOSEN, next);
  document.documentElement.lang = next;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  document.title = t("page_title");
}

const lookup = (tree, path) => path.split(".").reduce((node, key) => node?.[key], tree);

/** The text at `path` ("columns.sent") in `tree`, {name} filled from `vars`; else the path itself. */
export function textIn(tree, path, vars = {}) {
  const text = lookup(tree, path);
  return typeof text === "string" ? fill(text, vars) : path;
}

/** The page's own text at `path` ("signatures.search"), with {name} placeholders filled from `vars`. */
export const t = (path, vars = {}) => textIn(own, path, vars);

let names = null;

/** A country's name in the page's language (the server's CLDR names, as on the public pages). */
export function countryName(code) {
  names ??= new Map(whole.countries);
  return names.get(code) ?? code;
}

/** The months, January first, as a date names them: { long: [...], short: [...] }. */
export const months = () => whole.months;

const formats = {};

/**
 * How the page's language writes numbers ("10 000"). Some browsers' trimmed locale data groups
 * Kazakh "10,000"; Russian groups as Kazakh does, so it stands in (as on the public pages).
 */
export function numberFormat() {
  if (!formats[lang]) {
    const own = new Intl.NumberFormat(lang);
    formats[lang] = lang === "kk" && own.format(1000).includes(",") ? new Intl.NumberFormat("ru") : own;
  }
  return formats[lang];
}

/** One of `forms` ({one, few, many, other}, as the language needs) for `count`, {n} filled in. */
export function plural(forms, count, vars = {}) {
  const form = forms[new Intl.PluralRules(lang).select(count)] ?? forms.other;
  return fill(form, { n: numberFormat().format(count), ...vars });
}

/** A text of the page's own that depends on a number: `path` holds its plural forms. */
export function tn(path, count, vars = {}) {
  const forms = lookup(own, path);
  return forms && typeof forms === "object" ? plural(forms, count, vars) : path;
}
