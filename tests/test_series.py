"""Chart data shaping: series per measure and group, daily reductions, counts, aggregates."""

from __future__ import annotations

import datetime as dt

import pytest

from dacc_gui.rules.series import (
    NO_GROUP_LABEL,
    aggregate_bars,
    aggregate_measures,
    daily_counts,
    group_label,
    hidden_label,
    measure_names,
    measure_sends_many_per_day,
    series_for,
)
from tests.chart_data import FakeRun, ind, sample_runs

D = dt.date


def runs_two_devices():
    return [
        FakeRun(D(2022, 3, 10), [
            ind("connection-count-daily", "2022-03-09", 2, ("device", "mobile")),
            ind("connection-count-daily", "2022-03-07", 1, ("device", "desktop")),
            ind("konnector-connected-daily", "2022-03-09", 1, ("categories", "electricity")),
        ]),
        FakeRun(D(2022, 3, 9), [  # an earlier night listed later: dates must still sort
            ind("connection-count-daily", "2022-03-08", 4, ("device", "mobile")),
        ]),
    ]


def test_one_series_per_group_combination_with_sorted_dates():
    shaped = series_for(runs_two_devices(), "connection-count-daily")
    assert [s.label for s in shaped.series] == ["device=desktop", "device=mobile"]
    mobile = shaped.series[1]
    assert [(p.day, p.value) for p in mobile.points] == [(D(2022, 3, 8), 4.0), (D(2022, 3, 9), 2.0)]
    assert [p.run_date for p in mobile.points] == [D(2022, 3, 9), D(2022, 3, 10)]
    assert shaped.point_count() == 3
    assert not shaped.many_per_day


def test_other_measures_are_left_out_and_unknown_measure_is_empty():
    assert series_for(runs_two_devices(), "konnector-connected-daily").point_count() == 1
    assert series_for(runs_two_devices(), "quiz-stars").series == []


def test_groups_of_three_keys_make_one_label_each():
    runs = [FakeRun(D(2022, 3, 2), [
        ind("konnector-event-daily", "2022-03-01", 1, ("slug", "enedis"), ("event_type", "refresh"), ("status", "success")),
        ind("konnector-event-daily", "2022-03-01", 2, ("slug", "enedis"), ("event_type", "refresh"), ("status", "error")),
    ])]
    labels = [s.label for s in series_for(runs, "konnector-event-daily").series]
    assert labels == [
        "slug=enedis, event_type=refresh, status=error",
        "slug=enedis, event_type=refresh, status=success",
    ]


def test_legend_labels_leave_out_what_every_series_shares():
    runs = [FakeRun(D(2022, 3, 2), [
        ind("event-duration", "2022-03-01", 10, ("start_event", "start_action"), ("end_event", "end_action"), ("params", "A:C1")),
        ind("event-duration", "2022-03-01", 20, ("start_event", "start_action"), ("end_event", "end_action"), ("params", "B:C1")),
    ])]
    shaped = series_for(runs, "event-duration")
    assert shaped.shared_groups() == (("start_event", "start_action"), ("end_event", "end_action"))
    assert shaped.legend_labels() == ["params=A:C1", "params=B:C1"]
    one = series_for(runs[:1], "event-duration")
    one.series = one.series[:1]
    assert one.shared_groups() == ()  # a single series keeps its full label
    assert one.legend_labels() == ["start_event=start_action, end_event=end_action, params=A:C1"]


def test_group_label_without_groups():
    assert group_label((None, None, None)) == NO_GROUP_LABEL
    assert group_label(None) == NO_GROUP_LABEL
    assert group_label((("device", "mobile"), None, None)) == "device=mobile"


def test_many_values_a_day_are_kept_and_reduced_per_day():
    runs = [FakeRun(D(2022, 3, 2), [
        ind("session-duration", "2022-03-01", 30, ("number_pages", "1"), ("session_type", "any")),
        ind("session-duration", "2022-03-01", 90, ("number_pages", "1"), ("session_type", "any")),
        ind("session-duration", "2022-03-01", 600, ("number_pages", "3"), ("session_type", "first")),
    ]), FakeRun(D(2022, 3, 3), [
        ind("session-duration", "2022-03-02", 10, ("number_pages", "1"), ("session_type", "any")),
    ])]
    shaped = series_for(runs, "session-duration")
    assert shaped.many_per_day
    one_page = shaped.series[0]
    assert one_page.label == "number_pages=1, session_type=any"
    assert [p.value for p in one_page.points] == [30.0, 90.0, 10.0]  # every value, order kept
    assert one_page.has_repeated_days()
    assert [(p.day, p.value) for p in one_page.daily("sum").points] == [(D(2022, 3, 1), 120.0), (D(2022, 3, 2), 10.0)]
    assert [p.value for p in one_page.daily("mean").points] == [60.0, 10.0]


