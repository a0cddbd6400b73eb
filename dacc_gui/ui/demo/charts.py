"""Aggregate charts for the demo: the statistic worth showing, bigger text, PNG bytes for the report.

The demo reuses the Charts part's ``AggregateChart`` (hidden groups greyed
and labelled); these helpers strip its controls when it is shown alone (the
presentation, the report) and pick, per measure, the statistic a stakeholder
reads best: the number of contributions for a measure that only counts
occurrences (every value 1), the average otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6 import QtGui

from dacc_gui.ui.common.aggregate_chart import AggregateChart
from dacc_gui.ui.common.png import widget_png

STATISTIC_WORDS = {"avg": "average", "sum": "sum", "count": "number of contributions", "min": "minimum",
                   "max": "maximum"}


def default_statistic(rows: Sequence[dict[str, Any]]) -> str:
    """``count`` when every value of the measure is 1 (it counts occurrences), else ``avg``."""
    if rows and all(r.get("min") == 1 and r.get("max") == 1 for r in rows):
        return "count"
    return "avg"


def strip_controls(chart: AggregateChart) -> None:
    """Hide the combos, their labels and the hover readout: the chart alone."""
    bar = chart.layout().itemAt(0).layout()
    for n in range(bar.count()):
        widget = bar.itemAt(n).widget()
        if widget is not None:
            widget.hide()
    chart.readout.hide()


def enlarge(chart: AggregateChart, points: int) -> None:
    """Axis and legend text at ``points`` (for a room, not a desk)."""
    font = QtGui.QFont()
    font.setPointSize(points)
    chart.tick_font = font
    for name in ("bottom", "left"):
        axis = chart.plot.getAxis(name)
        axis.setStyle(tickFont=font)
        axis.label.setFont(font)
    chart.legend.setLabelTextSize(f"{points}pt")


def show_measure(chart: AggregateChart, rows: Sequence[dict[str, Any]], measure: str,
                 statistic: str | None = None) -> str:
    """Draw one measure with its best statistic; returns the statistic drawn."""
    mine = [r for r in rows if r.get("measureName") == measure]
    statistic = statistic or default_statistic(mine)
    if chart.measure_combo.findData(measure) < 0:  # not shown yet: give it the rows
        chart.set_aggregates(list(rows))
    chart.select_measure(measure)
    chart.set_statistic(statistic)
    return statistic


def report_chart(rows: Sequence[dict[str, Any]], measure: str, size: tuple[int, int] = (1100, 560)) -> AggregateChart:
    """One measure's aggregate chart alone, drawn off screen and laid out (UI thread only)."""
    chart = AggregateChart(light=True)
    strip_controls(chart)
    chart.resize(*size)
    show_measure(chart, rows, measure)
    chart.lay_out_now()  # no event loop runs before the picture is taken: the labels and legend now
    return chart


def chart_png(rows: Sequence[dict[str, Any]], measure: str, size: tuple[int, int] = (1100, 560)) -> bytes:
    """One measure's aggregate chart as PNG bytes, drawn off screen (UI thread only)."""
    chart = report_chart(rows, measure, size)
    try:
        return widget_png(chart, size)
    finally:
        chart.deleteLater()


def all_rows(aggregates: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [r for rows in aggregates.values() for r in rows]


__all__ = ["STATISTIC_WORDS", "all_rows", "chart_png", "report_chart", "default_statistic", "enlarge", "show_measure", "strip_controls"]
