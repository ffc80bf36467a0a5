// A petition's dashboard: the counts, the goal, and where signatures come from.

import { h } from "./dom.js";
import { number } from "./format.js";
import { me } from "./session.js";

export function dashboardTab(board) {
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

/** A bar towards the goal, or a note that there is none. */
export function progress(count, goal) {
  if (!goal) return h("span", { class: "muted" }, "no goal");
  const share = Math.min(100, Math.round((100 * count) / goal));
  return h("div", { class: "progress", title: `${share}%` },
    h("div", { class: "progress-bar", style: `width:${share}%` }),
    h("span", {}, `${number(count)} / ${number(goal)}`));
}
