"""The two chart views of the Charts tab, drawn with pyqtgraph.

``MeasurePlot`` draws one measure over time, one series per group-value
combination; ``SummaryPlot`` draws how many indicators each measure sent per
day. Both are a title, a plot with a date axis, and a legend below, all in one
graphics scene so that an exported PNG carries all three. The data comes
already shaped from ``dacc_gui.rules.series``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from dacc_gui.dacc.measures import load_catalog
from dacc_gui.rules.series import DailyCounts, DailyReduction, MeasureSeries, Series, group_label
from dacc_gui.ui.common.chart_hover import HoverFinder, HoverTarget
from dacc_gui.ui.common.chart_style import (
    BAR_SPAN,
    DAY_SECONDS,
    LEGEND_SIZE,
    TITLE_SIZE,
    Theme,
    bar_brush,
    day_x,
    fill_legend,
    wrap_title,
    format_value,
    style_plot,
    symbol,
    theme,
    y_label_for,
)


LineStyle = Literal["lines", "bars"]
BarLayout = Literal["stacked", "grouped"]
SEP = " · "


class ValueAxis(pg.AxisItem):
    """A y axis that can keep to whole numbers: half a connection means nothing."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.whole_numbers = False

    def tickSpacing(self, minVal, maxVal, size):
        levels = super().tickSpacing(minVal, maxVal, size)
        if self.whole_numbers:
            levels = [(spacing, offset) for spacing, offset in levels if spacing >= 1] or [(1, 0)]
        return levels


class ChartView(pg.GraphicsLayoutWidget):
    """Title, date-axis plot and legend in one scene, with a hover readout."""

    hovered = QtCore.Signal(str)  # the readout text, "" when nothing is under the mouse

    def __init__(self, light: bool = True, parent=None):
        super().__init__(parent)
        self.theme: Theme = theme(light)
        self.ci.setContentsMargins(12, 8, 16, 8)
        self.title = self.addLabel("", row=0, col=0, size=TITLE_SIZE, justify="left")
        self.date_axis = pg.DateAxisItem(orientation="bottom", utcOffset=0)
        self.value_axis = ValueAxis(orientation="left")
        self.plot: pg.PlotItem = self.addPlot(
            row=1, col=0, axisItems={"bottom": self.date_axis, "left": self.value_axis}
        )
        self.plot.setMenuEnabled(False)
        self.legend = pg.LegendItem(labelTextSize=LEGEND_SIZE, colCount=2)
        self.ci.addItem(self.legend, row=2, col=0)
        self.hover = HoverFinder(self.plot)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self._y_label = ""
        self._title_text = ""
        self._y_extent: tuple[float, float] | None = None
        self._legend_entries: list[tuple[object, str]] = []  # (item, name): what the legend would show
        self.legend_plan = None
        self.apply_theme(light)

    # --- look -------------------------------------------------------------
    def apply_theme(self, light: bool) -> None:
        self.theme = theme(light)
        t = self.theme
        self.setBackground(t.background)
        style_plot(self.plot, t, self._y_label)
        self.legend.setLabelTextColor(t.foreground)
        self.legend.setPen(pg.mkPen(None))
        self.legend.setBrush(pg.mkBrush(t.legend_fill))
        self.hover.set_marker_colour(t.foreground)
        self._set_title(self._title_text)

    def _set_title(self, html: str) -> None:
        self._title_text = html
        self.title.setText(html, color=self.theme.foreground, size=TITLE_SIZE)

    def _start(self, title: str, y_label: str) -> None:
        """Clear the plot and the legend before drawing again."""
        self.plot.clear()
        self.legend.clear()
        self._legend_entries, self.legend_plan = [], None
        self._y_label = y_label
        style_plot(self.plot, self.theme, y_label)
        self._set_title(title)

    def _finish(self, targets: list[HoverTarget]) -> None:
        self._fit_legend()
        self.hover.set_targets(targets)
        ys = [t.y for t in targets] + [t.rect[1] for t in targets if t.rect]
        self._y_extent = (min(ys), max(ys)) if ys else None
        self.value_axis.whole_numbers = bool(ys) and all(float(y).is_integer() for y in ys)
        self.reset_zoom()

    def _fit_legend(self) -> None:
        """As many columns as fit, at most a share of the height; the rest counted ("… and 40 more")."""
        if not hasattr(self, "_legend_entries"):
            return  # resized while pyqtgraph sets it up
        wrap_title(self.title, self.width() - 40)
        self.legend_plan = fill_legend(self.legend, self._legend_entries, self.width(), self.height(),
                                       self.legend_plan)

    def resizeEvent(self, event) -> None:
        # Title and legend to the new size first, so that the scene is laid out at the view's width:
        # a wider view holds more legend columns, a taller one more rows.
        if not self.closed:  # once closed, pyqtgraph has emptied the scene
            self._fit_legend()
        super().resizeEvent(event)

    def reset_zoom(self) -> None:
        """Fit the data; values that are all positive are read from zero."""
        self.plot.enableAutoRange()
        self.plot.autoRange(padding=0.06)
        if self._y_extent is not None and self._y_extent[0] >= 0:
            top = self._y_extent[1] or 1.0
            self.plot.setYRange(0, top, padding=0.06)

    # --- hover ------------------------------------------------------------
    def _on_mouse_moved(self, scene_pos: QtCore.QPointF) -> None:
        target = self.hover.pick_scene_pos(scene_pos)
        self.hovered.emit(target.text if target else "")

    def scene_pos_of(self, x: float, y: float) -> QtCore.QPointF:
        """Where a data position is in the scene (what the mouse would report there)."""
        return self.plot.getViewBox().mapViewToScene(QtCore.QPointF(x, y))

    # --- export -----------------------------------------------------------
    def render_image(self, width: int | None = None):
        """The whole scene as a QImage, ``width`` pixels wide (default: as shown)."""
        from pyqtgraph.exporters import ImageExporter

        exporter = ImageExporter(self.scene())
        params = exporter.parameters()
        params["background"] = pg.mkColor(self.theme.background)
        if width:
            params["width"] = int(width)
        return exporter.export(toBytes=True)


