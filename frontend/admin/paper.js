// Signatures collected on paper: add a count from the sheets, import a typed-in list
// (checked first, every error shown by line, stored only when clean), and remove either.
// The words are the "paper" block of /locales/{lang}.json, which also lists the countries.

import { call, get, post } from "./api.js";
import { h, show } from "./dom.js";
import { day, moment, number } from "./format.js";
import { countryName, localeFile, plural } from "./i18n.js";
import { act } from "./router.js";

/** The paper words and the country list in the page's language. */
async function words() {
  const all = await localeFile();
  return { t: all.paper, countries: all.countries };
}

const base = (slug) => `/petitions/${encodeURIComponent(slug)}/paper`;
const today = () => new Date().toISOString().slice(0, 10);

/** The country select, on `chosen` (the petition's most common signer country) when there is one. */
function countryField(t, countries, chosen, name = "country") {
  return h("label", {}, t.country,
    h("select", { name, required: true, style: "max-width: 100%" }, countries.map(([code, label]) =>
      h("option", { value: code, selected: code === chosen }, label))));
}

function countForm(t, countries, slug, chosen) {
  return h("form", { class: "filters paper-count", onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    act(() => post(base(slug), {
      count: Number(data.get("count")),
      country: data.get("country"),
      date: data.get("date"),
      note: data.get("note"),
    }), t.added);
  } },
  h("label", {}, t.count, h("input", { name: "count", type: "number", min: 1, max: 100000, required: true, inputmode: "numeric" })),
  countryField(t, countries, chosen),
  h("label", {}, t.date, h("input", { name: "date", type: "date", required: true, value: today(), max: today() })),
  h("label", { class: "wide" }, t.note, h("input", { name: "note", maxlength: 200, placeholder: t.note_placeholder })),
  h("button", { type: "submit" }, t.add));
}

function problemsTable(t, errors) {
  return h("div", { class: "scroll" }, h("table", { class: "table paper-errors" },
    h("caption", {}, t.errors_heading),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t.line), h("th", { scope: "col" }, t.column),
      h("th", { scope: "col" }, t.problem))),
    h("tbody", {}, errors.map((e) =>
      h("tr", {}, h("td", { class: "num" }, e.line), h("td", {}, e.field), h("td", {}, e.message))))));
}

function sampleTable(t, sample) {
  return h("div", { class: "scroll" }, h("table", { class: "table paper-sample" },
    h("caption", {}, t.sample),
    h("thead", {}, h("tr", {}, ["name", "city", "country", "date", "named"].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, sample.map((row) => h("tr", {},
      h("td", {}, row.name), h("td", {}, row.city ?? ""), h("td", {}, row.country), h("td", {}, row.date),
      h("td", {}, row.named ? t.yes : t.no))))));
}

/** Show what a dry run found; offer to store the list only when it has no error. */
function previewOf(t, slug, checked, request) {
  const lines = checked.rows;
  const parts = [
    h("p", {}, plural(t.checked, lines), " ", plural(t.valid, checked.valid),
      checked.valid ? ` (${Object.entries(checked.by_country).map(([c, n]) => `${countryName(c)} ${number(n)}`).join(", ")})` : ""),
  ];
  if (checked.errors.length) parts.push(problemsTable(t, checked.errors));
  else if (checked.valid) {
    parts.push(sampleTable(t, checked.sample));
    parts.push(h("button", { type: "button", onclick: () =>
      act(() => post(`${base(slug)}/import`, { ...request, dry_run: false }), t.stored) }, t.store));
  }
  return parts;
}

function importForm(t, slug) {
  const result = h("div", { class: "paper-preview", "aria-live": "polite" });
  const form = h("form", { class: "filters paper-import", onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const file = data.get("file");
    try {
      const request = { csv: await file.text(), note: data.get("note") || null };
      const checked = await post(`${base(slug)}/import`, { ...request, dry_run: true });
      result.replaceChildren(...previewOf(t, slug, checked, request));
    } catch (error) {
      result.replaceChildren(h("p", { class: "error", role: "alert" }, error.message));
    }
  } },
  h("label", { class: "wide" }, t.file, h("input", { name: "file", type: "file", accept: ".csv,text/csv,text/plain", required: true })),
  h("label", { class: "wide" }, t.note, h("input", { name: "note", maxlength: 200, placeholder: t.note_placeholder })),
  h("button", { type: "submit" }, t.check));
  return [form, result];
}

function historyTable(t, slug, batches) {
  if (!batches.length) return h("p", { class: "empty" }, t.none);
  const what = (b) => Object.entries(b.by_country).map(([c, n]) => `${countryName(c)} ${number(n)}`).join(", ")
    + (b.first_date ? ` · ${b.first_date === b.last_date ? day(b.first_date) : `${day(b.first_date)} – ${day(b.last_date)}`}` : "")
    + (b.kind === "list" && b.named ? ` · ${t.named} ${number(b.named)}` : "");
  return h("div", { class: "scroll" }, h("table", { class: "table paper-history" },
    h("thead", {}, h("tr", {}, [t.when, t.what, t.note, t.by].map((c) => h("th", { scope: "col" }, c)),
      h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, t.remove)))),
    h("tbody", {}, batches.map((b) => h("tr", {},
      h("td", {}, moment(b.created_at), h("div", { class: "muted" }, t.kind[b.kind])),
      h("td", {}, h("strong", {}, number(b.total)), " ", h("span", { class: "muted" }, what(b))),
      h("td", {}, b.note ?? ""),
      h("td", {}, b.created_by),
      h("td", {}, h("button", { type: "button", class: "danger", onclick: () => {
        if (window.confirm(plural(t.confirm_remove, b.total))) {
          act(() => call("DELETE", `${base(slug)}/${b.id}`), t.removed);
        }
      } }, t.remove)))))));
}

/** The paper tab of a petition `p` (organisers only). */
export async function paperTab(p) {
  const [{ t, countries }, listed] = await Promise.all([words(), get(base(p.slug))]);
  return h("div", {},
    h("div", { class: "card" }, h("h2", {}, t.title),
      h("p", { class: "muted" }, t.intro),
      h("p", { class: "paper-total" }, h("strong", {}, plural(t.total, listed.total)))),
    h("div", { class: "card" }, h("h2", {}, t.count_heading), h("p", { class: "muted" }, t.count_hint),
      countForm(t, countries, p.slug, listed.country)),
    h("div", { class: "card" }, h("h2", {}, t.import_heading), h("p", { class: "muted" }, t.import_hint),
      importForm(t, p.slug)),
    h("div", { class: "card" }, h("h2", {}, t.history), historyTable(t, p.slug, listed.batches)));
}

/** The paper page at #/p/SLUG/paper: the petition's title, a way back, and the tab. */
export async function paperView(slug) {
  const { petition } = await get(`/petitions/${encodeURIComponent(slug)}/dashboard`);
  const { t } = await words();
  show(
    h("div", { class: "heading" }, h("div", {}, h("h1", {}, petition.title),
      h("p", { class: "muted" }, h("a", { href: `#/p/${encodeURIComponent(slug)}/dashboard` }, `/p/${slug}`),
        ` · ${t.tab}`))),
    await paperTab(petition),
  );
}
