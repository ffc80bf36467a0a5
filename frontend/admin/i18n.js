// The page's words, in English, Russian or Kazakh: the "admin" block of
// frontend/locales/{lang}.json (the same files the public pages use), chosen by the organiser
// and remembered in this browser (a language is no secret, unlike the token).

export const LANGUAGES = { en: "English", ru: "Русский", kk: "Қазақша" };
const CHOSEN = "undersign.admin-lang";

let words = {};
/** The language shown now; a live binding for the modules that format numbers and dates. */
export let lang = "en";

/** The language to start in: the one chosen before, else the browser's, else English. */
export function preferred() {
  const chosen = localStorage.getItem(CHOSEN);
  if (chosen in LANGUAGES) return chosen;
  const browser = navigator.languages.map((tag) => tag.slice(0, 2)).find((tag) => tag in LANGUAGES);
  return browser || "en";
}

/** Load a language's words and mark the page as written in it. */
export async function useLanguage(choice) {
  const next = choice in LANGUAGES ? choice : "en";
  const response = await fetch(`/static/locales/${next}.json`, { cache: "no-cache" });
  words = (await response.json()).admin;
  lang = next;
  localStorage.setItem(CHOSEN, next);
  document.documentElement.lang = next;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  document.title = t("page_title");
}

const lookup = (path) => path.split(".").reduce((node, key) => node?.[key], words);
const fill = (text, vars) => text.replace(/\{(\w+)\}/g, (all, name) => (name in vars ? vars[name] : all));

/** The text at `path` ("signatures.search"), with {name} placeholders filled from `vars`. */
export function t(path, vars = {}) {
  const text = lookup(path);
  return typeof text === "string" ? fill(text, vars) : path;
}

/** A text that depends on a number: `path` holds {one, few, many, other} as the language needs. */
export function tn(path, count, vars = {}) {
  const forms = lookup(path);
  if (!forms || typeof forms !== "object") return path;
  const form = forms[new Intl.PluralRules(lang).select(count)] ?? forms.other;
  return fill(form, { n: new Intl.NumberFormat(lang).format(count), ...vars });
}