def _slot_offsets(n: int) -> list[float]:
    """x offsets (seconds) of n side-by-side slots centred on a day."""
    width = BAR_SPAN * DAY_SECONDS / max(n, 1)
    return [(i - (n - 1) / 2) * width for i in range(n)]


def _break_at_gaps(xs: list[float], ys: list[float], gap: float) -> tuple[np.ndarray, np.ndarray]:
    """Insert NaN where consecutive days are further apart than ``gap``.

    A day without an indicator sent nothing: a line drawn across it would
    suggest values that do not exist.
    """
    out_x, out_y = [], []
    for i, (x, y) in enumerate(zip(xs, ys)):
        if i and x - xs[i - 1] > gap:
            out_x.append(np.nan)
            out_y.append(np.nan)
        out_x.append(x)
        out_y.append(y)
    return np.array(out_x, dtype=float), np.array(out_y, dtype=float)


def _is_monthly(measure: str) -> bool:
    definition = load_catalog().get(measure)
    return definition is not None and "month" in (
        definition.aggregationPeriod,
        definition.executionFrequency,
    )


def _readout(day: dt.date, label: str, what: str, run_date: dt.date | None = None) -> str:
    text = f"{day.isoformat()}{SEP}{label}{SEP}{what}"
    return f"{text}{SEP}sent by the run of {run_date.isoformat()}" if run_date else text


