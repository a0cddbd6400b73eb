"""The Charts panel: curves per group, measure switching, summary, hover, export, empty state."""

from __future__ import annotations

import datetime as dt
import struct
import sys
from collections import Counter
from pathlib import Path

import pytest
from PySide6 import QtCore

from dacc_gui.rules.series import daily_counts, group_label, series_for
from dacc_gui.ui.charts.panel import EMPTY_MESSAGE, HOVER_HINT, VIEW_SUMMARY, ChartsPanel
from dacc_gui.ui.charts.render import render_chart_png
from dacc_gui.ui.common.chart_style import day_x
from tests.chart_data import FakeRun, ind, sample_runs

GOLDEN_02 = Path(__file__).parents[1] / "data" / "golden" / "02-missed-nights.json"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def panel(qtbot):
    widget = ChartsPanel()
    qtbot.addWidget(widget)
    widget.resize(1000, 640)
    return widget


def three_nights():
    return [
        FakeRun(dt.date(2022, 3, 2), [
            ind("connection-count-daily", "2022-03-01", 3, ("device", "mobile")),
            ind("connection-count-daily", "2022-03-01", 1, ("device", "desktop")),
            ind("navigation-count-daily", "2022-03-01", 4, ("page", "consumption")),
        ]),
        FakeRun(dt.date(2022, 3, 3), [
            ind("connection-count-daily", "2022-03-02", 2, ("device", "mobile")),
            ind("session-duration", "2022-03-02", 120, ("number_pages", "2"), ("session_type", "any")),
            ind("session-duration", "2022-03-02", 60, ("number_pages", "2"), ("session_type", "any")),
        ]),
        FakeRun(dt.date(2022, 3, 4), [
            ind("connection-count-daily", "2022-03-03", 5, ("device", "tablet-like")),
        ]),
    ]


def test_one_curve_per_group_combination(panel):
    panel.set_results(three_nights())
    panel.select_measure("connection-count-daily")
    assert not panel.is_empty()
    assert panel.measure_plot.series_labels() == ["device=desktop", "device=mobile", "device=tablet-like"]
    mobile = panel.measure_plot.items["device=mobile"]
    xs, ys = mobile.getData()
    assert list(ys) == [3.0, 2.0]
    assert list(xs) == [day_x(dt.date(2022, 3, 1)), day_x(dt.date(2022, 3, 2))]


def test_bars_draw_the_same_series(panel):
    panel.set_results(three_nights())
    panel.select_measure("connection-count-daily")
    panel.set_style("bars")
    assert panel.measure_plot.series_labels() == ["device=desktop", "device=mobile", "device=tablet-like"]
    heights = panel.measure_plot.items["device=mobile"].opts["height"]
    assert list(heights) == [3, 2]


def test_switching_measures_redraws_and_keeps_the_choice_across_new_results(panel):
    panel.set_results(three_nights())
    names = [panel.measure_combo.itemData(i) for i in range(panel.measure_combo.count())]
    assert names == ["session-duration", "connection-count-daily", "navigation-count-daily"]
    assert panel.measure_combo.itemText(1) == "connection-count-daily (4)"
    panel.select_measure("navigation-count-daily")
    assert panel.measure_plot.series_labels() == ["page=consumption"]
    panel.set_results(three_nights()[:1])
    assert panel.current_measure() == "navigation-count-daily"
    with pytest.raises(KeyError):
        panel.select_measure("quiz-stars")


def test_many_values_a_day_are_all_points_with_optional_daily_sum(panel):
    panel.set_results(three_nights())
    panel.select_measure("session-duration")
    assert panel.daily_combo.isEnabled()
    texts = [t.text for t in panel.measure_plot.hover.targets]
    assert len(texts) == 2 and all("value" in t for t in texts)
    panel.set_daily("sum")
    texts = [t.text for t in panel.measure_plot.hover.targets]
    assert sum("daily sum 180" in t for t in texts) == 1
    assert sum("· value " in t for t in texts) == 2
    panel.select_measure("connection-count-daily")
    assert not panel.daily_combo.isEnabled()


