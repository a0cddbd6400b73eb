"""Charts that can be read: tick labels, bar labels and legends never run together or off the chart.

The aggregate chart (the DACC view, the demo, the presentation) and the
Charts tab's plots are drawn at a 1280×800 window's sizes with the shapes
that made them unreadable: many periods with full dates, hundreds of hidden
groups, dozens of series.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from PySide6 import QtCore, QtGui

from dacc_gui.ui.common.aggregate_chart import AggregateChart
from dacc_gui.ui.common.chart_layout import legend_plan, overlap, period_labels, tick_step


def axis_texts(axis) -> list[tuple[QtCore.QRectF, str]]:
    """The tick labels an axis draws, with their boxes (as its paint would place them)."""
    image = QtGui.QImage(10, 10, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(image)
    try:
        _axis, _ticks, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [(rect, text) for rect, _flags, text in texts if text]


def aggregate_row(measure, day, groups, avg, count, hidden):
    row = {"measureName": measure, "createdBy": "ecolyo", "startDate": f"{day}T00:00:00", "count": count,
           "countNotZero": count, "sum": avg * count, "min": 1.0, "max": 3.0, "avg": avg, "std": 0.5,
           "hidden": hidden}
    for n, (key, value) in enumerate(groups.items(), start=1):
        row[f"group{n}"] = {key: value}
    return row


def navigation_actions(days: int = 14, hidden_per_day: int = 17, start: date = date(2021, 11, 1)) -> list[dict]:
    """Like the demo's navigation-action-daily: 5 published groups, hundreds hidden."""
    rows = []
    for d in range(days):
        day = (start + timedelta(days=d)).isoformat()
        for n in range(hidden_per_day):
            groups = {"page": f"page{n % 9}", "feature": f"feature{n}", "params": f"p{d}"}
            rows.append(aggregate_row("navigation-action-daily", day, groups, 1.0 + (n % 3) / 2, 2, True))
        if d % 3 == 0:
            for n in range(5):
                groups = {"page": "consumption", "feature": "change_timestep", "params": f"view{n}:multifluid"}
                rows.append(aggregate_row("navigation-action-daily", day, groups, 1.2, 6, False))
    return rows


def shown_chart(qtbot, rows, measure, size=(1100, 620), enlarge_to=None) -> AggregateChart:
    chart = AggregateChart()
    qtbot.addWidget(chart)
    if enlarge_to:
        from dacc_gui.ui.demo.charts import enlarge

        enlarge(chart, enlarge_to)
    chart.resize(*size)
    chart.show()
    qtbot.waitExposed(chart)
    chart.set_aggregates(rows)
    chart.select_measure(measure)
    settle(qtbot, chart)
    return chart


def settle(qtbot, chart) -> None:
    """Wait until the texts are laid out at the chart's size (they follow it by a timer)."""
    for _ in range(3):
        qtbot.wait(10)
        qtbot.waitUntil(chart.texts_laid_out, timeout=5_000)


def assert_readable(chart: AggregateChart) -> None:
    texts = axis_texts(chart.plot.getAxis("bottom"))
    assert texts, "no period labelled"
    assert not overlap([rect for rect, _ in texts]), [t for _, t in texts]
    labels = chart.bar_labels_shown()
    assert not overlap([label.sceneBoundingRect() for label in labels])
    scene = chart.graphics.sceneRect()
    legend = chart.legend.sceneBoundingRect()
    assert scene.contains(legend), f"the legend {legend} runs off the chart {scene}"


@pytest.mark.parametrize("enlarge_to", [None, 16])
def test_hundreds_of_hidden_groups_are_summed_up_not_smeared(qtbot, enlarge_to):
    rows = navigation_actions()
    chart = shown_chart(qtbot, rows, "navigation-action-daily", enlarge_to=enlarge_to)
    assert chart.hidden_summarised
    assert_readable(chart)
    # one grey bar per period, saying how many groups it stands for
    assert sorted({label.toPlainText() for label in chart._bar_labels}) == ["17 hidden"]
    legend = [label.text for _, label in chart.legend.items]
    assert "238 groups hidden: fewer than 5 contributions" in legend
    assert len(chart.drawn) == len(rows)  # every group is still there for the hover and the table


def test_many_periods_with_full_dates_keep_apart(qtbot):
    """The DACC view on a month: 31 startDates like "2026-11-26" on a narrow chart."""
    rows = [aggregate_row("connection-count-daily", (date(2026, 11, 3) + timedelta(days=d)).isoformat(),
                          {"device": device}, 1.5, 7, False)
            for d in range(31) for device in ("desktop", "mobile")]
    for width in (620, 900, 1280):
        chart = shown_chart(qtbot, rows, "connection-count-daily", size=(width, 500))
        assert_readable(chart)
        labelled = [text for _, text in axis_texts(chart.plot.getAxis("bottom"))]
        assert 3 <= len(labelled) < 31  # thinned, not gone
        assert all(len(text) == 5 for text in labelled)  # "11-26": the year is the same for all


