"""The DACC aggregate chart: a statistic per group and period, hidden groups greyed."""

from __future__ import annotations

import pytest
from PySide6 import QtCore

from dacc_gui.ui.common.aggregate_chart import EMPTY_MESSAGE, AggregateChart
from dacc_gui.ui.common.chart_style import HIDDEN_GREY


def row(day, device, avg, count, hidden=False, measure="connection-count-daily"):
    return {"measureName": measure, "startDate": day, "group1": {"device": device}, "group2": None,
            "group3": None, "count": count, "countNotZero": count,
            "sum": None if avg is None else avg * count, "min": avg, "max": avg, "avg": avg,
            "std": 0.0, "hidden": hidden}


ROWS = [
    row("2022-03-01", "mobile", 2.5, 12),
    row("2022-03-01", "desktop", None, 3, hidden=True),
    row("2022-03-02", "mobile", 3.0, 9),
    row("2022-03-02", "desktop", 1.5, 6),
    row("2022-03-01", "all", 1.0, 40, measure="navigation-count-daily"),
]


@pytest.fixture
def chart(qtbot):
    widget = AggregateChart()
    qtbot.addWidget(widget)
    widget.resize(900, 560)
    return widget


def test_hidden_groups_are_greyed_and_labelled(chart):
    chart.set_aggregates(ROWS)
    chart.select_measure("connection-count-daily")
    label = "hidden: fewer than 5 contributions"
    assert set(chart.items) == {"device=desktop", "device=mobile", label}
    hidden = chart.items[label]
    assert hidden.opts["brush"].color().name().upper() == HIDDEN_GREY
    assert len(hidden.opts["height"]) == 1 and hidden.opts["height"][0] > 0  # a stub, no value
    assert list(chart.items["device=desktop"].opts["height"]) == [1.5]  # the published one only
    legend_texts = [lab.text for _, lab in chart.legend.items]
    assert f"1 group {label}" in legend_texts  # how many, and why
    hidden_bars = [b for b, _ in chart.drawn if b.hidden]
    assert [(b.period, b.label) for b in hidden_bars] == [("2022-03-01", "device=desktop")]


def test_statistic_choice_changes_the_bars(chart):
    chart.set_aggregates(ROWS)
    chart.select_measure("connection-count-daily")
    assert list(chart.items["device=mobile"].opts["height"]) == [2.5, 3.0]
    chart.set_statistic("sum")
    assert list(chart.items["device=mobile"].opts["height"]) == [30.0, 27.0]
    chart.set_statistic("count")
    assert list(chart.items["device=mobile"].opts["height"]) == [12, 9]
    with pytest.raises(KeyError):
        chart.set_statistic("median")


def test_periods_are_the_x_ticks(chart):
    chart.set_aggregates(ROWS)
    chart.select_measure("connection-count-daily")
    axis = chart.plot.getAxis("bottom")
    assert axis.ticks_for(-0.6, 1.6, 800) == [(0, "2022-03-01"), (1, "2022-03-02")]


def test_hover_on_a_hidden_bar_says_why(chart, qtbot):
    chart.set_aggregates(ROWS)
    chart.select_measure("connection-count-daily")
    chart.show()
    qtbot.waitExposed(chart)
    bar, height = next((b, h) for b, h in chart.drawn if b.hidden)
    target = next(t for t in chart.hover.targets if t.text.startswith("2022-03-01 · device=desktop"))
    pos = chart.plot.getViewBox().mapViewToScene(QtCore.QPointF(target.x, height / 2))
    chart.graphics.scene().sigMouseMoved.emit(pos)
    assert chart.readout_text() == (
        "2022-03-01 · device=desktop · hidden: fewer than 5 contributions (count 3) · average no value"
    )


def test_empty_state_and_export(chart, tmp_path):
    chart.set_aggregates([])
    assert chart.is_empty() and chart.empty_label.text() == EMPTY_MESSAGE
    chart.set_aggregates(ROWS)
    assert not chart.is_empty()
    out = chart.export_png(tmp_path / "agg.png", width=800)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
