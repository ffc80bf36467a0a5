// The petition page without JavaScript is complete; this only keeps the count live and
// offers a copy button for the link. A module (type="module"), for the shared fill().

import { fill } from "./fill.js";

const REFRESH_MS = 10000;
const locale = document.documentElement.lang;
// Some browsers' trimmed locale data groups Kazakh numbers "10,000"; Russian groups as Kazakh does.
const localFormat = new Intl.NumberFormat(locale);
const number =
  locale === "kk" && localFormat.format(1000).includes(",") ? new Intl.NumberFormat("ru") : localFormat;
const plural = new Intl.PluralRules(locale);

function show(block, count, goal) {
  const forms = JSON.parse(block.dataset.forms);
  block.querySelector("[data-count]").textContent = fill(forms[plural.select(count)] || forms.other, {
    count: number.format(count),
  });
  const bar = block.querySelector("[role=progressbar]");
  if (bar && goal) {
    bar.setAttribute("aria-valuenow", Math.min(count, goal));
    bar.setAttribute("aria-label", fill(block.dataset.progress, { count: number.format(count), goal: number.format(goal) }));
    bar.querySelector(".fill-value").setAttribute("width", `${Math.min(100, (100 * count) / goal)}%`);
  }
}

async function refresh() {
  if (document.visibilityState !== "visible") return;
  for (const block of document.querySelectorAll("[data-live-count]")) {
    try {
      const response = await fetch(`/api/v1/petitions/${encodeURIComponent(block.dataset.liveCount)}/count`);
      if (!response.ok) continue;
      const { signature_count: count, goal } = await response.json();
      show(block, count, goal);
    } catch {
      // Offline for a moment: the next refresh catches up.
    }
  }
}

function offerCopy(button) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(button.dataset.link);
      button.textContent = button.dataset.copied;
    } catch {
      document.querySelector(".page-link").select();
    }
  });
}

document.querySelectorAll(".copy-link").forEach(offerCopy);
setInterval(refresh, REFRESH_MS);
document.addEventListener("visibilitychange", refresh);
