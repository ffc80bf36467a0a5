// What the page must agree on with the server, from the server: the languages it speaks and
// the patterns a petition's slug and a partner's code must match (GET /admin/facts.json,
// made from core/i18n.py, campaigns/petitions.py and core/validation.py). The patterns are
// the texts Python matches with, written to compile in a `pattern` attribute too.

const response = await fetch("/admin/facts.json", { cache: "no-cache" });
const facts = await response.json();

/** Each language's name in itself, by its code, in the server's order. */
export const LANGUAGES = Object.fromEntries(facts.languages.map(({ code, name }) => [code, name]));

/** `pattern` attributes: { slug, partner_code }. */
export const PATTERNS = facts.patterns;
