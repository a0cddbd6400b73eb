"""One test (or a few) per daily rule of the rulebook, section 4."""

from __future__ import annotations

from datetime import date

import pytest

from dacc_gui.events.context import UserContext
from dacc_gui.events.model import UsageEvent
from dacc_gui.rules import NightlyRun
from dacc_gui.rules.daily import device, quiz_stars
from tests.helpers import ev, of_measure

RUN = date(2022, 3, 10)


def run(*events, **context):
    return NightlyRun(RUN, UserContext(**context)).apply(list(events))


@pytest.mark.parametrize(
    "context, expected",
    [
        ("mobile", "mobile"),
        ("tablet", "mobile"),
        ("desktop", "desktop"),
        (None, "desktop"),
        ("Mozilla/5.0 (iPad; CPU OS 15_0 like Mac OS X)", "mobile"),
        ("Mozilla/5.0 (Linux; Android 12) Chrome/98.0 Safari/537.36", "mobile"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/98.0", "desktop"),
        ("Mozilla/5.0 (X11; Linux x86_64) something TABLET", "mobile"),
    ],
)
def test_device_classification(context, expected):
    assert device(context) == expected


def test_connection_count_daily_counts_per_device_and_day():
    result = run(
        ev("ConnectionEvent", "2022-03-08T08:00", context="mobile"),
        ev("ConnectionEvent", "2022-03-08T09:00", context="iPhone"),
        ev("ConnectionEvent", "2022-03-08T10:00"),
        ev("ConnectionEvent", "2022-03-09T10:00", context="desktop"),
    )
    got = {(p["startDate"], p["group1"]["device"]): p["value"] for p in of_measure(result, "connection-count-daily")}
    assert got == {("2022-03-08", "mobile"): 2, ("2022-03-08", "desktop"): 1, ("2022-03-09", "desktop"): 1}


def test_konnector_event_daily_groups_slug_type_status_and_missing_result_is_error():
    result = run(
        ev("KonnectorConnectEvent", "2022-03-09T08:00", target="enedis", result="success"),
        ev("KonnectorConnectEvent", "2022-03-09T08:01", target="enedis"),
        ev("KonnectorRefreshEvent", "2022-03-09T08:02", target="enedis", result="error"),
        ev("KonnectorRefreshEvent", "2022-03-09T08:03", target="grdfgrandlyon", result="success"),
    )
    got = {
        (p["group1"]["slug"], p["group2"]["event_type"], p["group3"]["status"]): p["value"]
        for p in of_measure(result, "konnector-event-daily")
    }
    assert got == {
        ("enedis", "connection", "success"): 1,
        ("enedis", "connection", "error"): 1,
        ("enedis", "refresh", "error"): 1,
        ("grdfgrandlyon", "refresh", "success"): 1,
    }


def test_navigation_count_daily_per_page_and_missing_target_is_skipped():
    a = ev("NavigationEvent", "2022-03-09T08:00", target="faq")
    b = ev("NavigationEvent", "2022-03-09T08:01", target="faq")
    c = ev("NavigationEvent", "2022-03-09T08:02")
    result = run(a, b, c)
    assert [(p["group1"], p["value"]) for p in of_measure(result, "navigation-count-daily")] == [({"page": "faq"}, 2)]
    assert [s.event_id for s in result.skipped] == [c.id]
    assert c.id in result.aggregated


def test_navigation_targets_that_are_not_text_count_as_their_text():
    a = ev("NavigationEvent", "2022-03-09T08:00", target=7)
    b = ev("NavigationEvent", "2022-03-09T08:01", target=True)
    c = ev("NavigationEvent", "2022-03-09T08:02", target="7")
    result = run(a, b, c)
    assert [(p["group1"], p["value"]) for p in of_measure(result, "navigation-count-daily")] == [
        ({"page": "7"}, 2), ({"page": "true"}, 1)]
    assert result.skipped == []


def test_navigation_action_daily_keys_and_params():
    result = run(
        ev("ConsumptionChangeTimeStepEvent", "2022-03-09T08:00", target="day", context="gas"),
        ev("ConsumptionChangeTimeStepEvent", "2022-03-09T08:01", target="day", context="gas"),
        ev("ConsumptionCompareEvent", "2022-03-09T08:02", target="month"),
        ev("ActionChangeEvent", "2022-03-09T08:03", context="CHALLENGE0001"),
        ev("ActionChangeEvent", "2022-03-09T08:04"),
        ev("ProfileSetEvent", "2022-03-09T08:05", target="ignored"),
    )
    got = {
        (p["group1"]["page"], p["group2"]["feature"], p["group3"]["params"]): p["value"]
        for p in of_measure(result, "navigation-action-daily")
    }
    assert got == {
        ("consumption", "change_timestep", "day:gas"): 2,
        ("consumption", "compare", "month"): 1,
        ("action", "action_change", "CHALLENGE0001"): 1,
        ("action", "action_change", "none"): 1,
        ("profile", "profileTypeFinished", "none"): 1,
    }


def test_challenge_launch_daily_per_challenge():
    result = run(
        ev("ChallengeLaunchEvent", "2022-03-09T08:00", target="C1"),
        ev("ChallengeLaunchEvent", "2022-03-09T09:00", target="C1"),
        ev("ChallengeLaunchEvent", "2022-03-09T10:00", target="C2"),
    )
    got = {p["group1"]["challenge_id"]: p["value"] for p in of_measure(result, "challenge-launch-daily")}
    assert got == {"C1": 2, "C2": 1}


def test_sessions_split_on_connections_count_pages_and_ignore_events_before_the_first():
    before = ev("NavigationEvent", "2022-03-09T06:00", target="faq")
    first = ev("ConnectionEvent", "2022-03-09T07:00", result="firstConnection")
    nav1 = ev("NavigationEvent", "2022-03-09T07:00:30.000Z", target="consumption")
    nav2 = ev("NavigationEvent", "2022-03-09T07:05", target="analysis")
    second = ev("ConnectionEvent", "2022-03-09T12:00")
    lone = ev("ConnectionEvent", "2022-03-09T18:00")
    tail = ev("QuizEndEvent", "2022-03-09T18:00:59.900Z", target="Q", context="C", startDate="2022-03-09T18:00:00.000Z", result=3)
    result = run(before, first, nav1, nav2, second, lone, tail)
    sessions = [(p["value"], p["group1"]["number_pages"], p["group2"]["session_type"]) for p in of_measure(result, "session-duration")]
    # 07:00 → 07:05 = 300 s with 2 pages; 12:00 alone = 0; 18:00 → 18:00:59.9 = 59 s (rounded down)
    assert sessions == [(300, "2", "first"), (0, "0", "any"), (59, "0", "any")]
    first_session = next(i for i in result.indicators if i.measureName == "session-duration")
    assert first_session.event_ids == [first.id, nav1.id, nav2.id]


def test_sessions_sort_by_written_time_and_keep_input_order_on_ties():
    late_nav = ev("NavigationEvent", "2022-03-09T09:10", target="faq")
    conn = ev("ConnectionEvent", "2022-03-09T09:00")
    tie = ev("NavigationEvent", "2022-03-09T09:00", target="options")
    result = run(late_nav, conn, tie)
    [session] = of_measure(result, "session-duration")
    assert session["value"] == 600 and session["group1"]["number_pages"] == "2"
    # The page written first at the same time comes before the connection: not in its session.
    [session] = of_measure(run(late_nav, tie, conn), "session-duration")
    assert session["value"] == 600 and session["group1"]["number_pages"] == "1"


def test_offsets_are_read_as_written_no_zone_conversion():
    # Ecolyo writes wall-clock time: the day is the date as written, even near
    # midnight, where converting to UTC would move it (to the 8th, the 9th, the 9th).
    early = ev("ConnectionEvent", "2022-03-09T00:30:00+02:00", context="desktop")
    page = ev("NavigationEvent", "2022-03-09T00:40:00Z", target="faq")  # 10 minutes later as written
    late = ev("ConnectionEvent", "2022-03-08T22:00:00-05:00", context="mobile")
    tonight = ev("NavigationEvent", "2022-03-10T00:30:00+02:00", target="faq")  # day R itself: not taken
    result = run(early, page, late, tonight)
    devices = {(p["startDate"], p["group1"]["device"], p["value"]) for p in of_measure(result, "connection-count-daily")}
    assert devices == {("2022-03-09", "desktop", 1), ("2022-03-08", "mobile", 1)}
    assert [(p["startDate"], p["value"]) for p in of_measure(result, "navigation-count-daily")] == [("2022-03-09", 1)]
    sessions = {(p["startDate"], p["value"], p["group1"]["number_pages"]) for p in of_measure(result, "session-duration")}
    assert sessions == {("2022-03-09", 600, "1"), ("2022-03-08", 0, "0")}
    assert sorted(result.aggregated) == sorted([early.id, page.id, late.id])


@pytest.mark.parametrize(
    "type_, fields, group",
    [
        ("ChallengeEndEvent", {"target": "C1"}, ("start_challenge", "end_challenge", "C1")),
        ("ExplorationEndEvent", {"target": "X1", "context": "C1"}, ("start_exploration", "end_exploration", "X1:C1")),
        ("ActionEndEvent", {"target": "A1"}, ("start_action", "end_action", "A1:none")),
        ("DuelEndEvent", {"target": "D1", "result": "loss"}, ("start_duel", "end_duel", "D1:loss")),
        ("QuizEndEvent", {"target": "Q1", "context": "C1", "result": "2"}, ("start_quiz", "end_quiz", "Q1:C1")),
    ],
)
def test_event_duration_per_end_event(type_, fields, group):
    end = ev(type_, "2022-03-09T10:00", startDate="2022-03-08T09:59:30.000Z", **fields)
    result = run(end)
    [p] = of_measure(result, "event-duration")
    assert p["value"] == 86400 + 30
    assert (p["group1"]["start_event"], p["group2"]["end_event"], p["group3"]["params"]) == group
    assert p["startDate"] == "2022-03-09"


@pytest.mark.parametrize("start", [None, "", "not a date", "2022-03-09T11:00:00.000Z"])
def test_event_duration_without_a_usable_start_is_skipped_with_the_reason(start):
    fields = {} if start is None else {"startDate": start}
    end = ev("ActionEndEvent", "2022-03-09T10:00", target="A", context="C", **fields)
    result = run(end)
    assert of_measure(result, "event-duration") == []
    [skipped] = result.skipped
    assert skipped.event_id == end.id and "event-duration" in skipped.reason
    assert end.id in result.aggregated


def test_duel_launch_yields_nothing_and_is_skipped():
    launch = ev("DuelLaunchEvent", "2022-03-09T10:00", target="D", context="C")
    result = run(launch)
    assert [i for i in result.indicators if i.measureName != "konnector-connected-daily"] == []
    assert [s.event_id for s in result.skipped] == [launch.id]
    assert "no start" in result.skipped[0].reason


@pytest.mark.parametrize("value, stars", [("0", 0), ("5", 5), (3, 3), (4.0, 4), ("6", None), ("seven", None),
                                          ("12", None), (4.5, None), (True, None), (None, None), (-1, None)])
def test_quiz_star_values(value, stars):
    assert quiz_stars(value) == stars


def test_quiz_with_bad_result_keeps_its_event_duration():
    quiz = ev("QuizEndEvent", "2022-03-09T10:01", target="Q", context="C", startDate="2022-03-09T10:00:00.000Z", result="seven")
    result = run(quiz)
    assert of_measure(result, "quiz-stars") == []
    assert [p["value"] for p in of_measure(result, "event-duration")] == [60]
    assert [s.event_id for s in result.skipped] == [quiz.id]


def test_quiz_stars_groups():
    result = run(ev("QuizEndEvent", "2022-03-09T10:01", target="Q7", context="C3", startDate="2022-03-09T10:00", result=5))
    [p] = of_measure(result, "quiz-stars")
    assert p["value"] == 5 and p["group1"] == {"challenge_id": "C3"} and p["group2"] == {"quiz_id": "Q7"}
    assert "group3" not in p


def test_first_challenge_duration_only_for_the_earliest_launch_of_history():
    first = ev("ConnectionEvent", "2022-03-01T08:00", result="firstConnection", aggregated=True)
    launch = ev("ChallengeLaunchEvent", "2022-03-09T08:00", target="C1")
    later = ev("ChallengeLaunchEvent", "2022-03-09T09:00", target="C2")
    result = run(later, launch, first)
    durations = [p for p in of_measure(result, "event-duration") if p["group1"]["start_event"] == "first_session"]
    assert durations == [{
        "createdBy": "ecolyo", "measureName": "event-duration", "startDate": "2022-03-09", "value": 8 * 86400,
        "group1": {"start_event": "first_session"}, "group2": {"end_event": "first_challenge"}, "group3": {"params": "C1"},
    }]


def test_first_challenge_not_sent_when_an_earlier_launch_was_already_aggregated():
    old = ev("ChallengeLaunchEvent", "2022-03-02T08:00", target="C0", aggregated=True)
    result = run(ev("ConnectionEvent", "2022-03-01T08:00", result="firstConnection", aggregated=True), old,
                 ev("ChallengeLaunchEvent", "2022-03-09T08:00", target="C1"))
    assert [p for p in of_measure(result, "event-duration") if p["group1"]["start_event"] == "first_session"] == []


def test_first_challenge_needs_a_first_connection_at_or_before_it():
    result = run(ev("ChallengeLaunchEvent", "2022-03-09T08:00", target="C1"),
                 ev("ConnectionEvent", "2022-03-09T09:00", result="firstConnection"))
    assert [p for p in of_measure(result, "event-duration") if p["group1"]["start_event"] == "first_session"] == []


def test_konnector_connected_daily_once_per_run_in_fluid_order():
    result = run(connectedFluids=["gas", "water", "electricity"])
    assert result.payloads() == [{
        "createdBy": "ecolyo", "measureName": "konnector-connected-daily", "startDate": "2022-03-09",
        "value": 1, "group1": {"categories": "electricity:water:gas"},
    }]
    assert run().payloads() == []


def test_first_challenge_counts_from_the_earliest_first_connection_of_history():
    # Two firstConnection events (a reinstall): the earlier one, in input order first, is the start.
    result = run(ev("ConnectionEvent", "2022-03-01T08:00", result="firstConnection", aggregated=True),
                 ev("ConnectionEvent", "2022-03-05T08:00", result="firstConnection", aggregated=True),
                 ev("ChallengeLaunchEvent", "2022-03-09T08:00", target="C1"))
    [duration] = [p for p in of_measure(result, "event-duration") if p["group1"]["start_event"] == "first_session"]
    assert duration["value"] == 8 * 86400  # from the 1st, not 4 days from the 5th


def test_an_unusable_pending_event_without_id_is_named_by_its_place():
    result = run(ev("NavigationEvent", "2022-03-09T08:00", target="faq"),
                 UsageEvent.from_document({"type": "MadeUpEvent", "eventDate": "2022-03-09T09:00:00.000Z"}))
    assert [s.to_json()["eventId"] for s in result.skipped] == ["#1"]
