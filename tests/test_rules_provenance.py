"""What the app shows beside each indicator: the events behind it, its rule and
the rule's source, and the exact reason of every skipped event; and the run's
bookkeeping (progress, the consent gate, the date protection)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from dacc_gui.events.context import UserContext
from dacc_gui.rules import NightlyRun, simulate
from dacc_gui.rules import catalog as R
from dacc_gui.rules.daily import DUEL_LAUNCH_REASON
from dacc_gui.rules.indicators import canonical, payload_key
from tests.helpers import ev, of_measure

RUN = date(2022, 3, 10)


def run(*events, **context):
    return NightlyRun(RUN, UserContext(**context)).apply(list(events))


def test_every_skip_says_exactly_why():
    events = [
        ev("NavigationEvent", "2022-03-09T07:00", _id="nav"),
        ev("KonnectorRefreshEvent", "2022-03-09T07:01", _id="konn", result="success"),
        ev("ChallengeLaunchEvent", "2022-03-09T07:02", _id="launch"),
        ev("QuizEndEvent", "2022-03-09T07:03", _id="no-start", target="Q1", context="C1", result="3"),
        ev("QuizEndEvent", "2022-03-09T07:04", _id="blank-start", target="Q1", context="C1", result="3", startDate=""),
        ev("QuizEndEvent", "2022-03-09T07:05", _id="odd-start", target="Q1", context="C1", result="3", startDate="soon"),
        ev("ChallengeEndEvent", "2022-03-09T07:06", _id="late-start", target="C1", startDate="2022-03-09T08:00:00.000Z"),
        ev("QuizEndEvent", "2022-03-09T07:07", _id="no-context", target="Q1", result="3", startDate="2022-03-09T07:00:00.000Z"),
        ev("QuizEndEvent", "2022-03-09T07:08", _id="no-target", context="C1", result="3", startDate="2022-03-09T07:00:00.000Z"),
        ev("QuizEndEvent", "2022-03-09T07:09", _id="twice", target="Q1", context="C1", result="x"),
        ev("DuelLaunchEvent", "2022-03-09T07:10", _id="duel", target="D1"),
    ]
    result = run(*events)
    assert [(s.index, s.event_id, s.reason) for s in result.skipped] == [
        (0, "nav", "NavigationEvent without target (page name)"),
        (1, "konn", "KonnectorRefreshEvent without target (konnector slug)"),
        (2, "launch", "ChallengeLaunchEvent without target (challenge id)"),
        (3, "no-start", "QuizEndEvent: no startDate, so no event-duration"),
        (4, "blank-start", "QuizEndEvent: no startDate, so no event-duration"),
        (5, "odd-start", "QuizEndEvent: startDate 'soon' does not parse, so no event-duration"),
        (6, "late-start", "ChallengeEndEvent: startDate is after eventDate, so no event-duration"),
        (7, "no-context", "QuizEndEvent without context (challenge id), so no quiz-stars"),
        (8, "no-target", "QuizEndEvent without target (quiz id), so no quiz-stars"),
        # Skipped by two rules: one entry, both reasons.
        (9, "twice", "QuizEndEvent: no startDate, so no event-duration; "
                     "QuizEndEvent result 'x' is not 0 to 5 stars, so no quiz-stars"),
        (10, "duel", DUEL_LAUNCH_REASON),
    ]
    assert DUEL_LAUNCH_REASON == ("DuelLaunchEvent carries no start, so it yields no event-duration "
                                  "(the Ecolyo page lists it under event-duration)")
    # The quizzes that had a start still give their event-duration.
    assert sorted(p["value"] for p in of_measure(result, "event-duration")) == [420, 480]


def test_each_indicator_names_its_events_and_its_rule():
    conn = ev("ConnectionEvent", "2022-03-09T07:00", _id="c1", context="desktop", result="firstConnection")
    other = ev("ConnectionEvent", "2022-03-09T07:30", _id="c2", context="desktop")
    page = ev("NavigationEvent", "2022-03-09T07:31", _id="n1", target="faq")
    konn = ev("KonnectorConnectEvent", "2022-03-09T07:32", _id="k1", target="enedis", result="success")
    step = ev("ConsumptionChangeTimeStepEvent", "2022-03-09T07:33", _id="a1", target="day", context="gas")
    launch = ev("ChallengeLaunchEvent", "2022-03-09T07:34", _id="l1", target="C1")
    quiz = ev("QuizEndEvent", "2022-03-09T07:35", _id="q1", target="Q1", context="C1", result="4",
              startDate="2022-03-09T07:35:00.000Z")  # ends as it starts: 0 s, kept
    result = run(conn, other, page, konn, step, launch, quiz, connectedFluids=["gas"])
    got = [(i.measureName, i.value, i.rule, i.event_ids) for i in result.indicators]
    assert got == [
        ("connection-count-daily", 2, R.CONNECTION_COUNT_DAILY, ["c1", "c2"]),
        ("konnector-event-daily", 1, R.KONNECTOR_EVENT_DAILY, ["k1"]),
        ("navigation-count-daily", 1, R.NAVIGATION_COUNT_DAILY, ["n1"]),
        ("navigation-action-daily", 1, R.NAVIGATION_ACTION_DAILY, ["a1"]),
        ("challenge-launch-daily", 1, R.CHALLENGE_LAUNCH_DAILY, ["l1"]),
        ("session-duration", 0, R.SESSION_DURATION, ["c1"]),
        ("session-duration", 300, R.SESSION_DURATION, ["c2", "n1", "k1", "a1", "l1", "q1"]),
        ("event-duration", 2040, R.FIRST_CHALLENGE, ["c1", "l1"]),
        ("event-duration", 0, R.EVENT_DURATION, ["q1"]),
        ("quiz-stars", 4, R.QUIZ_STARS, ["q1"]),
        ("konnector-connected-daily", 1, R.KONNECTOR_CONNECTED_DAILY, []),
    ]
    assert result.skipped == []


def test_rules_carry_their_words_and_sources():
    assert R.NAVIGATION_COUNT_DAILY.source_label == "Ecolyo page"
    assert R.NAVIGATION_COUNT_DAILY.assumed_part == ""
    assert R.KONNECTOR_EVENT_DAILY.source_label == ("Ecolyo page + DACC definitions (assumed: a missing result "
                                                    "counts as error)")
    assert R.KONNECTOR_EVENT_DAILY.sources == (R.PAGE, R.DEFS)
    assert R.NAVIGATION_COUNT_DAILY.text == ("Count of NavigationEvent of the day, one indicator per page "
                                             "(the event's target).")
    assert (R.NAVIGATION_COUNT_DAILY.name, R.NAVIGATION_COUNT_DAILY.measure) == ("navigation-count-daily",) * 2


@pytest.mark.parametrize("context", ["Mobile", " TABLET ", "MOBILE", "tablet"])
def test_the_words_mobile_and_tablet_in_any_case(context):
    result = run(ev("ConnectionEvent", "2022-03-09T07:00", context=context))
    assert [p["group1"] for p in of_measure(result, "connection-count-daily")] == [{"device": "mobile"}]


def test_group_values_that_are_not_strings_are_written_as_text():
    result = run(ev("KonnectorConnectEvent", "2022-03-09T07:00", target=12, result=True),
                 ev("KonnectorConnectEvent", "2022-03-09T07:01", target=12, result=False))
    groups = [(p["group1"], p["group3"]) for p in of_measure(result, "konnector-event-daily")]
    assert groups == [({"slug": "12"}, {"status": "true"}), ({"slug": "12"}, {"status": "false"})]


def test_payload_identity_and_canonical_text():
    payload = {"measureName": "m", "startDate": "2022-03-09", "value": 1, "group2": {"b": "2", "a": "1"}}
    assert payload_key(payload) == ("m", "2022-03-09", (None, '{"a": "1", "b": "2"}', None))
    assert canonical({"b": 1, "a": [1, {"d": 2, "c": 3}]}) == '{"a":[1,{"c":3,"d":2}],"b":1}'


def test_progress_the_consent_gate_and_the_date_protection():
    events = [ev("NavigationEvent", "2022-03-08T07:00", target="faq")]
    seen = []
    blocked = simulate(events, UserContext(daccConsent=False), date(2022, 3, 9), date(2022, 3, 11),
                       progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert [(r.consent_blocked, r.indicators, r.aggregated) for r in blocked] == [(True, [], [])] * 3
    nights = simulate(events, UserContext(monthlyAnalysisDay=9), date(2022, 3, 8), date(2022, 3, 9))
    assert [(r.monthly_analysis_day, r.monthly_ran, r.monthly_held_back) for r in nights] == [
        (9, False, True), (9, True, False)]  # the protection is on unless asked
    with pytest.raises(ValueError, match=r"^the range ends \(2022-03-01\) before it starts \(2022-03-09\)$"):
        simulate(events, None, date(2022, 3, 9), date(2022, 3, 1))


def test_an_unusable_event_of_the_run_date_is_left_for_tomorrow():
    today = ev("MysteryEvent", "2022-03-10T07:00", _id="today")
    yesterday = ev("MysteryEvent", "2022-03-09T07:00", _id="yesterday")
    assert [s.event_id for s in run(today, yesterday).skipped] == ["yesterday"]


def test_a_run_as_the_compute_command_writes_it():
    result = run(ev("NavigationEvent", "2022-03-09T07:00", _id="n", target="faq"),
                 ev("NavigationEvent", "2022-03-09T08:00", _id="x"))
    assert json.loads(json.dumps(result.to_json())) == {
        "runDate": "2022-03-10",
        "indicators": [{"createdBy": "ecolyo", "measureName": "navigation-count-daily", "startDate": "2022-03-09",
                        "value": 1, "group1": {"page": "faq"}}],
        "skipped": [{"eventId": "x", "reason": "NavigationEvent without target (page name)"}],
        "aggregated": ["n", "x"],
    }
