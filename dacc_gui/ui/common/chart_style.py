"""Look of the charts: colour-blind-friendly palette, symbols, fonts, light and dark themes.

Charts are shown in demos and pasted into reports, so they are drawn to be
read at a glance: the Okabe-Ito colours (distinguishable with the common
colour-vision deficiencies), then Paul Tol's muted ones, and a different
symbol or fill pattern each time the colours come round again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from dacc_gui.ui.common.chart_layout import LegendPlan, legend_plan, more_text

# Okabe-Ito without its yellow (unreadable on white), then Tol's muted palette.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#332288",  # indigo
    "#999933",  # olive
    "#882255",  # wine
    "#44AA99",  # teal
)
SYMBOLS = ("o", "s", "t", "d", "t1", "star", "p", "h")
FILL_PATTERNS = (
    QtCore.Qt.BrushStyle.SolidPattern,
    QtCore.Qt.BrushStyle.BDiagPattern,
    QtCore.Qt.BrushStyle.DiagCrossPattern,
    QtCore.Qt.BrushStyle.Dense4Pattern,
)
HIDDEN_GREY = "#B0B0B0"

DAY_SECONDS = 86400
BAR_SPAN = 0.8  # share of a day the bars of one day take, leaving a gap between days

TITLE_SIZE = "13pt"
LEGEND_SIZE = "10pt"
AXIS_POINT_SIZE = 11


@dataclass(frozen=True)
class Theme:
    """Colours of one background choice."""

    name: str
    background: str
    foreground: str
    grid_alpha: float
    legend_fill: str
    first_colour: str  # replaces the palette's first colour when it would not show

    def colour(self, index: int) -> str:
        colours = (self.first_colour,) + PALETTE[1:]
        return colours[index % len(colours)]


LIGHT = Theme("light", "#FFFFFF", "#202020", 0.25, "#FFFFFFE6", PALETTE[0])
DARK = Theme("dark", "#1E1E1E", "#E0E0E0", 0.2, "#1E1E1EE6", "#F0E442")  # Okabe-Ito yellow: reads on dark


def theme(light: bool) -> Theme:
    return LIGHT if light else DARK


def symbol(index: int) -> str:
    """Same colour again means another symbol, so series never look alike."""
    return SYMBOLS[(index // len(PALETTE)) % len(SYMBOLS)]


def bar_brush(t: Theme, index: int, alpha: int = 255) -> QtGui.QBrush:
    colour = QtGui.QColor(t.colour(index))
    colour.setAlpha(alpha)
    pattern = FILL_PATTERNS[(index // len(PALETTE)) % len(FILL_PATTERNS)]
    return QtGui.QBrush(colour, pattern)


def axis_font() -> QtGui.QFont:
    font = QtGui.QFont()
    font.setPointSize(AXIS_POINT_SIZE)
    return font


def style_plot(plot: pg.PlotItem, t: Theme, y_label: str) -> None:
    """Axes, fonts and grid of one plot in theme ``t``."""
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(t.foreground))
        axis.setTextPen(pg.mkPen(t.foreground))
        axis.setTickFont(axis_font())
    left = plot.getAxis("left")
    # Values at their real scale: pyqtgraph would draw 0.73 as 730 under "(x0.001)".
    left.enableAutoSIPrefix(False)
    left.setLabel(y_label, color=t.foreground, **{"font-size": "11pt"})
    plot.showGrid(x=False, y=True, alpha=t.grid_alpha)


def legend_font(legend: pg.LegendItem) -> QtGui.QFont:
    """The font a legend writes its labels in (its size is a "10pt" string)."""
    font = QtGui.QFont()
    size = str(legend.opts.get("labelTextSize") or "9pt")
    if size.endswith("pt"):
        font.setPointSizeF(float(size[:-2]))
    elif size.endswith("px"):
        font.setPixelSize(int(float(size[:-2])))
    return font


def wrap_title(title: pg.LabelItem, width: float) -> None:
    """Let a chart's title wrap at ``width`` pixels instead of widening the scene past the view."""
    width = max(120.0, float(width))
    if abs(title.item.textWidth() - width) > 1:
        title.item.setTextWidth(width)
        title.updateMin()


def refit_scene(view: pg.GraphicsView) -> None:
    """Lay the scene out again at the view's size, after texts in it got narrower."""
    central = view.centralWidget
    if central is not None and abs(central.geometry().width() - view.width()) > 1:
        view.resizeEvent(None)


LEGEND_SHARE = 0.3  # of the chart's height, at most; the entries that do not fit are counted


def fill_legend(legend: pg.LegendItem, entries: Sequence[tuple[Any, str]], width: float, height: float,
                previous: LegendPlan | None = None) -> LegendPlan | None:
    """Put ``(item, name)`` entries in ``legend``: as many columns as fit ``width``, as many rows
    as fit ``LEGEND_SHARE`` of ``height``, then "… and N more". Returns the plan followed."""
    if not entries:
        legend.clear()
        return None
    metrics = QtGui.QFontMetricsF(legend_font(legend))
    max_rows = int(max(height, 200) * LEGEND_SHARE // (metrics.height() * 1.6))  # a label's margins
    plan = legend_plan([name for _, name in entries], metrics.horizontalAdvance, max(width - 40, 200), max_rows)
    if plan == previous and len(legend.items) == len(plan.shown) + bool(plan.more):
        return plan  # the same legend: rebuilding it would only resize the plot again
    legend.clear()
    legend.setColumnCount(plan.columns)
    for item, name in entries[:len(plan.shown)]:
        legend.addItem(item, name)
    if plan.more:
        # an entry with no sample to draw; kept by the legend, or Python would free it under Qt's feet
        legend.more_item = pg.PlotDataItem(pen=None)
        legend.addItem(legend.more_item, more_text(plan.more))
    return plan


def day_x(day: dt.date) -> float:
    """A day as the x of a date axis: midnight UTC, so labels show the day as written."""
    return float(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())


def x_day(x: float) -> dt.date:
    """The day an x position falls in (the inverse of :func:`day_x`, rounded to the nearest day)."""
    return dt.datetime.fromtimestamp(round(x / DAY_SECONDS) * DAY_SECONDS, dt.timezone.utc).date()


def format_value(value: float) -> str:
    """Counts as integers, other numbers with at most two decimals."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def y_label_for(measure: str) -> str:
    """What a measure's values are, for the y axis."""
    if measure.endswith("-duration"):
        return "seconds"
    if measure == "quiz-stars":
        return "stars"
    if measure.startswith("consumption-variation"):
        return "variation (%)"
    if "count" in measure or "attempts" in measure or measure.endswith("-daily"):
        return "count"
    return "value"