@pytest.mark.parametrize("measure, many", [
    ("session-duration", True), ("event-duration", True), ("quiz-stars", True),
    ("connection-count-daily", False), ("connection-count-monthly", False), ("no-such-measure", False),
])
def test_measures_that_send_many_values_a_day(measure, many):
    assert measure_sends_many_per_day(measure) is many


def test_repeated_days_reveal_a_many_valued_measure_not_in_the_catalog():
    runs = [FakeRun(D(2022, 3, 2), [ind("custom-x", "2022-03-01", 1), ind("custom-x", "2022-03-01", 2)])]
    assert series_for(runs, "custom-x").many_per_day


def test_unplottable_indicators_are_kept_aside_not_dropped():
    runs = [FakeRun(D(2022, 3, 2), [
        ind("quiz-stars", "not a date", 3, ("challenge_id", "C1"), ("quiz_id", "Q1")),
        ind("quiz-stars", "2022-03-01", "3", ("challenge_id", "C1"), ("quiz_id", "Q1")),
        ind("quiz-stars", "2022-03-01", 4, ("challenge_id", "C1"), ("quiz_id", "Q1")),
    ])]
    shaped = series_for(runs, "quiz-stars")
    assert shaped.point_count() == 1
    assert [i.value for i in shaped.unplotted] == [3, "3"]


def test_measure_names_follow_the_catalog_order_with_unknown_last():
    runs = runs_two_devices() + [FakeRun(D(2022, 3, 11), [ind("aaa-unknown", "2022-03-10", 1)])]
    names = measure_names(runs)
    assert names == ["connection-count-daily", "konnector-connected-daily", "aaa-unknown"]


def test_daily_counts_per_measure_per_day_over_a_continuous_range():
    runs = [FakeRun(D(2022, 3, 2), [
        ind("connection-count-daily", "2022-03-01", 2, ("device", "mobile")),
        ind("connection-count-daily", "2022-03-01", 1, ("device", "desktop")),
        ind("navigation-count-daily", "2022-03-01", 5, ("page", "faq")),
    ]), FakeRun(D(2022, 3, 5), [
        ind("connection-count-daily", "2022-03-04", 1, ("device", "mobile")),
    ])]
    counts = daily_counts(runs)
    assert counts.days == [D(2022, 3, 1), D(2022, 3, 2), D(2022, 3, 3), D(2022, 3, 4)]
    assert counts.counts == {
        "connection-count-daily": [2, 0, 0, 1],
        "navigation-count-daily": [1, 0, 0, 0],
    }
    assert counts.total() == 4
    assert counts.count("connection-count-daily", D(2022, 3, 4)) == 1
    assert counts.count("quiz-stars", D(2022, 3, 4)) == 0


def test_daily_counts_match_the_number_of_indicators():
    runs = sample_runs()
    assert daily_counts(runs).total() == sum(len(r.indicators) for r in runs)


def test_daily_counts_of_nothing():
    counts = daily_counts([])
    assert counts.days == [] and counts.counts == {} and counts.total() == 0


def aggregate(measure, day, group1, avg, count, hidden=False, **more):
    return {"measureName": measure, "startDate": day, "group1": group1, "group2": None,
            "group3": None, "count": count, "countNotZero": count, "sum": avg * count if avg is not None else None,
            "min": avg, "max": avg, "avg": avg, "std": 0, "hidden": hidden, **more}


def test_aggregate_bars_pick_a_statistic_and_keep_hidden_groups():
    rows = [
        aggregate("connection-count-daily", "2022-03-02", {"device": "mobile"}, 2.5, 12),
        aggregate("connection-count-daily", "2022-03-01", {"device": "desktop"}, None, 3, hidden=True),
        aggregate("navigation-count-daily", "2022-03-01", {"page": "faq"}, 1.0, 8),
    ]
    bars = aggregate_bars(rows, "avg", measure="connection-count-daily")
    assert [(b.period, b.label, b.value, b.hidden) for b in bars] == [
        ("2022-03-01", "device=desktop", None, True),
        ("2022-03-02", "device=mobile", 2.5, False),
    ]
    assert [b.value for b in aggregate_bars(rows, "sum", measure="connection-count-daily")] == [None, 30.0]
    assert [b.value for b in aggregate_bars(rows, "count")] == [3.0, 8.0, 12.0]
    assert aggregate_measures(rows) == ["connection-count-daily", "navigation-count-daily"]
    assert hidden_label() == "hidden: fewer than 5 contributions"
    assert hidden_label(10) == "hidden: fewer than 10 contributions"
