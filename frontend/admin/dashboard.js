// A petition's dashboard: the counts, the goal, and where signatures come from.

import { h } from "./dom.js";
import { dayMonth, number, shortDay } from "./format.js";
import { countryName, t, tn } from "./i18n.js";
import { me } from "./session.js";

export function dashboardTab(board) {
  const c = board.petition.counts;
  const cards = [
    ["verified", c.verified],
    ["pending", c.pending],
    ["invalidated", c.invalidated],
    ["withdrawn", c.withdrawn],
  ];
  if (!me.partner) {
    cards.push(["review", board.queues.review]);
    cards.push(["comments", board.queues.comments]);
  }
  return h("div", {},
    h("div", { class: "cards" }, cards.map(([key, value]) =>
      h("div", { class: "stat", "data-stat": key }, h("div", { class: "stat-value" }, number(value)),
        h("div", { class: "stat-label" }, t(`dashboard.${key}`)),
        h("div", { class: "muted" }, t(`dashboard.${key}_note`))))),
    heldMail(board.queues.held_mail),
    board.petition.goal ? h("div", { class: "card" }, h("h2", {}, t("dashboard.goal")),
      progress(c.verified, board.petition.goal)) : null,
    h("div", { class: "card" }, h("h2", {}, t("dashboard.per_day")), dayChart(board.by_day)),
    h("div", { class: "columns" },
      h("div", { class: "card" }, h("h2", {}, t("dashboard.by_country")), barTable(board.by_country, countryName)),
      h("div", { class: "card" }, h("h2", {}, t("dashboard.by_source")), barTable(board.by_source, sourceName))));
}

// Verification emails the mail ceiling holds back: shown only while some wait.
function heldMail(held) {
  if (!held) return null;
  return h("div", { class: "card", role: "status", "data-stat": "held_mail" },
    h("h2", {}, tn("dashboard.held_mail", held)),
    h("p", { class: "muted" }, t("dashboard.held_mail_note")));
}

function dayChart(days) {
  if (!days.length) return h("p", { class: "empty" }, t("dashboard.no_verified"));
  const most = Math.max(...days.map((d) => d.count));
  return h("div", { class: "chart", role: "img", "aria-label": t("dashboard.per_day") },
    days.slice(-60).map((d) => h("div", { class: "chart-day", title: `${dayMonth(d.date)}: ${number(d.count)}` },
      h("span", { class: "chart-value" }, number(d.count)),
      h("div", { class: "chart-bar", style: `height:${Math.max(2, (100 * d.count) / most)}%` }),
      h("span", { class: "chart-label" }, shortDay(d.date)))));
}

// The API names signatures that came through no partner "direct".
const sourceName = (key) => (key === "direct" ? t("signatures.direct") : key);

function barTable(counts, label = (key) => key) {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  if (!entries.length) return h("p", { class: "empty" }, t("dashboard.nothing"));
  const most = entries[0][1];
  return h("table", { class: "bars" }, h("tbody", {}, entries.map(([key, n]) =>
    h("tr", {}, h("th", {}, label(key)), h("td", { class: "num" }, number(n)),
      h("td", { class: "bar-cell" }, h("div", { class: "bar", style: `width:${(100 * n) / most}%` }))))));
}

/** A bar towards the goal, or a note that there is none. */
export function progress(count, goal) {
  if (!goal) return h("span", { class: "muted" }, t("dashboard.no_goal"));
  const share = Math.min(100, Math.round((100 * count) / goal));
  return h("div", { class: "progress", title: `${share}%` },
    h("div", { class: "progress-bar", style: `width:${share}%` }),
    h("span", {}, `${number(count)} / ${number(goal)}`));
}