class MeasurePlot(ChartView):
    """One measure over time: one series per group-value combination."""

    def __init__(self, light: bool = True, parent=None):
        super().__init__(light, parent)
        self.shaped: MeasureSeries | None = None
        self.style: LineStyle = "lines"
        self.daily: DailyReduction | None = None
        self.items: dict[str, pg.GraphicsObject] = {}  # series label -> its main item
        self.legend_names: dict[str, str] = {}  # series label -> its shorter legend entry

    def show_measure(
        self,
        shaped: MeasureSeries,
        style: LineStyle = "lines",
        daily: DailyReduction | None = None,
    ) -> None:
        self.shaped, self.style, self.daily = shaped, style, daily
        self.redraw()

    def redraw(self) -> None:
        shaped = self.shaped
        if shaped is None:
            return
        definition = load_catalog().get(shaped.measure)
        description = f"  <span style='font-weight:normal'>{definition.description}</span>" if (
            definition and definition.description) else ""
        many = shaped.many_per_day
        note = ""
        if many:
            note = "each value is a point"
            if self.daily:
                drawn = "bars" if self.style == "bars" else "dashed lines, hollow symbols"
                note += f"; {drawn}: daily {self.daily}"
        title = f"<b>{shaped.measure}</b>{description}"
        shared = shaped.shared_groups()
        if shared:  # said once here rather than in every legend entry
            note = "; ".join(filter(None, [f"all series: {group_label(shared)}", note]))
        if note:
            title += f"<br><span style='font-size:10pt'>{note}</span>"
        self.legend_names = dict(zip([s.label for s in shaped.series], shaped.legend_labels()))
        self._start(title, y_label_for(shaped.measure))
        self.items = {}
        if many:
            targets = self._draw_points(shaped.series)
        elif self.style == "bars":
            targets = self._draw_bars(shaped.series)
        else:
            targets = self._draw_lines(shaped.series)
        self._finish(targets)

    def _draw_lines(self, series: list[Series]) -> list[HoverTarget]:
        gap = float("inf") if self.shaped and _is_monthly(self.shaped.measure) else DAY_SECONDS
        targets = []
        for i, s in enumerate(series):
            colour = self.theme.colour(i)
            xs = [day_x(p.day) for p in s.points]
            ys = [p.value for p in s.points]
            x, y = _break_at_gaps(xs, ys, gap)
            item = self.plot.plot(
                x, y, connect="finite", pen=pg.mkPen(colour, width=2.5),
                symbol=symbol(i), symbolSize=9, symbolBrush=colour, symbolPen=pg.mkPen(colour),
            )
            self._add_legend(item, s.label)
            targets += [
                HoverTarget(px, p.value, _readout(p.day, s.label, f"value {format_value(p.value)}", p.run_date))
                for px, p in zip(xs, s.points)
            ]
        return targets

    def _draw_bars(self, series: list[Series]) -> list[HoverTarget]:
        offsets = _slot_offsets(len(series))
        width = BAR_SPAN * DAY_SECONDS / max(len(series), 1)
        targets = []
        for i, s in enumerate(series):
            xs = [day_x(p.day) + offsets[i] for p in s.points]
            ys = [p.value for p in s.points]
            item = pg.BarGraphItem(
                x=xs, height=ys, width=width * 0.92, brush=bar_brush(self.theme, i),
                pen=pg.mkPen(self.theme.colour(i)),
            )
            self.plot.addItem(item)
            self._add_legend(item, s.label)
            targets += [
                HoverTarget(x, p.value, _readout(p.day, s.label, f"value {format_value(p.value)}", p.run_date),
                            rect=(x - width / 2, 0.0, x + width / 2, p.value))
                for x, p in zip(xs, s.points)
            ]
        return targets

    def _draw_points(self, series: list[Series]) -> list[HoverTarget]:
        """Every value as its own point, spread within its series' slot of the day."""
        offsets = _slot_offsets(len(series))
        slot = BAR_SPAN * DAY_SECONDS / max(len(series), 1)
        targets: list[HoverTarget] = []
        for i, s in enumerate(series):
            colour = self.theme.colour(i)
            if self.daily:
                targets += self._draw_daily(s.daily(self.daily), i, offsets[i], slot)
            xs, ys = [], []
            for day in s.days():
                values = [p for p in s.points if p.day == day]
                k = len(values)
                # spread the values of one day across 70% of the slot, so equal ones don't overlap
                spread = [0.0] if k == 1 else list(np.linspace(-0.35 * slot, 0.35 * slot, k))
                for p, dx in zip(values, spread):
                    x = day_x(day) + offsets[i] + dx
                    xs.append(x)
                    ys.append(p.value)
                    targets.append(HoverTarget(
                        x, p.value, _readout(p.day, s.label, f"value {format_value(p.value)}", p.run_date)))
            item = pg.ScatterPlotItem(
                x=xs, y=ys, symbol=symbol(i), size=10, brush=pg.mkBrush(colour),
                pen=pg.mkPen(self.theme.background, width=1),
            )
            self.plot.addItem(item)
            self._add_legend(item, s.label)
        return targets

    def _draw_daily(self, daily: Series, i: int, offset: float, slot: float) -> list[HoverTarget]:
        colour = self.theme.colour(i)
        xs = [day_x(p.day) + offset for p in daily.points]
        ys = [p.value for p in daily.points]
        what = f"daily {self.daily}"
        if self.style == "bars":
            self.plot.addItem(pg.BarGraphItem(
                x=xs, height=ys, width=slot * 0.92, brush=bar_brush(self.theme, i, alpha=70),
                pen=pg.mkPen(colour)))
            return [HoverTarget(x, y, _readout(p.day, daily.label, f"{what} {format_value(y)}"),
                                rect=(x - slot / 2, 0.0, x + slot / 2, y))
                    for x, y, p in zip(xs, ys, daily.points)]
        x, y = _break_at_gaps(xs, ys, DAY_SECONDS)
        # hollow symbols: a daily sum or mean, not a value that was sent
        self.plot.plot(x, y, connect="finite",
                       pen=pg.mkPen(colour, width=2, style=QtCore.Qt.PenStyle.DashLine),
                       symbol=symbol(i), symbolSize=11, symbolBrush=None,
                       symbolPen=pg.mkPen(colour, width=2))
        return [HoverTarget(px, py, _readout(p.day, daily.label, f"{what} {format_value(py)}"))
                for px, py, p in zip(xs, ys, daily.points)]

    def _add_legend(self, item, label: str) -> None:
        self._legend_entries.append((item, self.legend_names.get(label, label)))
        self.items[label] = item

    def series_labels(self) -> list[str]:
        """Labels of the series drawn, in legend order."""
        return list(self.items)


