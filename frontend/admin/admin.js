// The organisers' page: every datum comes from /api/v1/admin with a Bearer token.
// The token lives in sessionStorage only: never in a URL or a cookie, so no other
// site can make this browser act with it (nothing to forge across sites).

const API = "/api/v1/admin";
const TOKEN_KEY = "undersign.organiser-token";
const LOCALES = ["en", "ru", "kk"];
const STATES = ["all", "verified", "pending", "invalidated", "withdrawn"];

// --- small helpers -----------------------------------------------------------

/** Build an element; children may be strings (always inserted as text, never as HTML). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    // Through CSSOM: the page's Content-Security-Policy refuses style attributes.
    else if (key === "style") el.style.cssText = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

const view = () => document.getElementById("view");
/** Replace the page's content; like h(), skipping empty children and flattening lists. */
const show = (...children) =>
  view().replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
const number = (n) => new Intl.NumberFormat("en").format(n ?? 0);
const day = (iso) => (iso ? iso.slice(0, 10) : "");
const moment = (iso) => (iso ? iso.slice(0, 16).replace("T", " ") : "");

function toast(message) {
  const el = document.getElementById("toast");
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), 4000);
}

// --- the API -----------------------------------------------------------------

class Unauthorised extends Error {}

async function call(method, path, body) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(API + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit",
    cache: "no-store",
  });
  if (response.status === 401) throw new Unauthorised();
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    const error = problem.error || {};
    const fields = error.fields ? Object.values(error.fields).join("; ") : "";
    throw new Error(fields || error.message || `The server answered ${response.status}.`);
  }
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  return type.includes("json") ? response.json() : response;
}

const get = (path) => call("GET", path);
const post = (path, body = {}) => call("POST", path, body);
const query = (params) => {
  const kept = Object.entries(params).filter(([, v]) => v !== "" && v !== null && v !== undefined);
  return kept.length ? "?" + new URLSearchParams(kept).toString() : "";
};

// --- signing in and out ------------------------------------------------------

let me = null;

async function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  try {
    me = await get("/me");
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    throw error;
  }
}

function signOut(message = "") {
  sessionStorage.removeItem(TOKEN_KEY);
  me = null;
  showSignIn(message);
}

function showSignIn(message) {
  document.getElementById("sign-in").hidden = false;
  document.getElementById("nav").hidden = true;
  document.getElementById("who").hidden = true;
  document.getElementById("sign-in-error").textContent = message;
  show();
}

function showSignedIn() {
  document.getElementById("sign-in").hidden = true;
  document.getElementById("nav").hidden = false;
  document.getElementById("who").hidden = false;
  document.getElementById("who-name").textContent = me.partner
    ? `${me.name} · partner ${me.partner}`
    : me.name;
  for (const link of document.querySelectorAll("[data-nav]")) {
    link.hidden = Boolean(me.partner) && link.dataset.nav !== "petitions";
  }
}

// --- routing: #/petitions, #/p/SLUG/TAB, #/partners, #/webhooks, #/audit ------

async function route() {
  if (!sessionStorage.getItem(TOKEN_KEY)) return showSignIn("");
  try {
    if (!me) me = await get("/me");
    showSignedIn();
    const [, section, slug, tab] = location.hash.split("/");
    for (const link of document.querySelectorAll("[data-nav]")) {
      link.classList.toggle("active", link.dataset.nav === (section === "p" ? "petitions" : section));
    }
    if (section === "p" && slug) await petitionView(decodeURIComponent(slug), tab || "dashboard");
    else if (section === "partners") await partnersView();
    else if (section === "webhooks") await webhooksView();
    else if (section === "audit") await auditView();
    else await petitionsView();
  } catch (error) {
    if (error instanceof Unauthorised) signOut("That token is not valid (or was revoked).");
    else show(h("p", { class: "error" }, error.message));
  }
}

