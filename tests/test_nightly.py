"""The nightly run as a whole: consent, pending days, flags, ranges."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import event, given, settings
from hypothesis import strategies as st

from dacc_gui.events.context import UserContext
from dacc_gui.events.model import UsageEvent
from dacc_gui.rules import NightlyRun, simulate
from tests.helpers import ev, payload_multiset
from tests.strategies import event_lists


def test_consent_gate_sends_and_marks_nothing():
    events = [ev("ConnectionEvent", "2022-02-02T10:00")]
    result = NightlyRun(date(2022, 2, 3), UserContext(daccConsent=False, connectedFluids=["gas"])).apply(events)
    assert result.consent_blocked
    assert result.indicators == [] and result.aggregated == [] and result.skipped == []


def test_only_pending_events_before_the_run_date_are_taken():
    done = ev("NavigationEvent", "2022-02-01T10:00", target="faq", aggregated=True)
    today = ev("NavigationEvent", "2022-02-03T00:00", target="faq")
    yesterday = ev("NavigationEvent", "2022-02-02T23:59:59.999Z", target="faq")
    result = NightlyRun(date(2022, 2, 3)).apply([done, today, yesterday])
    assert result.aggregated == [yesterday.id]
    assert [(p["measureName"], p["startDate"], p["value"]) for p in result.payloads() if p["measureName"] == "navigation-count-daily"] == [
        ("navigation-count-daily", "2022-02-02", 1)]


def test_the_run_never_modifies_the_events():
    events = [ev("NavigationEvent", "2022-02-02T10:00", target="faq")]
    before = [e.to_document() for e in events]
    NightlyRun(date(2022, 2, 3)).apply(events)
    assert [e.to_document() for e in events] == before


def test_flagged_events_are_kept_skipped_and_never_aggregated():
    unknown = ev("MysteryEvent", "2022-02-02T10:00")
    bad_date = ev("NavigationEvent", "yesterday", target="faq")
    future_unknown = ev("MysteryEvent", "2022-02-05T10:00")
    good = ev("NavigationEvent", "2022-02-02T10:00", target="faq")
    result = NightlyRun(date(2022, 2, 3)).apply([unknown, bad_date, future_unknown, good])
    assert result.aggregated == [good.id]
    reasons = {s.event_id: s.reason for s in result.skipped}
    assert set(reasons) == {unknown.id, bad_date.id}
    assert "unknown type" in reasons[unknown.id] and "not a date" in reasons[bad_date.id]


def test_events_without_id_are_named_by_position():
    doc = {"type": "NavigationEvent", "eventDate": "2022-02-02T10:00:00.000Z", "target": "faq"}
    result = NightlyRun(date(2022, 2, 3)).apply([UsageEvent.from_document(doc)])
    assert result.aggregated == ["#0"]


def test_a_range_takes_each_day_once():
    events = [ev("NavigationEvent", f"2022-02-0{d}T10:00", target="faq") for d in (1, 2, 4)]
    nights = simulate(events, None, date(2022, 2, 3), date(2022, 2, 6))
    assert [r.aggregated for r in nights] == [[events[0].id, events[1].id], [], [events[2].id], []]
    assert [len([p for p in r.payloads() if p["measureName"] == "navigation-count-daily"]) for r in nights] == [2, 0, 1, 0]


def test_simulate_reports_progress_and_can_be_cancelled():
    seen = []
    simulate([], None, date(2022, 1, 1), date(2022, 1, 3), progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    from dacc_gui.rules import Cancelled
    import pytest
    with pytest.raises(Cancelled):
        simulate([], None, date(2022, 1, 1), date(2022, 1, 3), cancelled=lambda: True)


# --- a range equals the same nights run one by one -------------------------

@settings(max_examples=60, deadline=None)
# sampled_from, not integers: integers would favour a range of one night, where nothing carries over.
@given(docs=event_lists(), nights=st.sampled_from(range(1, 13)), ignore=st.booleans(), day=st.integers(1, 28))
def test_a_range_equals_the_nights_run_one_by_one(docs, nights, ignore, day):
    context = UserContext(connectedFluids=["electricity"], monthlyAnalysisDay=day,
                          monthlyConsumption={"gas": {"2022-01": 2, "2022-02": 3}})
    first = date(2022, 1, 28)
    last = first + timedelta(days=nights - 1)
    ranged = simulate([UsageEvent.from_document(d) for d in docs], context, first, last, ignore)
    event("range: " + ("some night sends indicators" if any(r.indicators for r in ranged) else "nothing sent"))
    event("range: " + ("more than one night takes events" if sum(bool(r.aggregated) for r in ranged) > 1
                       else "at most one night takes events"))

    events = [UsageEvent.from_document(d) for d in docs]
    for n, expected in enumerate(ranged):
        one = NightlyRun(first + timedelta(days=n), context, ignore).apply(events)
        assert payload_multiset(one.payloads()) == payload_multiset(expected.payloads())
        assert one.aggregated == expected.aggregated
        assert [s.to_json() for s in one.skipped] == [s.to_json() for s in expected.skipped]
        for index in one.aggregated_indices:  # what the service would write back
            events[index].aggregated = True


def test_a_single_long_night_can_be_cancelled_midway():
    import pytest
    from dacc_gui.rules import Cancelled

    events = [ev("NavigationEvent", f"2022-01-{d:02d}T10:00", target="faq") for d in range(1, 29)]
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 3  # give up while the night's days are being computed

    with pytest.raises(Cancelled):
        simulate(events, None, date(2022, 2, 1), date(2022, 2, 1), cancelled=cancelled)
    assert len(calls) == 4


def test_a_null_aggregated_flag_means_pending_and_is_written_back_as_read():
    doc = {"_id": "n", "type": "NavigationEvent", "eventDate": "2022-02-02T10:00:00.000Z", "target": "faq",
           "aggregated": None}
    event = UsageEvent.from_document(doc)
    assert event.to_document() == doc
    result = NightlyRun(date(2022, 2, 3)).apply([event])
    assert result.aggregated == ["n"]