def test_summary_counts_indicators_per_measure_per_day(panel):
    runs = three_nights()
    panel.set_results(runs)
    panel.set_view(VIEW_SUMMARY)
    plot = panel.summary_plot
    assert panel.current_chart() is plot
    expected = daily_counts(runs)
    assert list(plot.items) == expected.measures
    assert list(plot.items["connection-count-daily"].opts["height"]) == [2, 1, 1]
    # stacked: each measure starts where the ones below it end
    assert list(plot.items["navigation-count-daily"].opts["y0"]) == [2 + 0, 1 + 2, 1 + 0]
    panel.set_summary_layout("grouped")
    assert list(plot.items["navigation-count-daily"].opts["y0"]) == [0, 0, 0]


def test_hover_readout_snaps_to_the_nearest_point(panel, qtbot):
    panel.set_results(three_nights())
    panel.select_measure("connection-count-daily")
    panel.show()
    qtbot.waitExposed(panel)
    chart = panel.measure_plot
    assert panel.readout_text() == HOVER_HINT
    # a little off the point: the readout snaps to it
    vb = chart.plot.getViewBox()
    px, py = vb.viewPixelSize()
    chart.scene().sigMouseMoved.emit(chart.scene_pos_of(day_x(dt.date(2022, 3, 2)) + 3 * px, 2 - 3 * py))
    assert panel.readout_text() == "2022-03-02 · device=mobile · value 2 · sent by the run of 2022-03-03"
    assert chart.hover.marker.isVisible()
    # far from everything: back to the hint
    chart.scene().sigMouseMoved.emit(chart.scene_pos_of(day_x(dt.date(2022, 3, 2)) + 300 * px, 2 + 300 * py))
    assert panel.readout_text() == HOVER_HINT


def test_hover_over_a_summary_bar(panel, qtbot):
    panel.set_results(three_nights())
    panel.set_view(VIEW_SUMMARY)
    panel.show()
    qtbot.waitExposed(panel)
    chart = panel.summary_plot
    # inside the bottom of the first day's stack: connection-count-daily holds 2 there
    chart.scene().sigMouseMoved.emit(chart.scene_pos_of(day_x(dt.date(2022, 3, 1)), 0.5))
    assert panel.readout_text() == "2022-03-01 · connection-count-daily · 2 indicators"


def test_reset_zoom_fits_the_data_again(panel, qtbot):
    panel.set_results(three_nights())
    panel.select_measure("connection-count-daily")
    vb = panel.measure_plot.plot.getViewBox()
    fitted = vb.viewRange()
    vb.scaleBy((0.1, 0.1))
    assert vb.viewRange() != fitted
    panel.reset_button.click()
    (x0, x1), (y0, y1) = vb.viewRange()
    assert x0 <= day_x(dt.date(2022, 3, 1)) and x1 >= day_x(dt.date(2022, 3, 3))
    assert y0 <= 1 and y1 >= 5


def test_export_png_of_the_current_view(panel, tmp_path, qtbot):
    panel.set_results(three_nights())
    panel.show()
    qtbot.waitExposed(panel)
    chart = panel.measure_plot
    out = panel.export_png(tmp_path / "measure")
    assert out == tmp_path / "measure.png"
    assert png_size(out.read_bytes()) == (chart.width(), chart.height())
    panel.set_view(VIEW_SUMMARY)
    wide = panel.export_png(tmp_path / "summary.png", width=1600)
    width, height = png_size(wide.read_bytes())
    assert width == 1600
    assert abs(height - round(1600 * chart.height() / chart.width())) <= 1
    assert wide.stat().st_size > 5000


def test_export_to_an_unwritable_place_says_so(panel, tmp_path):
    panel.set_results(three_nights())
    with pytest.raises(OSError, match="could not write"):
        panel.export_png(tmp_path / "no-such-dir" / "chart.png")


def test_empty_state(panel):
    panel.set_results([])
    assert panel.is_empty()
    assert panel.empty_label.text() == EMPTY_MESSAGE
    assert not panel.export_button.isEnabled()
    panel.set_results([FakeRun(dt.date(2022, 3, 2), [])])  # nights that sent nothing
    assert panel.is_empty()
    panel.set_results(three_nights())
    assert not panel.is_empty() and panel.export_button.isEnabled()


