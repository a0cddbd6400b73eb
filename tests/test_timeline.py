"""The rules' timeline, and its update after edits (what the preview's worker
does between two previews): an updated timeline is the one a fresh build of
the edited events gives, and a hand-worked example says what that is."""

from __future__ import annotations

from datetime import date, datetime

from hypothesis import given, settings, strategies as st

from dacc_gui.events.model import UsageEvent
from dacc_gui.rules.timeline import Timeline


def ev(n: int, type: str = "NavigationEvent", when: str = "2021-12-08T09:00:00.000Z", **fields) -> UsageEvent:
    doc = {"_id": f"e{n}", "type": type, "eventDate": when, "aggregated": False}
    doc.update(fields)
    return UsageEvent.from_document(doc)


def shape(timeline: Timeline) -> dict:
    """Everything the rules read of a timeline, by indices."""
    def idx(entries):
        return [e.index for e in entries]
    return {
        "pending": {day: idx(entries) for day, entries in timeline.pending_by_day.items()},
        "days": list(timeline.days),
        "flagged": [(f.index, f.id, f.reason, f.day) for f in timeline.flagged_pending],
        "connections": idx(timeline.connections),
        "launches": idx(timeline.launches),
        "profiles": idx(timeline.profiles),
        "reports": idx(timeline.reports),
        "attempts": [(slug, idx(entries)) for slug, entries in timeline.attempts.items()],
        "attempts_without_slug": idx(timeline.attempts_without_slug),
        "first_connection": timeline.first_connection and timeline.first_connection.index,
        "first_challenge": timeline.first_challenge and timeline.first_challenge.index,
        "ids": sorted({(e.index, e.id, e.moment) for entries in timeline.pending_by_day.values() for e in entries}),
    }


def test_an_update_moves_entries_and_finds_the_firsts_again():
    events = [
        ev(0, "ConnectionEvent", "2021-12-08T09:00:00.000Z", result="firstConnection"),
        ev(1, "ConnectionEvent", "2021-12-08T10:00:00.000Z", result="firstConnection", aggregated=True),
        ev(2, "ChallengeLaunchEvent", "2021-12-08T11:00:00.000Z", target="CHALLENGE0001"),
        ev(3, "NavigationEvent", "2021-12-09T08:00:00.000Z", target="faq"),
        ev(4, "NavigationEvent", "2021-12-08T11:00:00.000Z", target="faq"),
        ev(5, "KonnectorAttemptEvent", "2021-12-07T11:00:00.000Z", target="enedis", aggregated=True),
    ]
    timeline = Timeline(events)
    assert timeline.days == [date(2021, 12, 8), date(2021, 12, 9)]
    assert [e.index for e in timeline.pending_by_day[date(2021, 12, 8)]] == [0, 2, 4]
    assert (timeline.first_connection.index, timeline.first_challenge.index) == (0, 2)

    # The first connection goes a day later, the only event of the 9th and the
    # launch become unusable, a navigation ties with the launch's old time,
    # and the attempt loses its slug.
    events[0].eventDate = "2021-12-10T09:00:00.000Z"
    events[3].eventDate = "not a date"
    events[2].eventDate = "2021-12-3x"
    events[4].eventDate = "2021-12-08T11:00:00.000Z"
    events[5].target = ""
    timeline.update([0, 2, 3, 4, 5])

    assert timeline.days == [date(2021, 12, 8), date(2021, 12, 10)]
    assert [e.index for e in timeline.pending_by_day[date(2021, 12, 8)]] == [4]
    assert [e.index for e in timeline.pending_by_day[date(2021, 12, 10)]] == [0]
    assert timeline.pending_by_day[date(2021, 12, 10)][0].moment == datetime(2021, 12, 10, 9)
    assert [f.index for f in timeline.flagged_pending] == [2, 3]
    assert timeline.first_connection.index == 1  # the aggregated one is now the earliest
    assert timeline.first_challenge is None
    assert [e.index for e in timeline.connections] == [1, 0]
    assert timeline.attempts == {}
    assert [e.index for e in timeline.attempts_without_slug] == [5]


def test_equal_times_keep_the_input_order_after_an_update():
    events = [ev(n, when="2021-12-08T09:00:00.000Z") for n in range(4)]
    events[2].eventDate = "2021-12-08T10:00:00.000Z"
    timeline = Timeline(events)
    assert [e.index for e in timeline.pending_by_day[date(2021, 12, 8)]] == [0, 1, 3, 2]
    events[2].eventDate = "2021-12-08T09:00:00.000Z"
    events[0].eventDate = "2021-12-08T10:00:00.000Z"
    timeline.update([2, 0])
    assert [e.index for e in timeline.pending_by_day[date(2021, 12, 8)]] == [1, 2, 3, 0]


def test_a_replaced_event_and_slugs_in_the_order_they_first_appear():
    events = [ev(0, "KonnectorAttemptEvent", target="grdf"), ev(1, "KonnectorAttemptEvent", target="enedis")]
    timeline = Timeline(events)
    assert list(timeline.attempts) == ["grdf", "enedis"]
    events[0] = ev(0, "KonnectorAttemptEvent", target="enedis")
    events[1].target = "grdf"
    timeline.update([0, 1])
    assert list(timeline.attempts) == ["enedis", "grdf"]
    assert [e.index for e in timeline.attempts["enedis"]] == [0]
    assert timeline.pending_by_day[date(2021, 12, 8)][0].event is events[0]


TYPES = ["ConnectionEvent", "NavigationEvent", "ChallengeLaunchEvent", "KonnectorAttemptEvent",
         "ProfileSetEvent", "ReportFromEvent", "QuizEndEvent", "NoSuchEvent"]
DATES = ["2021-12-08T09:00:00.000Z", "2021-12-08T09:00:00.000Z", "2021-12-08T10:30:00.000Z",
         "2021-12-09T09:00:00.000Z", "2021-12-07", "2021-12-31 23:59", "not a date", None]
FIELDS = {
    "type": st.sampled_from(TYPES),
    "eventDate": st.sampled_from(DATES),
    "aggregated": st.booleans(),
    "result": st.sampled_from(["firstConnection", "", None, "success"]),
    "target": st.sampled_from(["enedis", "grdf", "", None, "faq"]),
    "_id": st.sampled_from(["a", "b", ""]),
}
documents = st.fixed_dictionaries({k: v for k, v in FIELDS.items()})


@settings(max_examples=300, deadline=None)
@given(st.lists(documents, max_size=14), st.data())
def test_an_updated_timeline_is_a_fresh_one(docs, data):
    events = [UsageEvent.from_document(dict(doc)) for doc in docs]
    timeline = Timeline(events)
    for _ in range(data.draw(st.integers(1, 3))):
        if not events:
            break
        rows = data.draw(st.lists(st.integers(0, len(events) - 1), max_size=5))
        for row in rows:
            if data.draw(st.booleans()):
                name = data.draw(st.sampled_from(sorted(FIELDS)))
                setattr(events[row], "id" if name == "_id" else name, data.draw(FIELDS[name]))
            else:
                events[row] = UsageEvent.from_document(dict(data.draw(documents)))
        timeline.update(rows)
        assert shape(timeline) == shape(Timeline(events))
