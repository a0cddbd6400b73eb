"""Where a chart's texts go, so that they never run together: tick labels, bar labels, the legend.

Pure functions over sizes in pixels (the charts measure their texts with
their fonts and pass the widths in):

* ``period_labels``: period startDates written short ("11-01" when every
  period is in one year, "2021-11" for months);
* ``tick_step``: every how many slots a tick label fits;
* ``overlap``: whether any two boxes meet (a layout is drawn whole or not);
* ``legend_plan``: how many columns the legend takes, and which entries fit
  in the rows it may use ("… and 230 more" for the rest).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRectF

NICE_STEPS = (1, 2, 3, 5, 7, 10, 14, 15, 20, 30, 50, 100, 200, 500, 1000)
TICK_GAP_PX = 14  # room between two tick labels


def period_labels(periods: Sequence[str]) -> list[str]:
    """Labels for period startDates (``2021-11-01`` or ``2021-11-01T00:00:00``), short but unambiguous."""
    days = [p[:10] for p in periods]
    if not days:
        return []
    monthly = all(len(d) == 10 and d.endswith("-01") for d in days) and len({d[:7] for d in days}) == len(days)
    if monthly and len(days) > 1:
        return [d[:7] for d in days]
    if len({d[:4] for d in days}) == 1 and all(len(d) == 10 for d in days):
        return [d[5:] for d in days]
    return days


def tick_step(label_px: float, slot_px: float, gap_px: float = TICK_GAP_PX) -> int:
    """The smallest "nice" step (1, 2, 3, 5, 7, 10, 14...) at which labels ``label_px`` wide,
    one every ``step`` slots of ``slot_px``, leave ``gap_px`` between them."""
    if slot_px <= 0:
        return NICE_STEPS[-1]
    needed = (label_px + gap_px) / slot_px
    for step in NICE_STEPS:
        if step >= needed:
            return step
    return int(math.ceil(needed))


def overlap(rects: Sequence[QRectF]) -> bool:
    """Whether any two of these boxes meet."""
    ordered = sorted(rects, key=lambda r: r.left())
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b.left() >= a.right():
                break  # sorted by left edge: none further on can reach a
            if b.intersects(a):
                return True
    return False


@dataclass(frozen=True)
class LegendPlan:
    columns: int
    shown: list[str]  # the entries drawn, in order
    more: int  # entries left out (said as "… and N more")

    @property
    def rows(self) -> int:
        return math.ceil((len(self.shown) + (1 if self.more else 0)) / self.columns) if self.shown else 0


def more_text(n: int) -> str:
    return f"… and {n:,} more"


def legend_plan(labels: Sequence[str], text_px: Callable[[str], float], width_px: float, max_rows: int,
                sample_px: float = 30, gap_px: float = 16, max_columns: int = 6) -> LegendPlan:
    """As many columns as fit ``width_px`` (entries fill the rows left to right, as pyqtgraph's
    legend does), and at most ``max_rows`` rows: the entries that do not fit are counted, not drawn."""
    labels = list(labels)
    if not labels:
        return LegendPlan(1, [], 0)
    max_rows = max(1, max_rows)

    def columns_for(texts: list[str]) -> int:
        widths = [text_px(text) + sample_px + gap_px for text in texts]
        for n in range(min(max_columns, len(texts)), 0, -1):
            if sum(max(widths[c::n]) for c in range(n)) <= width_px:
                return n
        return 1

    columns = columns_for(labels)
    if math.ceil(len(labels) / columns) <= max_rows:
        return LegendPlan(columns, labels, 0)
    while True:  # the "… and N more" entry takes a place, and its own width
        room = max(1, columns * max_rows - 1)
        shown = labels[:room]
        fitting = columns_for(shown + [more_text(len(labels) - room)])
        if fitting >= columns or columns == 1:
            return LegendPlan(columns, shown, len(labels) - room)
        columns = fitting