/** Run an action from a button; report its failure without losing the page. */
async function act(action, done) {
  try {
    await action();
    if (done) toast(done);
    await route();
  } catch (error) {
    if (error instanceof Unauthorised) signOut("Your token is no longer valid.");
    else toast(error.message);
  }
}

// --- petitions ---------------------------------------------------------------

async function petitionsView() {
  const { petitions } = await get("/petitions");
  const rows = petitions.map((p) =>
    h("tr", {},
      h("td", {}, h("a", { href: `#/p/${encodeURIComponent(p.slug)}/dashboard` }, p.title),
        h("div", { class: "muted" }, p.slug)),
      h("td", {}, h("span", { class: `pill ${p.is_open ? "open" : "closed"}` },
        p.is_open ? "open" : "closed")),
      h("td", { class: "num" }, number(p.counts.verified)),
      h("td", { class: "num" }, number(p.counts.pending)),
      h("td", {}, progress(p.counts.verified, p.goal)),
    ));
  show(
    h("div", { class: "heading" }, h("h1", {}, "Petitions"),
      me.partner ? null : h("a", { class: "button", href: "#/p/new/edit" }, "New petition")),
    petitions.length
      ? h("table", { class: "table" },
        h("thead", {}, h("tr", {}, h("th", {}, "Petition"), h("th", {}, "Status"),
          h("th", { class: "num" }, "Verified"), h("th", { class: "num" }, "Pending"),
          h("th", {}, "Goal"))),
        h("tbody", {}, rows))
      : h("p", { class: "empty" }, "No petitions yet."),
  );
}

function progress(count, goal) {
  if (!goal) return h("span", { class: "muted" }, "no goal");
  const share = Math.min(100, Math.round((100 * count) / goal));
  return h("div", { class: "progress", title: `${share}%` },
    h("div", { class: "progress-bar", style: `width:${share}%` }),
    h("span", {}, `${number(count)} / ${number(goal)}`));
}

const TABS = [
  ["dashboard", "Dashboard"],
  ["signatures", "Signatures"],
  ["review", "Review"],
  ["comments", "Comments"],
  ["export", "Export"],
  ["edit", "Edit"],
];

async function petitionView(slug, tab) {
  if (slug === "new") return editView(null);
  const board = await get(`/petitions/${encodeURIComponent(slug)}/dashboard`);
  const p = board.petition;
  const organiser = !me.partner;
  const tabs = TABS.filter(([key]) => organiser || ["dashboard", "signatures", "export"].includes(key));
  const badge = { review: board.queues.review, comments: board.queues.comments };
  const header = h("div", { class: "heading" },
    h("div", {}, h("h1", {}, p.title),
      h("p", { class: "muted" }, `/p/${p.slug} · `,
        h("span", { class: `pill ${p.is_open ? "open" : "closed"}` }, p.is_open ? "open" : "closed"),
        p.closes_at ? ` · closes ${moment(p.closes_at)} UTC` : "")),
    organiser
      ? h("button", {
        type: "button",
        class: p.status === "open" ? "danger" : "",
        onclick: () => act(() => post(`/petitions/${p.slug}/${p.status === "open" ? "close" : "open"}`),
          p.status === "open" ? "Petition closed." : "Petition opened."),
      }, p.status === "open" ? "Close petition" : "Open petition")
      : null);
  const nav = h("nav", { class: "tabs" }, tabs.map(([key, label]) =>
    h("a", { href: `#/p/${encodeURIComponent(slug)}/${key}`, class: key === tab ? "active" : "" },
      label, badge[key] ? h("span", { class: "count" }, badge[key]) : null)));
  const body = h("div", { class: "tab-body" });
  show(header, nav, body);
  const render = {
    dashboard: () => dashboardTab(board),
    signatures: () => signaturesTab(p),
    review: () => queueTab(p, "review"),
    comments: () => queueTab(p, "comments"),
    export: () => exportTab(p),
    edit: () => editView(p),
  }[tab] || (() => dashboardTab(board));
  body.replaceChildren(await render());
}