class SummaryPlot(ChartView):
    """Indicators sent per measure per day, as stacked or grouped bars."""

    def __init__(self, light: bool = True, parent=None):
        super().__init__(light, parent)
        self.counts: DailyCounts | None = None
        self.layout_kind: BarLayout = "stacked"
        self.items: dict[str, pg.BarGraphItem] = {}

    def show_counts(self, counts: DailyCounts, layout: BarLayout = "stacked") -> None:
        self.counts, self.layout_kind = counts, layout
        self.redraw()

    def redraw(self) -> None:
        counts = self.counts
        if counts is None:
            return
        self._start(
            f"<b>Indicators per day</b>  <span style='font-weight:normal'>"
            f"{counts.total()} indicators, {len(counts.measures)} measures</span>",
            "indicators",
        )
        self.items = {}
        xs = np.array([day_x(d) for d in counts.days], dtype=float)
        n = len(counts.measures)
        targets: list[HoverTarget] = []
        base = np.zeros(len(xs))
        offsets = _slot_offsets(n) if self.layout_kind == "grouped" else [0.0] * n
        width = BAR_SPAN * DAY_SECONDS / (max(n, 1) if self.layout_kind == "grouped" else 1)
        for i, measure in enumerate(counts.measures):
            heights = np.array(counts.counts[measure], dtype=float)
            x = xs + offsets[i]
            y0 = base if self.layout_kind == "stacked" else np.zeros(len(xs))
            item = pg.BarGraphItem(
                x=x, y0=y0, height=heights, width=width * (1 if self.layout_kind == "stacked" else 0.92),
                brush=bar_brush(self.theme, i), pen=pg.mkPen(self.theme.background, width=1),
            )
            self.plot.addItem(item)
            self._legend_entries.append((item, measure))
            self.items[measure] = item
            for day, cx, bottom, h in zip(counts.days, x, y0, heights):
                if h > 0:
                    what = f"{int(h)} indicator{'s' if h != 1 else ''}"
                    targets.append(HoverTarget(
                        float(cx), float(bottom + h), _readout(day, measure, what),
                        rect=(cx - width / 2, float(bottom), cx + width / 2, float(bottom + h))))
            if self.layout_kind == "stacked":
                base = base + heights
        self._finish(targets)
