"""The monthly part (rulebook section 5) and its date protection."""

from __future__ import annotations

from datetime import date

import pytest

from dacc_gui.events.context import UserContext, months_between
from dacc_gui.rules import NightlyRun
from dacc_gui.rules.monthly import month_before, round2
from tests.helpers import ev, of_measure

R = date(2022, 2, 3)  # on the default analysis day; month M = January 2022


def run(events=(), run_date=R, ignore=False, **context):
    return NightlyRun(run_date, UserContext(**context), ignore).apply(list(events))


def test_month_before_crosses_the_year():
    assert month_before(date(2022, 1, 3)) == (date(2021, 12, 1), date(2021, 12, 31))
    assert month_before(date(2022, 3, 31)) == (date(2022, 2, 1), date(2022, 2, 28))


def test_monthly_part_only_on_the_analysis_day_unless_protection_is_off():
    off_day = run(run_date=date(2022, 2, 4))
    assert off_day.monthly_held_back and not off_day.monthly_ran
    assert of_measure(off_day, "connection-count-monthly") == []
    assert run(run_date=date(2022, 2, 4), ignore=True).monthly_ran
    custom = run(run_date=date(2022, 2, 15), monthlyAnalysisDay=15)
    assert custom.monthly_ran


def test_connection_count_monthly_counts_distinct_days_and_is_sent_when_zero():
    events = [
        ev("ConnectionEvent", "2022-01-04T10:00", aggregated=True),
        ev("ConnectionEvent", "2022-01-04T18:00", aggregated=True),
        ev("ConnectionEvent", "2022-01-31T23:59"),
        ev("ConnectionEvent", "2021-12-31T10:00", aggregated=True),
        ev("ConnectionEvent", "2022-02-01T10:00"),
    ]
    [p] = of_measure(run(events), "connection-count-monthly")
    assert p == {"createdBy": "ecolyo", "measureName": "connection-count-monthly", "startDate": "2022-02-03", "value": 2}
    [zero] = of_measure(run([]), "connection-count-monthly")
    assert zero["value"] == 0


def test_profile_count_monthly_counts_up_to_end_of_month_only_when_some():
    assert of_measure(run([ev("ProfileSetEvent", "2022-02-01T10:00")]), "profile-count-monthly") == []
    events = [ev("ProfileSetEvent", "2021-06-01T10:00", aggregated=True), ev("ProfileSetEvent", "2022-01-31T10:00")]
    assert [p["value"] for p in of_measure(run(events), "profile-count-monthly")] == [2]


def test_konnector_attempts_monthly():
    events = [
        # enedis: error in December, error + success in January → 3, true
        ev("KonnectorAttemptEvent", "2021-12-01T10:00", target="enedis", result="error"),
        ev("KonnectorAttemptEvent", "2022-01-05T10:00", target="enedis", result="error"),
        ev("KonnectorAttemptEvent", "2022-01-05T10:05", target="enedis", result="success"),
        ev("KonnectorAttemptEvent", "2022-01-06T10:00", target="enedis", result="success"),
        # egl: succeeded before January → no longer sent
        ev("KonnectorAttemptEvent", "2021-11-20T10:00", target="egl", result="success"),
        ev("KonnectorAttemptEvent", "2022-01-20T10:00", target="egl", result="error"),
        # grdf: never succeeded → all attempts, false
        ev("KonnectorAttemptEvent", "2021-10-10T10:00", target="grdf", result="error"),
        ev("KonnectorAttemptEvent", "2022-01-10T10:00", target="grdf", result="error"),
        # after the month: not counted
        ev("KonnectorAttemptEvent", "2022-02-01T10:00", target="grdf", result="error"),
    ]
    got = {(p["group1"]["slug"], p["group2"]["success"]): p["value"] for p in of_measure(run(events), "konnector-attempts-monthly")}
    assert got == {("enedis", "true"): 3, ("grdf", "false"): 2}