// --- dashboard -----------------------------------------------------------------

function dashboardTab(board) {
  const c = board.petition.counts;
  const cards = [
    ["Verified", c.verified, "counted"],
    ["Pending", c.pending, "awaiting email confirmation"],
    ["Invalidated", c.invalidated, "taken out by organisers"],
    ["Withdrawn", c.withdrawn, "by their signers"],
  ];
  if (!me.partner) {
    cards.push(["To review", board.queues.review, "from crowded addresses"]);
    cards.push(["Comments", board.queues.comments, "waiting for moderation"]);
  }
  return h("div", {},
    h("div", { class: "cards" }, cards.map(([label, value, note]) =>
      h("div", { class: "stat" }, h("div", { class: "stat-value" }, number(value)),
        h("div", { class: "stat-label" }, label), h("div", { class: "muted" }, note)))),
    board.petition.goal ? h("div", { class: "card" }, h("h2", {}, "Goal"),
      progress(c.verified, board.petition.goal)) : null,
    h("div", { class: "card" }, h("h2", {}, "Verified signatures per day"), dayChart(board.by_day)),
    h("div", { class: "columns" },
      h("div", { class: "card" }, h("h2", {}, "By country"), barTable(board.by_country)),
      h("div", { class: "card" }, h("h2", {}, "By source"), barTable(board.by_source))));
}

function dayChart(days) {
  if (!days.length) return h("p", { class: "empty" }, "No verified signatures yet.");
  const most = Math.max(...days.map((d) => d.count));
  return h("div", { class: "chart", role: "img", "aria-label": "Verified signatures per day" },
    days.slice(-60).map((d) => h("div", { class: "chart-day", title: `${d.date}: ${d.count}` },
      h("span", { class: "chart-value" }, number(d.count)),
      h("div", { class: "chart-bar", style: `height:${Math.max(2, (100 * d.count) / most)}%` }),
      h("span", { class: "chart-label" }, d.date.slice(5)))));
}

function barTable(counts) {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  if (!entries.length) return h("p", { class: "empty" }, "Nothing yet.");
  const most = entries[0][1];
  return h("table", { class: "bars" }, h("tbody", {}, entries.map(([key, n]) =>
    h("tr", {}, h("th", {}, key), h("td", { class: "num" }, number(n)),
      h("td", { class: "bar-cell" }, h("div", { class: "bar", style: `width:${(100 * n) / most}%` }))))));
}

// --- signatures ----------------------------------------------------------------

const search = { q: "", state: "all", source: "", since: "", until: "", page: 1 };

async function signaturesTab(p) {
  const form = h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    for (const key of ["q", "state", "source", "since", "until"]) search[key] = data.get(key);
    search.page = 1;
    route();
  } },
  h("label", { class: "wide" }, "Name or email", h("input", { name: "q", value: search.q, type: "search",
    placeholder: "part of a name, or a whole address" })),
  h("label", {}, "State", h("select", { name: "state" }, STATES.map((s) =>
    h("option", { value: s, selected: s === search.state }, s)))),
  me.partner ? null : h("label", {}, "Source", h("input", { name: "source", value: search.source,
    placeholder: "partner code" })),
  h("label", {}, "From", h("input", { name: "since", type: "date", value: search.since })),
  h("label", {}, "To", h("input", { name: "until", type: "date", value: search.until })),
  h("button", { type: "submit" }, "Search"));
  const params = { ...search, per_page: 50 };
  if (me.partner) delete params.source;
  const found = await get(`/petitions/${encodeURIComponent(p.slug)}/signatures${query(params)}`);
  return h("div", {}, form,
    h("p", { class: "muted" }, `${number(found.total)} found`),
    signatureTable(found.signatures, (s) => signatureActions(s)),
    pager(found));
}

