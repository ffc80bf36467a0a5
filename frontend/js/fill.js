// One way to put values into the locale files' texts, for every script that shows them:
// "{name}" takes values.name; a placeholder without a value stays as written, to be seen.

/** `text` with each {name} replaced by `values[name]`. */
export const fill = (text, values) => text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? values[name] : all));

// The quotation marks a language nests inside its own (the server's i18n.INNER_QUOTES): a
// title holding «…» that a sentence puts in «…» reads «…„…“…»; in English “…‘…’…”.
const INNER_QUOTES = { en: { "“": "‘", "”": "’" }, ru: { "«": "„", "»": "“" }, kk: { "«": "„", "»": "“" } };

/** `text` with its quotation marks made the inner ones of `lang`, for quoting it whole. */
export const innerQuotes = (lang, text) =>
  text.replace(/[«»“”]/g, (mark) => INNER_QUOTES[lang]?.[mark] || mark);