def test_unplottable_indicators_are_reported_under_the_chart(panel):
    panel.set_results([FakeRun(dt.date(2022, 3, 2), [
        ind("quiz-stars", "2022-03-01", 4, ("challenge_id", "C1"), ("quiz_id", "Q1")),
        ind("quiz-stars", "2022-13-01", 2, ("challenge_id", "C1"), ("quiz_id", "Q1")),
    ])])
    assert not panel.note.isHidden()
    assert "1 indicator(s) of quiz-stars not drawn" in panel.note.text()
    assert "'2022-13-01'" in panel.note.text()


def test_dark_background_option(panel):
    panel.set_results(three_nights())
    panel.set_light_background(False)
    assert not panel.light_check.isChecked()
    assert panel.measure_plot.theme.name == "dark"
    assert panel.measure_plot.backgroundBrush().color().name().upper() == "#1E1E1E"


def test_render_chart_png_without_a_window(qapp):
    data = render_chart_png(sample_runs(), measure="connection-count-daily", size=(900, 500))
    assert png_size(data) == (900, 500)
    summary = render_chart_png(sample_runs(), view="summary", size=(640, 360))
    assert png_size(summary) == (640, 360)
    with pytest.raises(ValueError, match="no indicators"):
        render_chart_png([])


def test_many_signals_do_not_wear_out_true(qapp):
    """pyqtgraph emits on every mouse move; the binding must not lose references doing so
    (PySide6 6.12.0 did, hence its exclusion in pyproject.toml)."""

    class Emitter(QtCore.QObject):
        fired = QtCore.Signal(int)

    emitter = Emitter()
    emitter.fired.connect(lambda _: None)
    before = sys.getrefcount(True)
    for n in range(3000):
        emitter.fired.emit(n)
    assert sys.getrefcount(True) >= before - 10


def test_real_simulation_of_a_golden_case(panel):
    from dacc_gui.events.loader import load_file
    from dacc_gui.rules import simulate

    event_set = load_file(GOLDEN_02)
    results = simulate(event_set.events, event_set.context, dt.date(2022, 3, 8), dt.date(2022, 3, 10))
    panel.set_results(results)
    indicators = [i for r in results for i in r.indicators]
    panel.select_measure("connection-count-daily")
    expected_labels = sorted({group_label(i.groups) for i in indicators if i.measureName == "connection-count-daily"})
    assert panel.measure_plot.series_labels() == expected_labels
    assert len(expected_labels) == 2  # desktop on the 7th, mobile on the 9th
    panel.set_view(VIEW_SUMMARY)
    counts = Counter((i.measureName, i.startDate) for i in indicators)
    shown = daily_counts(results)
    for (measure, day), n in counts.items():
        assert shown.count(measure, dt.date.fromisoformat(day)) == n
    # the night of the 9th sent only konnector-connected-daily for the 8th
    assert shown.count("konnector-connected-daily", dt.date(2022, 3, 8)) == 1
    assert series_for(results, "session-duration").many_per_day


def test_counts_read_in_whole_numbers_from_zero(panel):
    panel.set_results(three_nights())
    panel.select_measure("connection-count-daily")
    chart = panel.measure_plot
    assert chart.value_axis.whole_numbers
    (_, _), (y0, _) = chart.plot.getViewBox().viewRange()
    assert y0 <= 0 < 1
    panel.select_measure("session-duration")
    panel.set_daily("mean")
    assert chart.value_axis.whole_numbers  # 120, 60 and their mean 90
    panel.set_results([FakeRun(dt.date(2022, 3, 2), [ind("consumption-variation-monthly", "2022-03-02", -12.5)])])
    panel.select_measure("consumption-variation-monthly")
    assert not chart.value_axis.whole_numbers


@pytest.mark.parametrize("light", [True, False])
def test_each_theme_gives_every_series_its_own_look(light):
    from dacc_gui.ui.common.chart_style import symbol, theme

    t = theme(light)
    looks = {(t.colour(i), symbol(i)) for i in range(40)}
    assert len(looks) == 40


def test_a_hidden_charts_tab_draws_only_once_shown(qtbot):
    from PySide6 import QtWidgets

    tabs = QtWidgets.QTabWidget()
    qtbot.addWidget(tabs)
    tabs.addTab(QtWidgets.QLabel("events"), "Events")
    panel = ChartsPanel()
    tabs.addTab(panel, "Charts")
    tabs.show()
    panel.set_results(sample_runs())
    assert panel._stale and panel.measure_combo.count() > 0
    tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: not panel._stale)
    assert panel.stack.currentWidget() is panel.measure_plot