function pager(found) {
  const pages = Math.max(1, Math.ceil(found.total / found.per_page));
  if (pages === 1) return null;
  const go = (n) => () => { search.page = n; route(); };
  return h("div", { class: "pager" },
    h("button", { type: "button", class: "quiet", disabled: found.page <= 1, onclick: go(found.page - 1) }, "Previous"),
    h("span", {}, `Page ${found.page} of ${pages}`),
    h("button", { type: "button", class: "quiet", disabled: found.page >= pages, onclick: go(found.page + 1) }, "Next"));
}

function signatureTable(signatures, actions) {
  if (!signatures.length) return h("p", { class: "empty" }, "No signatures here.");
  return h("table", { class: "table signatures" },
    h("thead", {}, h("tr", {}, ["Name", "Email", "Place", "Source", "State", "Signed", ""].map((t) =>
      h("th", {}, t)))),
    h("tbody", {}, signatures.map((s) => h("tr", { "data-id": s.id },
      h("td", {}, s.personal_data ? s.name : h("span", { class: "muted" }, "(no consent)"),
        s.comment ? h("div", { class: "comment" }, `“${s.comment}”`) : null),
      h("td", {}, s.email ?? ""),
      h("td", {}, [s.city, s.country].filter(Boolean).join(", ")),
      h("td", {}, s.source ?? h("span", { class: "muted" }, "direct")),
      h("td", {}, h("span", { class: `pill ${s.state}` }, s.state), s.flagged ? h("span", { class: "pill flagged" }, "flagged") : null,
        s.invalidation_reason ? h("div", { class: "muted" }, s.invalidation_reason) : null),
      h("td", {}, moment(s.signed_at)),
      h("td", { class: "actions" }, actions(s))))));
}

function reasonFor(verb) {
  const reason = window.prompt(`Why ${verb} this signature? (kept in the audit log)`);
  if (reason === null) return null;
  if (!reason.trim()) { toast("A reason is required."); return null; }
  return reason.trim();
}

function signatureActions(s) {
  if (me.partner) return null;
  if (s.state === "invalidated") {
    return h("button", { type: "button", class: "small", onclick: () => {
      const reason = reasonFor("restore");
      if (reason) act(() => post(`/signatures/${s.id}/restore`, { reason }), "Signature restored.");
    } }, "Restore");
  }
  if (s.state === "withdrawn") return null;
  return h("button", { type: "button", class: "small danger", onclick: () => {
    const reason = reasonFor("invalidate");
    if (reason) act(() => post(`/signatures/${s.id}/invalidate`, { reason }), "Signature invalidated.");
  } }, "Invalidate");
}

async function queueTab(p, which) {
  const found = await get(`/petitions/${encodeURIComponent(p.slug)}/${which}?per_page=100`);
  if (which === "review") {
    return h("div", {},
      h("p", { class: "muted" }, "Signatures from a network address that signed many times today. ",
        "Many real people share an address (a plant's network, a phone carrier): keep those, ",
        "invalidate what is clearly one person."),
      signatureTable(found.signatures, (s) => [
        h("button", { type: "button", class: "small", onclick: () =>
          act(() => post(`/signatures/${s.id}/keep`), "Kept.") }, "Keep"),
        signatureActions(s),
      ]));
  }
  if (!found.signatures.length) return h("p", { class: "empty" }, "No comments wait for moderation.");
  return h("div", { class: "comments" }, found.signatures.map((s) =>
    h("article", { class: "card comment-card", "data-id": s.id },
      h("blockquote", {}, s.comment),
      h("p", { class: "muted" }, `${s.name} · ${[s.city, s.country].filter(Boolean).join(", ")} · `,
        moment(s.verified_at), s.public ? "" : " · not shown on the wall (signer chose private)"),
      h("div", { class: "actions" },
        h("button", { type: "button", onclick: () => act(() =>
          post(`/signatures/${s.id}/comment`, { decision: "approved" }), "Comment approved.") }, "Approve"),
        h("button", { type: "button", class: "danger", onclick: () => act(() =>
          post(`/signatures/${s.id}/comment`, { decision: "rejected" }), "Comment rejected.") }, "Reject")))));
}