def test_hidden_labels_show_only_when_they_all_fit(qtbot):
    rows = [aggregate_row("connection-count-daily", "2021-11-02", {"device": "desktop"}, 2.0, 2, True),
            aggregate_row("connection-count-daily", "2021-11-02", {"device": "laptop"}, 2.0, 3, True),
            aggregate_row("connection-count-daily", "2021-11-02", {"device": "mobile"}, 1.0, 8, False),
            aggregate_row("connection-count-daily", "2021-11-03", {"device": "mobile"}, 1.0, 9, False)]
    chart = shown_chart(qtbot, rows, "connection-count-daily")
    assert [label.toPlainText() for label in chart.bar_labels_shown()] == ["hidden", "hidden"]
    assert_readable(chart)
    chart.resize(300, 500)  # side by side, the two labels would meet: neither is drawn
    settle(qtbot, chart)
    assert chart.bar_labels_shown() == []
    assert "2 groups hidden: fewer than 5 contributions" in [label.text for _, label in chart.legend.items]


def test_a_legend_of_many_series_fits_and_counts_the_rest(qtbot):
    from dacc_gui.rules.series import MeasureSeries, Series, SeriesPoint
    from dacc_gui.ui.charts.plots import MeasurePlot

    plot = MeasurePlot()
    qtbot.addWidget(plot)
    plot.resize(900, 560)
    plot.show()
    qtbot.waitExposed(plot)
    start = date(2021, 1, 1)
    series = [Series("navigation-count-daily", (("page", f"page-number-{n:02d}"),),
                     [SeriesPoint(start + timedelta(days=d), float(n + d % 5)) for d in range(0, 365, 7)])
              for n in range(40)]
    plot.show_measure(MeasureSeries("navigation-count-daily", series))
    qtbot.wait(30)
    plan = plot.legend_plan
    assert plan.more > 0 and len(plan.shown) + plan.more == 40
    assert plot.sceneRect().contains(plot.legend.sceneBoundingRect())
    texts = axis_texts(plot.date_axis)
    assert len(texts) >= 3 and not overlap([rect for rect, _ in texts])


def test_presentation_title_names_the_app_once(qtbot):
    from PySide6.QtGui import QGuiApplication

    from tests.ui.test_demo_view import hand_made
    from dacc_gui.ui.demo.presentation import Presentation

    before = QGuiApplication.applicationDisplayName()
    QGuiApplication.setApplicationDisplayName("DACC Inspector")  # as the app sets it
    try:
        show = Presentation(hand_made())
        qtbot.addWidget(show)
        title = show.windowTitle()
        # Qt appends the application's name to a title that does not end with it
        assert title.endswith("DACC Inspector") and title.count("DACC Inspector") == 1
        assert "presentation" in title.lower()
    finally:
        QGuiApplication.setApplicationDisplayName(before)


def test_presentation_at_its_own_size_keeps_the_legend_on_screen(qtbot):
    from tests.ui.test_demo_view import hand_made
    from dacc_gui.ui.demo.presentation import Presentation

    result = hand_made()
    result.aggregates["navigation-action-daily"] = navigation_actions()
    show = Presentation(result, start="navigation-action-daily")
    qtbot.addWidget(show)
    show.resize(1280, 800)
    show.show()
    qtbot.waitExposed(show)
    settle(qtbot, show.chart)
    assert show.measure == "navigation-action-daily"
    assert_readable(show.chart)
    legend = show.chart.legend.sceneBoundingRect()
    view = show.chart.graphics
    assert legend.bottom() <= view.height()


# --- the layout rules themselves ----------------------------------------------------------------------
def test_period_labels_are_short_but_unambiguous():
    assert period_labels(["2021-11-01", "2021-11-02"]) == ["11-01", "11-02"]
    assert period_labels(["2021-12-31", "2022-01-01"]) == ["2021-12-31", "2022-01-01"]
    assert period_labels(["2021-11-01T00:00:00", "2021-12-01T00:00:00"]) == ["2021-11", "2021-12"]


def test_tick_step_leaves_room_between_labels():
    assert tick_step(40, 100) == 1
    assert tick_step(40, 20) == 3  # 54 px needed, 20 a slot
    assert tick_step(80, 10) == 10


def test_legend_plan_fills_columns_then_counts_what_does_not_fit():
    width = {"a": 40, "bb": 80}.get
    plan = legend_plan(["a", "bb", "a", "bb"], lambda t: width(t, 40), 400, 5)
    assert plan.columns == 3 and plan.more == 0
    many = [f"series {n}" for n in range(50)]
    plan = legend_plan(many, lambda t: 100.0, 320, 3)
    assert plan.columns == 2 and len(plan.shown) == 5 and plan.more == 45


def test_a_report_chart_is_laid_out_before_its_picture_is_taken(qtbot):
    """The HTML report draws its charts off screen, with no event loop in between."""
    from dacc_gui.ui.demo.charts import report_chart

    rows = navigation_actions() + [
        aggregate_row("navigation-action-daily", "2021-11-02", {"page": "a", "feature": "b", "params": "c"},
                      1.0, 2, True)]
    chart = report_chart(rows, "navigation-action-daily")
    qtbot.addWidget(chart)
    assert chart.texts_laid_out()
    shown = chart.bar_labels_shown()
    assert shown and not overlap([label.sceneBoundingRect() for label in shown])
    assert chart.graphics.sceneRect().contains(chart.legend.sceneBoundingRect())
    dense = [aggregate_row("connection-count-daily", "2021-11-02", {"device": d}, 1.0, 2, True)
             for d in ("desktop", "laptop", "mobile", "tablet", "tv", "watch")]
    chart = report_chart(dense, "connection-count-daily", size=(300, 400))
    qtbot.addWidget(chart)
    assert chart.bar_labels_shown() == []  # six labels side by side on 300 px: none rather than a smear
