/* Undersign's embeddable petition:
 *   <script src="https://sign.example.org/widget.js" defer></script>
 *   <undersign-petition petition="slug" lang="ru" source="partner-code"></undersign-petition>
 *
 * Everything lives inside the element's open shadow root and this closure: the host page gets
 * one custom element and nothing else (no globals, no styles, no cookies, no other origin).
 * Host pages theme it with the --undersign-* custom properties listed in STYLE.
 */
(() => {
  "use strict";

  if (customElements.get("undersign-petition")) return; // the script was included twice

  // Requests go back to wherever this script came from, not to the host page's origin.
  const SERVICE = new URL(".", document.currentScript ? document.currentScript.src : location.href);
  const REFRESH_MS = 10000;
  const STYLE = `
:host {
  all: initial; display: block; max-width: 40rem; margin: 0 0 1.5rem;
  --_accent: var(--undersign-accent, #a3261b);
  --_accent-ink: var(--undersign-accent-ink, #fff);
  --_ink: var(--undersign-ink, #1d1d1b);
  --_muted: var(--undersign-muted, #4a4a48);
  --_paper: var(--undersign-background, #fff);
  --_line: var(--undersign-border, #8a857a);
  --_error: var(--undersign-error, #a3261b);
  --_focus: var(--undersign-focus, #1a5fb4);
  --_radius: var(--undersign-radius, 8px);
  font: 1rem/1.5 var(--undersign-font, system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif);
  color: var(--_ink);
}
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
.card { container-type: inline-size; background: var(--_paper); border: 1px solid var(--_line); border-radius: var(--_radius); padding: 1.25rem; }
h2 { font-size: 1.35rem; line-height: 1.25; margin: 0 0 .5rem; }
h3 { font-size: 1.15rem; margin: 0 0 .5rem; }
p { margin: 0 0 .75rem; }
a { color: var(--_accent); }
:focus-visible { outline: 3px solid var(--_focus); outline-offset: 2px; }
details { margin: 0 0 1rem; }
summary { cursor: pointer; color: var(--_accent); font-weight: 600; }
.target { color: var(--_muted); margin-top: .5rem; }
.body { overflow-wrap: break-word; }
.body h3 { font-size: 1.1rem; margin: 1rem 0 .4rem; }
.body h4, .body h5, .body h6 { font-size: 1rem; margin: .9rem 0 .35rem; }
.body ul, .body ol { margin: 0 0 .75rem; padding-left: 1.4rem; }
.body li > p { margin: 0 0 .35rem; }
.body blockquote { margin: 0 0 .75rem; padding-left: .9rem; border-left: 4px solid var(--_line); color: var(--_muted); }
.body pre { overflow-x: auto; border: 1px solid var(--_line); border-radius: calc(var(--_radius) * .5); padding: .5rem; }
.body hr { border: 0; border-top: 1px solid var(--_line); }
.closes { color: var(--_muted); }
.count { margin: 0 0 .35rem; }
.count strong { font-size: 1.5rem; }
.goal { color: var(--_muted); }
.bar { height: .75rem; border-radius: 999px; background: #e6e1d8; overflow: hidden; margin-bottom: 1.25rem; }
.bar span { display: block; height: 100%; background: var(--_accent); min-width: .4rem; transition: width .4s; }
.field { display: flex; flex-direction: column; gap: .25rem; margin-bottom: .9rem; }
.row { display: grid; grid-template-columns: 1fr 1fr; gap: 0 1rem; }
@container (max-width: 30rem) { .row { grid-template-columns: 1fr; } }
label { font-weight: 600; }
.optional { font-weight: 400; color: var(--_muted); }
input, select, textarea {
  font: inherit; color: var(--_ink); background: #fff; width: 100%;
  padding: .55rem .65rem; border: 1px solid var(--_line); border-radius: calc(var(--_radius) * .75);
}
[aria-invalid="true"] { border: 2px solid var(--_error); }
.error { color: var(--_error); font-weight: 600; margin: 0; }
.check { display: flex; gap: .6rem; align-items: flex-start; margin-bottom: .75rem; }
.check input { width: 1.2rem; height: 1.2rem; margin-top: .2rem; flex: none; }
.check label { font-weight: 400; }
.privacy { font-size: .9rem; color: var(--_muted); }
.who-sees p, .who-sees ul { margin: .25rem 0; }
.who-sees ul { padding-left: 1.2rem; }
button, .share a {
  font: inherit; font-weight: 700; cursor: pointer; text-decoration: none; display: inline-block;
  border: 0; border-radius: calc(var(--_radius) * .75); padding: .75rem 1.25rem;
  background: var(--_accent); color: var(--_accent-ink);
}
button[disabled] { opacity: .7; cursor: progress; }
.status:empty { display: none; }
.status { font-weight: 600; margin-top: .75rem; }
.status.problem { color: var(--_error); }
.done h3:focus { outline: none; }
.share { display: flex; flex-wrap: wrap; gap: .5rem; padding: 0; margin: .5rem 0 0; list-style: none; }
.share a, .share button { background: transparent; color: var(--_accent); border: 2px solid var(--_accent); padding: .45rem .9rem; }
`;

  // One sheet, adopted by every widget's shadow root. A page's CSP (style-src 'self' or 'none')
  // blocks a <style> element but not a constructed sheet; only Safari < 16.4 needs the <style>.
  const SHEET = "adoptedStyleSheets" in ShadowRoot.prototype ? new CSSStyleSheet() : null;
  if (SHEET) SHEET.replaceSync(STYLE);

  // One request per petition and language in flight, shared by every widget on the page.
  const loading = new Map();

  // What a widget says when it gets no data at all, and so no words, by language: the service
  // writes them in here when it serves this file (web/pages.py), from the locale files.
  const UNREACHABLE = /* words when unreachable */ {};

  // A partner page whose Content-Security-Policy leaves us out of connect-src gets no data; the
  // browser says so only in this event, and the site's owner needs to hear what to allow.
  let blockedByPolicy = false;
  document.addEventListener("securitypolicyviolation", (event) => {
    if (blockedByPolicy || !event.blockedURI.startsWith(SERVICE.origin)) return;
    blockedByPolicy = true;
    for (const element of document.querySelectorAll("undersign-petition")) if (element.unreachable) element.sayUnreachable();
  });

  // The language asked for here (the element's, then the page's ?lang=), or "auto": the service
  // knows which languages it speaks and picks one from the browser's Accept-Language itself.
  function requestedLocale(attribute) {
    const code = (attribute || new URLSearchParams(location.search).get("lang") || "").slice(0, 2);
    return /^[a-z]{2}$/i.test(code) ? code.toLowerCase() : "auto";
  }

  async function getJSON(path) {
    const response = await fetch(new URL(path, SERVICE), { credentials: "omit" });
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return response.json();
  }

  // Everything a widget shows, in one answer: its words (in the language the service chose, with
  // the reader's likeliest country first) and the petition. An unknown petition's answer still
  // carries the words, so that the widget can say so in the reader's language.
  function widgetData(slug, locale) {
    const path = `widget/${slug}.json?lang=${locale}`;
    if (!loading.has(path)) {
      const answer = fetch(new URL(path, SERVICE), { credentials: "omit" }).then(async (response) => {
        const data = await response.json().catch(() => ({}));
        return response.ok ? data : { words: data.words };
      });
      loading.set(path, answer);
      answer.finally(() => loading.delete(path)).catch(() => {});
    }
    return loading.get(path);
  }

  // The flood defence's proof of work (ALTCHA): find n from 0 to maxnumber whose SHA-256 of
  // salt + n is the challenge, with WebCrypto. Hashed in slices whose digests resolve as tasks,
  // so the page keeps answering clicks and scrolling meanwhile. Answer ALTCHA's payload.
  const SLICE = 1000;

  async function solve(challenge) {
    const encoder = new TextEncoder();
    const target = challenge.challenge;
    // Compared as bytes: writing each digest out in hex would cost as much as hashing it.
    const wanted = Uint8Array.from(target.match(/../g) || [], (pair) => parseInt(pair, 16));
    const matches = (digest) => new Uint8Array(digest).every((byte, i) => byte === wanted[i]);
    for (let start = 0; start <= challenge.maxnumber; start += SLICE) {
      const numbers = Array.from({ length: Math.min(SLICE, challenge.maxnumber + 1 - start) }, (_, i) => start + i);
      const digests = await Promise.all(numbers.map((n) => crypto.subtle.digest("SHA-256", encoder.encode(challenge.salt + n))));
      const found = digests.findIndex(matches);
      if (found >= 0) {
        const { algorithm, salt, signature } = challenge;
        return btoa(JSON.stringify({ algorithm, challenge: target, number: numbers[found], salt, signature }));
      }
    }
    throw new Error("the challenge has no solution");
  }

  // Some browsers' trimmed locale data groups Kazakh numbers "10,000"; Russian groups as Kazakh does.
  function numberFormat(locale) {
    const format = new Intl.NumberFormat(locale);
    return locale === "kk" && format.format(1000).includes(",") ? new Intl.NumberFormat("ru") : format;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
  }

  // The quotation marks a language nests inside its own (the server's i18n.INNER_QUOTES): a
  // title holding «…» that a sentence puts in «…» reads «…„…“…»; in English “…‘…’…”.
  const INNER_QUOTES = { en: { "“": "‘", "”": "’" }, ru: { "«": "„", "»": "“" }, kk: { "«": "„", "»": "“" } };

  function innerQuotes(locale, text) {
    const marks = INNER_QUOTES[locale] || {};
    return text.replace(/[«»“”]/g, (mark) => marks[mark] || mark);
  }

  // A small element builder: h("p", {class: "x"}, "text", child, ...).
  function h(tag, attributes = {}, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === false || value == null) continue;
      if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
      else element.setAttribute(name, value === true ? "" : value);
    }
    element.append(...children.filter((child) => child != null));
    return element;
  }

  // The petition's full text: the service rendered its Markdown and sanitised it (body_html).
  // setHTML sanitises once more and, unlike innerHTML, is allowed where a host page enforces
  // Trusted Types; a browser without it gets innerHTML, or, if the page forbids that, the text.
  function bodyOf(petition) {
    const body = h("div", { class: "body" });
    try {
      if (body.setHTML) body.setHTML(petition.body_html);
      else body.innerHTML = petition.body_html;
    } catch {
      body.replaceChildren(...petition.body.split(/\n{2,}/).filter(Boolean).map((p) => h("p", {}, p)));
    }
    // The card's title is an h2: the text's headings go one level below the page's.
    for (const heading of body.querySelectorAll("h2, h3, h4, h5")) {
      const lower = document.createElement(`h${Number(heading.tagName[1]) + 1}`);
      lower.append(...heading.childNodes);
      heading.replaceWith(lower);
    }
    // Links leave the partner's page in a tab of their own, which cannot reach back to it.
    for (const link of body.querySelectorAll("a[href]")) {
      link.target = "_blank";
      link.rel = "nofollow noopener noreferrer";
    }
    return body;
  }

  class UndersignPetition extends HTMLElement {
    constructor() {
      super();
      this.attachShadow({ mode: "open" });
      if (SHEET) this.shadowRoot.adoptedStyleSheets = [SHEET];
      this.refresh = this.refresh.bind(this);
    }

    static get observedAttributes() {
      return ["petition", "lang"];
    }

    // A host page that switches language or petition after load gets the widget redrawn.
    attributeChangedCallback(name, before, after) {
      if (this.started && before !== after) this.load();
    }

    connectedCallback() {
      if (!this.started) {
        this.started = true;
        this.load();
      }
      this.timer = setInterval(() => document.visibilityState === "visible" && this.refresh(), REFRESH_MS);
      document.addEventListener("visibilitychange", this.refresh);
    }

    disconnectedCallback() {
      clearInterval(this.timer);
      document.removeEventListener("visibilitychange", this.refresh);
    }

    show(content) {
      this.shadowRoot.replaceChildren(...(SHEET ? [] : [h("style", {}, STYLE)]), content);
    }

    get slug() {
      return encodeURIComponent(this.getAttribute("petition") || "");
    }

    async load() {
      this.show(h("div", { class: "card", "aria-busy": "true" }));
      let data = {};
      try {
        data = await widgetData(this.slug, requestedLocale(this.getAttribute("lang")));
      } catch {
        // Offline, or the service away: no words either.
      }
      this.t = data.words;
      this.petition = data.petition;
      this.unreachable = !this.t;
      if (!this.petition) {
        this.card = null; // nothing for the count to refresh
        if (this.unreachable) return this.sayUnreachable();
        this.shadowRoot.querySelector(".card").replaceChildren(h("p", { role: "alert" }, this.t.widget.load_failed));
        return;
      }
      this.locale = this.t.locale; // the words' language, which the service chose
      this.render();
    }

    // No data came: say so in the element's language, and, if the page's policy refused us, what
    // its owner must allow (on the console too, where they look), with a way to sign elsewhere.
    sayUnreachable() {
      const languages = [this.getAttribute("lang"), requestedLocale(null), this.closest("[lang]")?.lang, ...navigator.languages];
      const code = languages.map((tag) => (tag || "").slice(0, 2).toLowerCase()).find((tag) => tag in UNREACHABLE);
      const words = UNREACHABLE[code || "en"];
      const card = this.shadowRoot.querySelector(".card");
      if (!words || !card) return card?.replaceChildren(h("p", { role: "alert" }, "This petition could not be loaded."));
      const page = new URL(`p/${this.slug}?lang=${code || "en"}`, SERVICE).href;
      card.setAttribute("lang", code || "en");
      card.removeAttribute("aria-busy");
      card.replaceChildren(
        h("p", { role: "alert" }, blockedByPolicy ? words.blocked : words.failed),
        blockedByPolicy ? h("p", {}, h("a", { href: page, target: "_blank", rel: "noopener" }, words.open)) : null,
      );
      if (blockedByPolicy && !this.told) {
        this.told = true;
        console.error(fill(words.blocked_console, { service: SERVICE.origin }));
      }
    }

    render() {
      const { t, petition } = this;
      const body = petition.body_html ? bodyOf(petition) : null;
      const open = petition.status === "open";
      this.card = h(
        "section",
        { class: "card", lang: this.locale, "aria-labelledby": "title" },
        h("h2", { id: "title" }, petition.title),
        petition.summary ? h("p", { class: "summary" }, petition.summary) : null,
        body || petition.target
          ? h(
              "details",
              {},
              h("summary", {}, t.widget.read_more),
              petition.target ? h("p", { class: "target" }, `${t.petition.addressed_to}: ${petition.target}`) : null,
              body,
            )
          : null,
        h("p", { class: "count" }),
        petition.goal ? h("div", { class: "bar", role: "progressbar", "aria-valuemin": "0" }, h("span")) : null,
        open && petition.closes_on ? h("p", { class: "closes" }, fill(t.content.closes_on, { date: petition.closes_on })) : null,
        open ? this.form() : h("p", { class: "status", role: "status" }, t.sign.closed),
      );
      this.show(this.card);
      this.showCount(petition.signature_count);
    }

    showCount(count) {
      const { t, petition } = this;
      const number = numberFormat(this.locale);
      const plural = new Intl.PluralRules(this.locale).select(count);
      const [before, after] = (t.petition.count[plural] || t.petition.count.other).split("{count}");
      const goal = petition.goal ? ` · ${fill(t.petition.goal, { goal: number.format(petition.goal) })}` : "";
      this.card
        .querySelector(".count")
        .replaceChildren(before, h("strong", {}, number.format(count)), after, h("span", { class: "goal" }, goal));
      const bar = this.card.querySelector(".bar");
      if (bar) {
        bar.setAttribute("aria-valuemax", petition.goal);
        bar.setAttribute("aria-valuenow", Math.min(count, petition.goal));
        bar.setAttribute("aria-label", fill(t.petition.progress, { count: number.format(count), goal: number.format(petition.goal) }));
        bar.firstChild.style.width = `${Math.min(100, (100 * count) / petition.goal)}%`;
      }
    }

    async refresh() {
      if (!this.card || document.visibilityState !== "visible") return;
      try {
        const { signature_count: count } = await getJSON(`api/v1/petitions/${this.slug}/count`);
        this.showCount(count);
      } catch {
        // A missed refresh is harmless: the next one will catch up.
      }
    }

    form() {
      const { t, petition } = this;
      const optional = () => h("span", { class: "optional" }, ` (${t.form.optional})`);
      const field = (name, label, control) =>
        h("div", { class: "field" }, h("label", { for: name }, ...label), control, h("p", { class: "error", id: `${name}-error`, hidden: true }));
      const check = (name, label, checked = false) =>
        h("div", { class: "check" }, h("input", { id: name, name, type: "checkbox", checked }), h("label", { for: name }, label));

      this.status = h("p", { class: "status", role: "status", "aria-live": "polite" });
      this.formElement = h(
        "form",
        { novalidate: true, onsubmit: (event) => this.submit(event) },
        field("name", [t.form.name], h("input", { id: "name", name: "name", autocomplete: "name", required: true, maxlength: t.limits.name })),
        field("email", [t.form.email], h("input", { id: "email", name: "email", type: "email", autocomplete: "email", required: true, maxlength: t.limits.email })),
        field(
          "country",
          [t.form.country],
          h(
            "select",
            { id: "country", name: "country", autocomplete: "country", required: true },
            h("option", { value: "" }, t.form.country_choose),
            // Chosen for the reader only when the guess is good (a Kazakh page: Kazakhstan).
            ...t.countries.map(([code, name]) => h("option", { value: code, selected: code === t.country }, name)),
          ),
        ),
        h(
          "div",
          { class: "row" },
          field("city", [t.form.city, optional()], h("input", { id: "city", name: "city", autocomplete: "address-level2", maxlength: t.limits.city })),
          field("postcode", [t.form.postcode, optional()], h("input", { id: "postcode", name: "postcode", autocomplete: "postal-code", maxlength: t.limits.postcode })),
        ),
        field("comment", [t.form.comment, optional()], h("textarea", { id: "comment", name: "comment", rows: "3", maxlength: t.limits.comment })),
        check("named", t.form.named, Boolean(petition.named_default)),
        check("public", t.form.public),
        check("contact_consent", t.form.contact_consent),
        // The honeypot, which bots fill: `hidden` hides it even where a page's CSP blocks our styles.
        h(
          "div",
          { hidden: true, "aria-hidden": "true" },
          h("label", { for: "website" }, t.form.honeypot),
          h("input", { id: "website", name: "website", tabindex: "-1", autocomplete: "off" }),
        ),
        h(
          "div",
          { class: "privacy who-sees" },
          h("p", {}, h("strong", {}, t.form.who_sees)),
          // Entries wait for approval unless the petition shows them at once (wall_mode "show").
          // A partner sees anything only of what it collected: said only where one does (source=).
          h(
            "ul",
            {},
            ...["sees_addressee", petition.wall_mode === "show" ? "sees_wall_show" : "sees_wall", "sees_organisers", this.getAttribute("source") ? "sees_partners" : null]
              .filter(Boolean)
              .map((key) => h("li", {}, t.form[key])),
          ),
        ),
        h("p", { class: "privacy" }, t.form.privacy),
        // The notice is a page of the service: a new tab, never inside the partner's page.
        h(
          "p",
          { class: "privacy" },
          h("a", { class: "notice-link", href: new URL(`p/${this.slug}/privacy?lang=${this.locale}`, SERVICE).href, target: "_blank", rel: "noopener" }, t.privacy.link),
        ),
        h("button", { type: "submit" }, t.form.submit),
        this.status,
      );
      return this.formElement;
    }

    signatureBody() {
      const form = this.formElement;
      const body = {
        locale: this.locale,
        named: form.named.checked,
        public: form.public.checked,
        contact_consent: form.contact_consent.checked,
      };
      for (const name of ["name", "email", "country", "city", "postcode", "comment", "website"]) {
        if (form[name].value.trim()) body[name] = form[name].value;
      }
      if (this.getAttribute("source")) body.source = this.getAttribute("source");
      return body;
    }

    say(message, problem = false) {
      this.status.textContent = message;
      this.status.classList.toggle("problem", problem);
    }

    showFieldErrors(fields) {
      for (const control of this.formElement.querySelectorAll("input, select, textarea")) {
        const error = this.shadowRoot.getElementById(`${control.name}-error`);
        const message = fields[control.name];
        if (!error) continue;
        error.textContent = message || "";
        error.hidden = !message;
        if (message) {
          control.setAttribute("aria-invalid", "true");
          control.setAttribute("aria-describedby", error.id);
        } else {
          control.removeAttribute("aria-invalid");
          control.removeAttribute("aria-describedby");
        }
      }
      const first = this.formElement.querySelector("[aria-invalid=true]");
      if (first) first.focus();
    }

    async submit(event) {
      event.preventDefault();
      const { t } = this;
      const button = this.formElement.querySelector("button[type=submit]");
      this.showFieldErrors({});
      if (!navigator.onLine) return this.say(t.sign.offline, true);
      button.disabled = true;
      this.say(t.form.sending);
      const body = this.signatureBody();
      const send = () =>
        fetch(new URL(`api/v1/petitions/${this.slug}/signatures`, SERVICE), {
          method: "POST",
          credentials: "omit",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
      let response;
      try {
        response = await send();
        // Signing is fast from this network just now: solve the challenge and send again.
        for (let tries = 0; response.status === 428 && tries < 3; tries += 1) {
          const { error } = await response.json();
          this.say(t.sign.solving);
          body.altcha = await solve(error.challenge);
          response = await send();
        }
        // Many people are signing: the service took nothing and asks to come back after
        // Retry-After. The same person sent again is the same signature, never a second one.
        for (let tries = 0; response.status === 503 && tries < 10; tries += 1) {
          const { error } = await response.clone().json().catch(() => ({}));
          if (!error || error.code !== "overloaded") break;
          const seconds = Math.min(Math.max(Number(response.headers.get("Retry-After")) || 5, 1), 60);
          const form = new Intl.PluralRules(this.locale).select(seconds);
          this.say(fill(t.overload.retrying[form] || t.overload.retrying.other, { count: seconds }));
          await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
          response = await send();
        }
      } catch {
        button.disabled = false;
        return this.say(navigator.onLine ? t.sign.failed : t.sign.offline, true);
      }
      button.disabled = false;
      if (response.status === 202) return this.showDone();
      const answer = await response.json().catch(() => ({}));
      const problem = answer.error || {};
      if (response.status === 422) {
        this.say(t.errors.summary, true);
        return this.showFieldErrors(problem.fields || {});
      }
      if (response.status === 409) return this.say(t.sign.closed, true);
      if (response.status === 429) return this.say(t.sign.rate_limited, true);
      return this.say(t.sign.failed, true);
    }

    showDone() {
      const { t, petition } = this;
      const link = new URL(`p/${this.slug}?lang=${this.locale}`, SERVICE).href; // shared in this language
      const invitation = fill(t.share.invitation, { title: innerQuotes(this.locale, petition.title) });
      const copy = h("button", { type: "button", onclick: () => this.copyLink(link, copy) }, t.share.copy_link);
      const heading = h("h3", { tabindex: "-1" }, t.sign.success_heading);
      const out = (href, label) => h("li", {}, h("a", { href, target: "_blank", rel: "noopener noreferrer" }, label));
      const done = h(
        "div",
        { class: "done", role: "status" },
        heading,
        h("p", {}, t.sign.success),
        h("h3", {}, t.share.heading),
        h(
          "ul",
          { class: "share" },
          h("li", {}, copy),
          out(`mailto:?subject=${encodeURIComponent(petition.title)}&body=${encodeURIComponent(`${invitation}\n${link}`)}`, t.share.email),
          out(`https://wa.me/?text=${encodeURIComponent(`${invitation} ${link}`)}`, "WhatsApp"),
          out(`https://t.me/share/url?url=${encodeURIComponent(link)}&text=${encodeURIComponent(invitation)}`, "Telegram"),
        ),
      );
      this.formElement.replaceWith(done);
      heading.focus();
    }

    async copyLink(link, button) {
      try {
        await navigator.clipboard.writeText(link);
        button.textContent = this.t.share.copied;
      } catch {
        // No clipboard (an insecure page, or refused): show the link to copy by hand.
        button.replaceWith(h("input", { value: link, readonly: true, "aria-label": this.t.share.copy_link }));
      }
    }
  }

  customElements.define("undersign-petition", UndersignPetition);
})();