// --- export --------------------------------------------------------------------

async function download(path, filename) {
  const response = await get(path);
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function exportTab(p) {
  const form = h("form", { class: "filters export", onsubmit: (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(event.target));
    const stamp = new Date().toISOString().slice(0, 10);
    act(() => download(`/petitions/${encodeURIComponent(p.slug)}/export${query(data)}`,
      `${p.slug}-${stamp}.${data.format}`), "Export downloaded (and written to the audit log).");
  } },
  h("label", {}, "Format", h("select", { name: "format" },
    h("option", { value: "csv" }, "CSV (spreadsheets)"), h("option", { value: "jsonl" }, "JSON lines"))),
  h("label", {}, "Signatures", h("select", { name: "status" },
    h("option", { value: "verified" }, "verified"), h("option", { value: "pending" }, "pending"),
    h("option", { value: "all" }, "all"))),
  me.partner ? null : h("label", {}, "Source", h("input", { name: "source", placeholder: "partner code" })),
  h("label", {}, "Signed from", h("input", { name: "since", type: "date" })),
  h("label", {}, "Signed to", h("input", { name: "until", type: "date" })),
  h("button", { type: "submit" }, "Download"));
  const handover = me.partner ? null : h("div", { class: "card" },
    h("h2", {}, "Printable list for the handover"),
    h("p", {}, "Numbered verified signatures with name, city, country and date; every printed page ",
      "repeats the petition's title and the total. Addresses are not included."),
    h("button", { type: "button", onclick: () => act(async () => {
      const response = await get(`/petitions/${encodeURIComponent(p.slug)}/handover`);
      const url = URL.createObjectURL(new Blob([await response.text()], { type: "text/html" }));
      window.open(url, "_blank");
    }) }, "Open printable list"));
  return h("div", {},
    h("div", { class: "card" }, h("h2", {}, "Export signatures"),
      h("p", { class: "muted" }, "Spreadsheet formulas in names and comments are neutralised. ",
        "For very large exports, the command line (undersign export) or the API streams to disk."),
      form),
    handover);
}

// --- creating and editing a petition -----------------------------------------

function editView(p) {
  const texts = p ? p.texts : {};
  const form = h("form", { class: "edit", onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const body = { texts: {}, default_locale: data.get("default_locale") };
    for (const lc of LOCALES) {
      const fields = {};
      for (const f of ["title", "summary", "body", "target"]) {
        const value = data.get(`${lc}.${f}`).trim();
        if (value) fields[f] = value;
      }
      if (Object.keys(fields).length) body.texts[lc] = fields;
    }
    body.goal = data.get("goal") ? Number(data.get("goal")) : null;
    body.closes_at = data.get("closes_at") ? `${data.get("closes_at")}:00+00:00` : null;
    if (p) {
      act(() => call("PATCH", `/petitions/${encodeURIComponent(p.slug)}`, body), "Saved.");
    } else {
      body.slug = data.get("slug").trim();
      act(async () => {
        await post("/petitions", body);
        location.hash = `#/p/${encodeURIComponent(body.slug)}/dashboard`;
      }, "Petition created.");
    }
  } },
  p ? null : h("label", {}, "Address (slug)", h("input", { name: "slug", required: true,
    pattern: "[a-z0-9][a-z0-9-]{0,79}", placeholder: "save-the-plant" }),
  h("span", { class: "hint" }, "Lowercase letters, digits and hyphens; the page will be /p/slug.")),
  h("div", { class: "row" },
    h("label", {}, "Goal", h("input", { name: "goal", type: "number", min: 1, value: p?.goal ?? "" })),
    h("label", {}, "Closes (UTC)", h("input", { name: "closes_at", type: "datetime-local",
      value: p?.closes_at ? p.closes_at.slice(0, 16) : "" })),
    h("label", {}, "Main language", h("select", { name: "default_locale" }, LOCALES.map((lc) =>
      h("option", { value: lc, selected: lc === (p?.default_locale ?? "en") }, lc))))),
  LOCALES.map((lc) => h("fieldset", {}, h("legend", {}, { en: "English", ru: "Русский", kk: "Қазақша" }[lc]),
    h("label", {}, "Title", h("input", { name: `${lc}.title`, value: texts[lc]?.title ?? "" })),
    h("label", {}, "Summary", h("input", { name: `${lc}.summary`, value: texts[lc]?.summary ?? "" })),
    h("label", {}, "Addressed to", h("input", { name: `${lc}.target`, value: texts[lc]?.target ?? "" })),
    h("label", {}, "Text", h("textarea", { name: `${lc}.body`, rows: 5 }, texts[lc]?.body ?? "")))),
  h("button", { type: "submit" }, p ? "Save changes" : "Create petition"));
  if (p) return form;
  show(h("div", { class: "heading" }, h("h1", {}, "New petition")), form);
  return form;
}

