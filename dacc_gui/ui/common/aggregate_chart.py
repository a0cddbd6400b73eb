"""DACC aggregates as bars: one statistic per group and period, hidden groups greyed.

The DACC only publishes an aggregate once enough users contributed to it
(the privacy threshold, 5 by default); below that it keeps the row but hides
it. This chart shows those rows anyway, greyed and labelled, so that QA sees
which groups exist but are not published yet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from dacc_gui.dacc.measures import load_catalog
from dacc_gui.rules.series import AggregateBar, aggregate_bars, aggregate_measures, hidden_label
from dacc_gui.ui.common.chart_hover import HoverFinder, HoverTarget
from dacc_gui.ui.common.chart_layout import TICK_GAP_PX, LegendPlan, overlap, period_labels, tick_step
from dacc_gui.ui.common.compact import compact_combo
from dacc_gui.ui.common.chart_style import (
    BAR_SPAN,
    HIDDEN_GREY,
    LEGEND_SIZE,
    TITLE_SIZE,
    bar_brush,
    fill_legend,
    format_value,
    refit_scene,
    wrap_title,
    style_plot,
    theme,
)


STATISTICS = (("Average", "avg"), ("Sum", "sum"), ("Count", "count"), ("Minimum", "min"), ("Maximum", "max"))
EMPTY_MESSAGE = "No aggregates: fetch them from the DACC to see them here"
HOVER_HINT = "Hover a bar to read its period, group and value."
# a hidden aggregate usually carries no value: draw a stub this share of the tallest bar
HIDDEN_STUB = 0.08
# more groups than this: the hidden ones are summed up as one grey bar per period
MAX_GROUP_SLOTS = 12


class PeriodAxis(pg.AxisItem):
    """The periods as x ticks (bar slots 0, 1, 2...), as many labelled as fit: labels never run together."""

    def __init__(self) -> None:
        super().__init__(orientation="bottom")
        self.periods: list[str] = []
        self._shown: dict[int, str] = {}

    def set_periods(self, periods: Sequence[str]) -> None:
        self.periods = [str(p)[:10] for p in periods]
        self._short = period_labels(self.periods)
        self.picture = None
        self.update()

    def ticks_for(self, low: float, high: float, size: float) -> list[tuple[int, str]]:
        """(slot, label) of the ticks drawn when slots ``low``..``high`` take ``size`` pixels."""
        n = len(self.periods)
        if not n or size <= 0 or high <= low:
            return []
        metrics = QtGui.QFontMetricsF(self.style["tickFont"] or self.font())
        slot_px = size / (high - low)
        labels = self.periods
        if max(metrics.horizontalAdvance(p) for p in labels) + TICK_GAP_PX > slot_px:
            labels = self._short  # not room for them all in full: shorter, and only every n-th
        step = tick_step(max(metrics.horizontalAdvance(p) for p in labels), slot_px)
        first, last = max(0, math.ceil(low)), min(n - 1, math.floor(high))
        return [(i, labels[i]) for i in range(first, last + 1) if i % step == 0]

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803
        ticks = self.ticks_for(minVal, maxVal, size)
        self._shown = dict(ticks)
        return [(1.0, [float(i) for i, _ in ticks])]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        return [self._shown.get(int(round(v)), "") for v in values]


class AggregateChart(QtWidgets.QWidget):
    """Bars of one statistic of DACC aggregates, per period and group."""

    def __init__(self, parent: QtWidgets.QWidget | None = None, light: bool = True):
        super().__init__(parent)
        self._rows: list[dict[str, Any]] = []
        self.theme = theme(light)
        self.drawn: list[tuple[AggregateBar, float]] = []  # each bar and the height drawn
        self._legend_entries: list[tuple[Any, str]] = []  # (item, name): what the legend would show
        self._bar_labels: list[pg.TextItem] = []
        self._periods_x = (-0.6, 0.6)  # the x range of the periods' slots
        self._x_range = (-0.6, 0.6)  # the x range set (the periods', widened for the edge labels)
        self.hidden_summarised = False  # hidden groups drawn as one bar per period
        self.tick_font: QtGui.QFont | None = None  # None: the charts' usual size
        self.legend_plan: LegendPlan | None = None
        self.items: dict[str, pg.BarGraphItem] = {}  # group label (or hidden label) -> bars

        self.measure_combo = QtWidgets.QComboBox()
        compact_combo(self.measure_combo, 24)
        self.statistic_combo = QtWidgets.QComboBox()
        for text, key in STATISTICS:
            self.statistic_combo.addItem(text, key)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(self.theme.background)
        self.graphics.ci.setContentsMargins(12, 8, 16, 8)
        self.title = self.graphics.addLabel("", row=0, col=0, size=TITLE_SIZE, justify="left")
        self.period_axis = PeriodAxis()
        self.plot = self.graphics.addPlot(row=1, col=0, axisItems={"bottom": self.period_axis})
        self.plot.setMenuEnabled(False)
        self.legend = pg.LegendItem(labelTextSize=LEGEND_SIZE, colCount=2,
                                    labelTextColor=self.theme.foreground)
        self.graphics.ci.addItem(self.legend, row=2, col=0)
        self.hover = HoverFinder(self.plot)
        # Where texts go depends on the size and the zoom: laid out again, once, after either changes.
        self._texts_timer = QtCore.QTimer(self)
        self._texts_timer.setSingleShot(True)
        self._texts_timer.setInterval(0)
        self._texts_timer.timeout.connect(self._lay_out_texts)
        self.plot.getViewBox().sigTransformChanged.connect(lambda *_: self._texts_timer.start())
        self.hover.set_marker_colour(self.theme.foreground)
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.graphics.installEventFilter(self)

        self.empty_label = QtWidgets.QLabel(EMPTY_MESSAGE)
        self.empty_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setStyleSheet("font-size: 15pt; color: palette(mid); padding: 40px;")
        self.empty_label.setWordWrap(True)
        self.stack = QtWidgets.QStackedWidget()
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(self.graphics)
        self.readout = QtWidgets.QLabel(HOVER_HINT)
        self.readout.setStyleSheet("font-size: 11pt; padding: 4px;")
        self.readout.setWordWrap(True)

        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(QtWidgets.QLabel("Measure:"))
        bar.addWidget(self.measure_combo)
        bar.addWidget(QtWidgets.QLabel("Statistic:"))
        bar.addWidget(self.statistic_combo)
        bar.addStretch(1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.readout)

        self.measure_combo.currentIndexChanged.connect(self._redraw)
        self.statistic_combo.currentIndexChanged.connect(self._redraw)
        self._redraw()

    # --- public API ---------------------------------------------------------
    def set_aggregates(self, rows: Sequence[dict[str, Any]]) -> None:
        """Show these DACC aggregate rows (an empty list shows the empty state)."""
        self._rows = [r for r in rows if isinstance(r, dict)]
        keep = self.measure_combo.currentData()
        names = aggregate_measures(self._rows)
        with QtCore.QSignalBlocker(self.measure_combo):
            self.measure_combo.clear()
            for name in names:
                self.measure_combo.addItem(name, name)
            if keep in names:
                self.measure_combo.setCurrentIndex(names.index(keep))
        self._redraw()

    def select_measure(self, name: str) -> None:
        index = self.measure_combo.findData(name)
        if index < 0:
            raise KeyError(f"no aggregates of measure {name!r}")
        self.measure_combo.setCurrentIndex(index)

    def set_statistic(self, statistic: str) -> None:
        """One of ``avg``, ``sum``, ``count``, ``min``, ``max``."""
        index = self.statistic_combo.findData(statistic)
        if index < 0:
            raise KeyError(f"unknown statistic {statistic!r}")
        self.statistic_combo.setCurrentIndex(index)

    def is_empty(self) -> bool:
        return self.stack.currentWidget() is self.empty_label

    def readout_text(self) -> str:
        return self.readout.text()

    def export_png(self, path: str | Path, width: int | None = None) -> Path:
        """Save the chart as a PNG (``width`` pixels wide, default as shown)."""
        from pyqtgraph.exporters import ImageExporter

        path = Path(path).with_suffix(".png")
        exporter = ImageExporter(self.graphics.scene())
        exporter.parameters()["background"] = pg.mkColor(self.theme.background)
        if width:
            exporter.parameters()["width"] = int(width)
        if not exporter.export(toBytes=True).save(str(path), "PNG"):
            raise OSError(f"could not write the PNG file {path}")
        return path

    # --- drawing ------------------------------------------------------------
    def _redraw(self) -> None:
        measure = self.measure_combo.currentData()
        statistic = self.statistic_combo.currentData()
        self.plot.clear()
        self.drawn, self.items = [], {}
        self._legend_entries, self._bar_labels = [], []
        self.legend.clear()
        self.legend_plan = None
        self.hidden_summarised = False
        self.readout.setText(HOVER_HINT)
        if measure is None:
            self.legend.clear()
            self.period_axis.set_periods([])
            self.stack.setCurrentWidget(self.empty_label)
            return
        self.stack.setCurrentWidget(self.graphics)
        bars = aggregate_bars(self._rows, statistic, measure)
        definition = load_catalog().get(measure)
        threshold = definition.aggregationThreshold if definition else None
        hidden_text = hidden_label(threshold)
        periods = sorted({b.period for b in bars})
        labels = sorted({b.label for b in bars})
        statistic_name = self.statistic_combo.currentText().lower()
        self.title.setText(
            f"<b>{measure}</b>  <span style='font-weight:normal'>{statistic_name} per group and period"
            f" (DACC aggregates)</span>",
            color=self.theme.foreground, size=TITLE_SIZE,
        )
        style_plot(self.plot, self.theme, statistic_name)
        if self.tick_font is not None:  # larger, for a room (the presentation)
            for name in ("bottom", "left"):
                self.plot.getAxis(name).setTickFont(self.tick_font)
        self.period_axis.set_periods(periods)

        # Many groups (a page, a feature and a parameter each): one slot per group would make
        # slivers of them all. The hidden ones then share one grey bar per period.
        published = sorted({b.label for b in bars if not b.hidden})
        self.hidden_summarised = len(labels) > MAX_GROUP_SLOTS and len(published) < len(labels)
        slots = published + [hidden_text] if self.hidden_summarised else labels
        values = [b.value for b in bars if b.value is not None and not (self.hidden_summarised and b.hidden)]
        tallest = max((abs(v) for v in values), default=0.0) or 1.0
        slot = BAR_SPAN / max(len(slots), 1)
        offsets = {label: (i - (len(slots) - 1) / 2) * slot for i, label in enumerate(slots)}
        column = {p: i for i, p in enumerate(periods)}

        targets: list[HoverTarget] = []
        hidden_x, hidden_h, hidden_texts = [], [], []
        n_hidden = sum(1 for b in bars if b.hidden)
        for i, label in enumerate(labels):
            xs, hs = [], []
            for b in bars:
                if b.label != label:
                    continue
                if b.hidden and self.hidden_summarised:
                    self.drawn.append((b, tallest * HIDDEN_STUB))
                    continue
                x = column[b.period] + offsets[label]
                height = b.value if b.value is not None else tallest * HIDDEN_STUB
                self.drawn.append((b, height))
                if b.hidden:
                    hidden_x.append(x)
                    hidden_h.append(height)
                    hidden_texts.append("hidden")
                    shown = format_value(b.value) if b.value is not None else "no value"
                    count = f" (count {b.count})" if b.count is not None else ""
                    what = f"{hidden_text}{count} · {statistic_name} {shown}"
                else:
                    xs.append(x)
                    hs.append(height)
                    what = f"{statistic_name} {format_value(height)}" + (
                        f" · count {b.count}" if b.count is not None else "")
                targets.append(HoverTarget(x, height, f"{b.period} · {label} · {what}",
                                           rect=(x - slot / 2, min(0.0, height), x + slot / 2, max(0.0, height))))
            if xs:
                item = pg.BarGraphItem(x=xs, height=hs, width=slot * 0.92, brush=bar_brush(self.theme, i),
                                       pen=pg.mkPen(self.theme.colour(i)))
                self.plot.addItem(item)
                self._legend_entries.append((item, label))
                self.items[label] = item
        if self.hidden_summarised:
            per_period: dict[str, int] = {}
            for b in bars:
                if b.hidden:
                    per_period[b.period] = per_period.get(b.period, 0) + 1
            for period, n in sorted(per_period.items()):
                x, height = column[period] + offsets[hidden_text], tallest * HIDDEN_STUB
                hidden_x.append(x)
                hidden_h.append(height)
                hidden_texts.append(f"{n} hidden")
                groups = f"{n} group{'s' if n != 1 else ''}"
                targets.append(HoverTarget(x, height, f"{period} · {groups} {hidden_text} (not drawn one by one)",
                                           rect=(x - slot / 2, 0.0, x + slot / 2, height)))
        if hidden_x:
            grey = QtGui.QBrush(QtGui.QColor(HIDDEN_GREY), QtCore.Qt.BrushStyle.Dense4Pattern)
            item = pg.BarGraphItem(x=hidden_x, height=hidden_h, width=slot * 0.92, brush=grey,
                                   pen=pg.mkPen(HIDDEN_GREY, width=1.5, style=QtCore.Qt.PenStyle.DashLine))
            self.plot.addItem(item)
            groups = f"{n_hidden:,} group{'s' if n_hidden != 1 else ''}"
            # first: what is not drawn one by one is said whatever room the legend has
            self._legend_entries.insert(0, (item, f"{groups} {hidden_text}"))
            self.items[hidden_text] = item
            for x, h, text in zip(hidden_x, hidden_h, hidden_texts):
                label_item = pg.TextItem(text, color="#707070", anchor=(0.5, 1.0))
                # Not drawn until the layout knows that none of them overlap; transparent rather than
                # hidden, since a hidden item does not follow the view and could not be measured.
                label_item.setOpacity(0.0)
                label_item.setPos(x, h)
                self.plot.addItem(label_item)
                self._bar_labels.append(label_item)
        self.hover.set_targets(targets)
        heights = [h for _, h in self.drawn] + [0.0]
        # room above the tallest bar for the "hidden" labels
        self.plot.setYRange(min(heights), max(heights) * 1.15 or 1.0, padding=0.02)
        self._periods_x = self._x_range = (-0.6, max(len(periods) - 1, 0) + 0.6)
        self.plot.setXRange(*self._x_range, padding=0)
        self._fit_legend()
        self._texts_timer.start()  # the labels once the new ranges are laid out

    # --- texts that must not run together ---------------------------------------------
    def _lay_out_texts(self) -> None:
        """The legend to the room there is, and the bar labels only if none of them overlap."""
        if self.graphics.closed:  # once closed, pyqtgraph has emptied the scene
            return
        self._fit_legend()
        refit_scene(self.graphics)
        self._place_bar_labels()

    def _place_bar_labels(self) -> None:
        labels = self._bar_labels
        if not labels:
            return
        box = self.plot.getViewBox()
        view = box.sceneBoundingRect().adjusted(-1, -1, 1, 1)
        rects = [label.sceneBoundingRect() for label in labels]
        (left, right), _ = box.viewRange()
        if (left, right) == self._x_range:  # the chart's own range, not one the user zoomed to
            wanted = self._room_for(labels, rects, view.width())
            if wanted != self._x_range:
                self._x_range = wanted
                self.plot.setXRange(*wanted, padding=0)
                return  # placed again once the new range is laid out
        # All or none: a few labels among many unlabelled bars would read as the only hidden ones.
        fits = not overlap(rects) and all(view.contains(r) for r in rects)
        for label in labels:
            label.setOpacity(1.0 if fits else 0.0)

    def _room_for(self, labels: list[pg.TextItem], rects: list[QtCore.QRectF], width: float) -> tuple[float, float]:
        """The x range that leaves room at the edges for half a label beyond the outer bars:
        the periods' range, widened by as many units as half a label takes at this width."""
        low, high = self._periods_x
        label_px = max(r.width() for r in rects)
        if not 0 < label_px < width / 3:
            return low, high  # labels this wide will not fit anyway
        xs = [label.pos().x() for label in labels]
        first, last = min(xs), max(xs)
        before = after = 0.0
        for _ in range(6):  # the wider the range, the more units half a label takes: a few rounds settle it
            half = label_px / 2 * (high + after - low + before) / width
            before, after = max(0.0, half - (first - low)), max(0.0, last + half - high)
        return low - before, high + after

    def lay_out_now(self) -> None:
        """The texts laid out at once, for a chart drawn off screen (a report's picture): a few
        passes, each once the scene has taken the new sizes and ranges (grab() lays it out)."""
        for _ in range(3):
            self.grab()
            self._lay_out_texts()
        self._texts_timer.stop()

    def texts_laid_out(self) -> bool:
        """False while a layout of the texts waits for the sizes and ranges to settle."""
        return not self._texts_timer.isActive()

    def bar_labels_shown(self) -> list[pg.TextItem]:
        return [label for label in self._bar_labels if label.isVisible() and label.opacity() > 0]

    def _fit_legend(self) -> None:
        wrap_title(self.title, self.graphics.width() - 40)
        self.legend_plan = fill_legend(self.legend, self._legend_entries, self.graphics.width(),
                                       self.graphics.height(), self.legend_plan)

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if watched is self.graphics and event.type() == QtCore.QEvent.Type.Resize and not self.graphics.closed:
            # Title and legend to the new width before the scene is laid out at it; the bar labels after.
            self._fit_legend()
            self._texts_timer.start()
        return False

    def _on_mouse_moved(self, scene_pos: QtCore.QPointF) -> None:
        target = self.hover.pick_scene_pos(scene_pos)
        self.readout.setText(target.text if target else HOVER_HINT)

