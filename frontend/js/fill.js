// One way to put values into the locale files' texts, for every script that shows them:
// "{name}" takes values.name; a placeholder without a value stays as written, to be seen.

/** `text` with each {name} replaced by `values[name]`. */
export const fill = (text, values) => text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? values[name] : all));