// --- partners, webhooks, audit -------------------------------------------------

async function partnersView() {
  const { petitions } = await get("/petitions");
  const chosen = partnersView.petition || petitions[0]?.slug || "";
  const { partners } = await get(`/partners${query({ petition: chosen })}`);
  const picker = h("select", { onchange: (e) => { partnersView.petition = e.target.value; route(); } },
    petitions.map((p) => h("option", { value: p.slug, selected: p.slug === chosen }, p.title)));
  const form = h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const origins = data.get("origins").split(/[\s,]+/).filter(Boolean);
    act(() => post("/partners", { code: data.get("code"), name: data.get("name"), allowed_origins: origins }),
      "Partner added.");
  } },
  h("label", {}, "Code", h("input", { name: "code", required: true, pattern: "[a-z0-9-]{1,40}", placeholder: "kz-union" })),
  h("label", {}, "Name", h("input", { name: "name", required: true, placeholder: "Miners' union" })),
  h("label", { class: "wide" }, "Allowed origins", h("input", { name: "origins", placeholder: "https://union.example.org" })),
  h("button", { type: "submit" }, "Add partner"));
  show(
    h("div", { class: "heading" }, h("h1", {}, "Partners"),
      petitions.length ? h("label", { class: "inline" }, "Snippets for ", picker) : null),
    partners.length ? null : h("p", { class: "empty" }, "No partners yet."),
    partners.map((partner) => h("article", { class: "card partner" },
      h("h2", {}, partner.name, " ", h("code", {}, partner.code)),
      h("p", { class: "muted" }, partner.allowed_origins.length
        ? `Allowed origins: ${partner.allowed_origins.join(", ")}` : "No origins listed."),
      partner.embed ? [
        snippet("Widget (script)", partner.embed.widget),
        snippet("Without scripts (iframe)", partner.embed.iframe),
      ] : null)),
    h("div", { class: "card" }, h("h2", {}, "Add a partner"), form));
}

function snippet(label, code) {
  const area = h("textarea", { readonly: true, rows: code.split("\n").length + 1, class: "code" }, code);
  return h("div", { class: "snippet" },
    h("div", { class: "snippet-head" }, h("strong", {}, label),
      h("button", { type: "button", class: "small quiet", onclick: async () => {
        area.select();
        try { await navigator.clipboard.writeText(code); toast("Copied."); } catch { toast("Press Ctrl+C to copy."); }
      } }, "Copy")),
    area);
}

