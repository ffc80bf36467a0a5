"""The pictures on a petition's page as plain numbers for SVG and CSS: no chart library."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

# The growth picture's own coordinate space; the SVG scales it to any width.
WIDTH, HEIGHT, PAD = 600, 160, 6


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    percent: float  # of the largest bar, so the leader fills the row


@dataclass(frozen=True)
class Growth:
    line: str  # SVG polyline points
    area: str  # SVG polygon points: the line closed along the bottom
    start: date
    end: date
    first: int
    total: int


def country_bars(
    by_country: Mapping[str, int], names: Mapping[str, str], other_label: str, top: int = 8
) -> list[Bar]:
    """Return the `top` countries by signatures, the rest summed as one last bar."""
    ranked = sorted(by_country.items(), key=lambda item: (-item[1], names.get(item[0], item[0])))
    shown = [(names.get(code, code), n) for code, n in ranked[:top]]
    rest = sum(n for _, n in ranked[top:])
    if rest:
        shown.append((other_label, rest))
    largest = max((n for _, n in shown), default=0)
    return [Bar(label, n, round(100 * n / largest, 1)) for label, n in shown]


def growth(by_day: Sequence[Mapping[str, Any]]) -> Growth | None:
    """Return the cumulative count day by day, spaced by calendar days so quiet spells show."""
    days = [(date.fromisoformat(str(row["date"])[:10]), int(row["count"])) for row in by_day]
    if not days:
        return None
    start, end = days[0][0], days[-1][0]
    # The line rises from nothing on the eve of the first day, so even one day shows growth.
    span = (end - start).days + 1
    total, points = 0, [(0.0, 0)]
    for day, n in days:
        total += n
        points.append((((day - start).days + 1) / span, total))

    def xy(fraction: float, value: int) -> str:
        x = PAD + fraction * (WIDTH - 2 * PAD)
        y = HEIGHT - PAD - value / total * (HEIGHT - 2 * PAD)
        return f"{x:.1f},{y:.1f}"

    line = " ".join(xy(f, v) for f, v in points)
    bottom = f"{WIDTH - PAD:.1f},{HEIGHT - PAD:.1f} {PAD:.1f},{HEIGHT - PAD:.1f}"
    return Growth(line, f"{line} {bottom}", start, end, days[0][1], total)
