// Exporting signatures, and the printable list for the handover.

import { get, query } from "./api.js";
import { h } from "./dom.js";
import { act } from "./router.js";
import { me } from "./session.js";

async function download(path, filename) {
  const response = await get(path);
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function exportTab(p) {
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