async function webhooksView() {
  const [{ webhooks }, { partners }, { petitions }] = await Promise.all([
    get("/webhooks"), get("/partners"), get("/petitions")]);
  const owners = [
    ...partners.map((p) => h("option", { value: `partner:${p.code}` }, `Partner: ${p.name}`)),
    ...petitions.map((p) => h("option", { value: `petition:${p.slug}` }, `Petition: ${p.title}`)),
  ];
  const secretBox = h("div", { id: "new-secret" });
  const form = h("form", { class: "filters", onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const [kind, owner] = data.get("owner").split(":");
    try {
      const made = await post("/webhooks", { url: data.get("url"), [kind]: owner });
      await route();
      document.getElementById("new-secret").replaceChildren(h("div", { class: "card notice" },
        h("strong", {}, "Signing secret (shown once): "), h("code", {}, made.secret),
        h("p", { class: "muted" }, "Each POST carries X-Undersign-Timestamp and X-Undersign-Signature: ",
          "sha256= HMAC of \"timestamp.body\" with this secret.")));
    } catch (error) {
      if (error instanceof Unauthorised) signOut("Your token is no longer valid.");
      else toast(error.message);
    }
  } },
  h("label", { class: "wide" }, "Endpoint URL", h("input", { name: "url", type: "url", required: true, placeholder: "https://crm.example.org/undersign" })),
  h("label", {}, "For", h("select", { name: "owner", required: true }, owners)),
  h("button", { type: "submit" }, "Add webhook"));
  show(
    h("div", { class: "heading" }, h("h1", {}, "Webhooks")),
    h("p", { class: "muted" }, "Every newly verified signature is POSTed as JSON. A partner's endpoint ",
      "receives only what that partner collected, with personal data only for signers who agreed to be contacted."),
    secretBox,
    webhooks.length ? h("table", { class: "table" },
      h("thead", {}, h("tr", {}, h("th", {}, "Endpoint"), h("th", {}, "For"), h("th", {}, "Since"), h("th", {}, ""))),
      h("tbody", {}, webhooks.map((w) => h("tr", {},
        h("td", {}, h("code", {}, w.url)),
        h("td", {}, w.partner ? `partner ${w.partner}` : `petition ${w.petition}`),
        h("td", {}, day(w.created_at)),
        h("td", { class: "actions" }, h("button", { type: "button", class: "small danger", onclick: () =>
          act(() => call("DELETE", `/webhooks/${w.id}`), "Webhook removed.") }, "Remove"))))))
      : h("p", { class: "empty" }, "No webhooks yet."),
    h("div", { class: "card" }, h("h2", {}, "Add a webhook"), form));
}

async function auditView() {
  const { entries } = await get("/audit?per_page=200");
  const detail = (d) => Object.entries(d).filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") : v}`).join(" · ");
  show(
    h("div", { class: "heading" }, h("h1", {}, "Audit log")),
    entries.length ? h("table", { class: "table" },
      h("thead", {}, h("tr", {}, ["When (UTC)", "Who", "What", "On", "Rows", "Details"].map((t) => h("th", {}, t)))),
      h("tbody", {}, entries.map((e) => h("tr", {},
        h("td", { class: "nowrap" }, moment(e.at)), h("td", { class: "nowrap" }, e.actor),
        h("td", {}, h("code", {}, e.action)),
        h("td", {}, e.target ?? ""), h("td", { class: "num" }, e.rows ?? ""), h("td", {}, detail(e.detail))))))
      : h("p", { class: "empty" }, "Nothing has happened yet."));
}

// --- start -----------------------------------------------------------------------

document.getElementById("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const field = event.target.elements.token;
  try {
    await signIn(field.value.trim());
    field.value = "";
    if (!location.hash) location.hash = "#/petitions";
    await route();
  } catch (error) {
    showSignIn(error instanceof Unauthorised ? "That token is not valid (or was revoked)." : error.message);
  }
});
document.getElementById("sign-out").addEventListener("click", () => signOut(""));
window.addEventListener("hashchange", route);
route();