def test_summary_subscription_monthly():
    views = [ev("ReportFromEvent", "2022-01-03T08:00", context="analysis", result="1"),
             ev("ReportFromEvent", "2022-02-01T08:00", context="analysis", result="1")]
    got = {p["group1"]["event_type"]: p["value"] for p in of_measure(run(views, subscribedToMonthlyReport=True), "summary-subscription-monthly")}
    assert got == {"subscription": 1, "summary_viewed": 1}
    got = {p["group1"]["event_type"]: p["value"] for p in of_measure(run([]), "summary-subscription-monthly")}
    assert got == {"subscription": 0}


def test_fluid_data_granularity_per_connected_fluid():
    result = run(connectedFluids=["water", "electricity"], halfHourData={"electricity": True, "gas": True})
    got = [(p["group1"]["fluid_type"], p["value"], p["group2"]["granularity"]) for p in of_measure(result, "fluid-data-granularity-monthly")]
    assert got == [("electricity", 1, "half_hour"), ("water", 0, "half_hour")]


def test_consumption_variation_monthly():
    result = run(
        firstConnectionDate="2021-11-15",
        monthlyConsumption={
            "electricity": {"2021-12": 200, "2022-01": 250},
            "water": {"2021-12": 0, "2022-01": 3.5},
            "gas": {"2021-12": 3, "2022-01": 2},
        },
        fluidUsage={"electricity": ["cooking", "heating"], "gas": []},
    )
    got = [(p["group1"]["fluid_type"], p["value"], p["group2"]["seniority"], p["group3"]["fluid_usage"])
           for p in of_measure(result, "consumption-variation-monthly")]
    assert got == [("electricity", 25.0, "2", "heating:cooking"), ("gas", -33.33, "2", "unknown")]
    assert any("water" in note and "0" in note for note in result.notes)
    assert all(isinstance(v, float) for _, v, _, _ in got)


def test_seniority_falls_back_to_the_first_connection_event():
    first = ev("ConnectionEvent", "2021-01-20T08:00", result="firstConnection", aggregated=True)
    result = run([first], monthlyConsumption={"gas": {"2021-12": 10, "2022-01": 11}})
    [p] = of_measure(result, "consumption-variation-monthly")
    assert p["group2"]["seniority"] == "12"  # 2021-01-20 → 2022-02-03: 12 whole months


def test_seniority_unknown_without_any_first_connection():
    result = run(monthlyConsumption={"gas": {"2021-12": 10, "2022-01": 11}})
    [p] = of_measure(result, "consumption-variation-monthly")
    assert p["group2"]["seniority"] == "unknown"


@pytest.mark.parametrize("start, end, months", [
    (date(2021, 11, 15), date(2022, 2, 3), 2),
    (date(2021, 11, 3), date(2022, 2, 3), 3),
    (date(2022, 2, 3), date(2022, 2, 3), 0),
    (date(2022, 3, 1), date(2022, 2, 3), 0),
])
def test_months_between(start, end, months):
    assert months_between(start, end) == months


def test_round2_rounds_halves_up():
    assert round2(2.675) == 2.68
    assert round2(-33.333333) == -33.33
    assert round2(25.0) == 25.0


def test_monthly_start_date_is_the_run_date_itself():
    result = run(run_date=date(2022, 2, 10), ignore=True)
    monthly = [p for p in result.payloads() if p["measureName"].endswith("-monthly")]
    assert monthly and all(p["startDate"] == "2022-02-10" for p in monthly)


def test_monthly_indicators_name_the_events_behind_them():
    a = ev("ConnectionEvent", "2022-01-04T10:00", aggregated=True)
    b = ev("ConnectionEvent", "2022-01-04T18:00", aggregated=True)
    outside = ev("ConnectionEvent", "2022-02-01T18:00")
    report = ev("ReportFromEvent", "2022-01-05T10:00", context="analysis", result="1")
    result = run([outside, b, a, report])
    by_measure = {(i.measureName, i.groups[0]): i for i in result.indicators}
    assert by_measure[("connection-count-monthly", None)].event_ids == [a.id, b.id]
    assert by_measure[("summary-subscription-monthly", ("event_type", "summary_viewed"))].event_ids == [report.id]
    assert all(i.rule is not None and i.rule.source_label for i in result.indicators)
