"""DACC aggregates as bars: one statistic per group and period, hidden groups greyed.

The DACC only publishes an aggregate once enough users contributed to it
(the privacy threshold, 5 by default); below that it keeps the row but hides
it. This chart shows those rows anyway, greyed and labelled, so that QA sees
which groups exist but are not published yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from dacc_gui.dacc.measures import load_catalog
from dacc_gui.rules.series import AggregateBar, aggregate_bars, aggregate_measures, hidden_label
from dacc_gui.ui.common.chart_hover import HoverFinder, HoverTarget
from dacc_gui.ui.common.compact import compact_combo
from dacc_gui.ui.common.chart_style import (
    BAR_SPAN,
    HIDDEN_GREY,
    LEGEND_SIZE,
    TITLE_SIZE,
    bar_brush,
    format_value,
    style_plot,
    theme,
)


STATISTICS = (("Average", "avg"), ("Sum", "sum"), ("Count", "count"), ("Minimum", "min"), ("Maximum", "max"))
EMPTY_MESSAGE = "No aggregates: fetch them from the DACC to see them here"
HOVER_HINT = "Hover a bar to read its period, group and value."
# a hidden aggregate usually carries no value: draw a stub this share of the tallest bar
HIDDEN_STUB = 0.08


class AggregateChart(QtWidgets.QWidget):
    """Bars of one statistic of DACC aggregates, per period and group."""

    def __init__(self, parent: QtWidgets.QWidget | None = None, light: bool = True):
        super().__init__(parent)
        self._rows: list[dict[str, Any]] = []
        self.theme = theme(light)
        self.drawn: list[tuple[AggregateBar, float]] = []  # each bar and the height drawn
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
        self.plot = self.graphics.addPlot(row=1, col=0)
        self.plot.setMenuEnabled(False)
        self.legend = pg.LegendItem(labelTextSize=LEGEND_SIZE, colCount=2,
                                    labelTextColor=self.theme.foreground)
        self.graphics.ci.addItem(self.legend, row=2, col=0)
        self.hover = HoverFinder(self.plot)
        self.hover.set_marker_colour(self.theme.foreground)
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)

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
        self.legend.clear()
        self.drawn, self.items = [], {}
        self.readout.setText(HOVER_HINT)
        if measure is None:
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
        self.plot.getAxis("bottom").setTicks([[(i, p) for i, p in enumerate(periods)]])

        values = [b.value for b in bars if b.value is not None]
        tallest = max((abs(v) for v in values), default=0.0) or 1.0
        slot = BAR_SPAN / max(len(labels), 1)
        offsets = {label: (i - (len(labels) - 1) / 2) * slot for i, label in enumerate(labels)}
        column = {p: i for i, p in enumerate(periods)}

        targets: list[HoverTarget] = []
        hidden_x, hidden_h = [], []
        for i, label in enumerate(labels):
            xs, hs = [], []
            for b in bars:
                if b.label != label:
                    continue
                x = column[b.period] + offsets[label]
                height = b.value if b.value is not None else tallest * HIDDEN_STUB
                self.drawn.append((b, height))
                if b.hidden:
                    hidden_x.append(x)
                    hidden_h.append(height)
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
                self.legend.addItem(item, label)
                self.items[label] = item
        if hidden_x:
            grey = QtGui.QBrush(QtGui.QColor(HIDDEN_GREY), QtCore.Qt.BrushStyle.Dense4Pattern)
            item = pg.BarGraphItem(x=hidden_x, height=hidden_h, width=slot * 0.92, brush=grey,
                                   pen=pg.mkPen(HIDDEN_GREY, width=1.5, style=QtCore.Qt.PenStyle.DashLine))
            self.plot.addItem(item)
            self.legend.addItem(item, hidden_text)
            self.items[hidden_text] = item
            for x, h in zip(hidden_x, hidden_h):
                text = pg.TextItem("hidden", color="#707070", anchor=(0.5, 1.0))
                text.setPos(x, h)
                self.plot.addItem(text)
        self.legend.setColumnCount(1 if max((len(lb) for lb in labels), default=0) > 40 else 2)
        self.hover.set_targets(targets)
        heights = [h for _, h in self.drawn] + [0.0]
        # room above the tallest bar for the "hidden" labels
        self.plot.setYRange(min(heights), max(heights) * 1.15 or 1.0, padding=0.02)
        self.plot.setXRange(-0.6, max(len(periods) - 1, 0) + 0.6, padding=0)

    def _on_mouse_moved(self, scene_pos: QtCore.QPointF) -> None:
        target = self.hover.pick_scene_pos(scene_pos)
        self.readout.setText(target.text if target else HOVER_HINT)

