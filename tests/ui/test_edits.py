"""Event edits as commands (Qt-free): do, undo, labels, marks."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta

import pytest

from dacc_gui.events import edits
from dacc_gui.events.edits import EventStore, shifted_date_text
from dacc_gui.events.model import UsageEvent
from dacc_gui.events.loader import from_json


@pytest.fixture
def store(golden) -> EventStore:
    event_set = from_json(copy.deepcopy(golden))
    return EventStore(event_set.events, event_set.context)


def docs(store: EventStore) -> list[dict]:
    return [e.to_document() for e in store.events]


def test_shift_many_by_minus_one_day_then_undo_gives_back_the_documents(store):
    before = json.dumps(docs(store))
    rows = list(range(len(store.events)))
    command = edits.shift_dates(store.events, rows, -1, "days")
    assert command.label == f"Shift {len(rows)} events by \u22121 day"
    command.do(store)
    moved = [e.moment for e in store.events]
    original = [UsageEvent.from_document(d).moment for d in json.loads(before)]
    assert moved == [m - timedelta(days=1) for m in original]
    assert store.edited_count == len(rows)
    command.undo(store)
    assert json.dumps(docs(store)) == before
    assert store.edited_count == 0


@pytest.mark.parametrize("text, delta, expected", [
    ("2021-12-08T09:00:00.000Z", timedelta(hours=-10), "2021-12-07T23:00:00.000Z"),
    ("2021-12-08T09:00:00.000Z", timedelta(days=1), "2021-12-09T09:00:00.000Z"),
    ("2021-12-08 09:00+02:00", timedelta(minutes=-5), "2021-12-08 08:55+02:00"),
    ("2021-12-31", timedelta(days=1), "2022-01-01"),
    ("2021-12-08T09:00:00Z", timedelta(days=-8), "2021-11-30T09:00:00Z"),
    ("not a date", timedelta(days=1), None),
    (None, timedelta(days=1), None),
])
def test_shifted_text_keeps_the_written_style(text, delta, expected):
    assert shifted_date_text(text, delta) == expected


def test_shift_leaves_bad_dates_alone_and_does_not_count_them():
    events = [UsageEvent.from_document({"_id": "a", "type": "NavigationEvent", "eventDate": "soon"}),
              UsageEvent.from_document({"_id": "b", "type": "NavigationEvent", "eventDate": "2021-01-01T00:00:00.000Z"})]
    command = edits.shift_dates(events, [0, 1], 3, "hours")
    assert command.label == "Shift 1 event by +3 hours"
    assert command.rows == [1]
    assert "1 event left as it was" in command.note
    with pytest.raises(edits.EditRefused, match="1 event left as it was"):  # nothing readable: said why
        edits.shift_dates(events, [0], 3, "hours")


def test_move_to_yesterday_keeps_the_time_of_day(store):
    today = date(2021, 12, 9)
    rows = [n for n, e in enumerate(store.events) if e.day == today]
    assert rows, "the golden case has events on its run date"
    command = edits.move_to_yesterday(store.events, rows, today)
    assert command.label == f"Move {len(rows)} event{'s' if len(rows) > 1 else ''} to yesterday (2021-12-08)"
    times = [store.events[r].moment.time() for r in rows]
    command.do(store)
    assert [store.events[r].day for r in rows] == [date(2021, 12, 8)] * len(rows)
    assert [store.events[r].moment.time() for r in rows] == times


def test_toggle_aggregated_of_an_event_without_the_field_undoes_to_the_same_document():
    event = UsageEvent.from_document({"_id": "x", "type": "NavigationEvent", "eventDate": "2021-01-01"})
    store = EventStore([event])
    before = event.to_document()
    command = edits.toggle_aggregated(store.events, [0])
    command.do(store)
    assert event.to_document()["aggregated"] is True
    command.undo(store)
    assert event.to_document() == before
    assert "aggregated" not in event.to_document()


def test_delete_then_undo_puts_events_back_in_place(store):
    ids = [e.id for e in store.events]
    command = edits.delete_events([5, 1, 3])
    assert command.label == "Delete 3 events"
    command.do(store)
    assert [e.id for e in store.events] == [i for n, i in enumerate(ids) if n not in (1, 3, 5)]
    command.undo(store)
    assert [e.id for e in store.events] == ids


def test_duplicate_gives_new_ids_and_no_revision(store):
    n = len(store.events)
    command = edits.duplicate_events(store.events, [0, 0, 2])
    command.do(store)
    copies = store.events[n:]
    assert len(copies) == 3
    assert len({e.id for e in store.events}) == n + 3
    assert all("_rev" not in c.to_document() for c in copies)
    assert copies[0].type == store.events[0].type and copies[0].eventDate == store.events[0].eventDate
    assert store.edited_fields(copies[0]) == {edits.WHOLE_ROW: 1}
    command.undo(store)
    assert len(store.events) == n


def test_set_event_date_and_field(store):
    command = edits.set_event_date(store.events, 0, datetime(2021, 12, 1, 7, 30))
    command.do(store)
    assert store.events[0].eventDate == "2021-12-01T07:30:00.000Z"
    assert edits.set_event_date(store.events, 0, datetime(2021, 12, 1, 7, 30)) is None
    target = edits.set_field(store.events, 1, "target", "faq")
    target.do(store)
    assert store.events[1].target == "faq"
    assert store.edited_fields(store.events[1]) == {"target": 1}
    store.mark_saved()
    assert store.edited_count == 0
    target.undo(store)  # undoing an edit saved since leaves nothing marked
    assert store.edited_count == 0


def test_marks_count_edits_of_the_same_field(store):
    first = edits.shift_dates(store.events, [0], 1, "days")
    second = edits.shift_dates(store.events, [0], 1, "days")
    first.do(store)
    second.do(store)
    second.undo(store)
    assert store.edited_fields(store.events[0]) == {"eventDate": 1}
    first.undo(store)
    assert store.edited_fields(store.events[0]) is None


def test_edited_count_follows_overlapping_edits_undo_and_save(store):
    first = edits.shift_dates(store.events, [0, 1, 2], 1, "days")
    second = edits.toggle_aggregated(store.events, [2, 3])
    first.do(store)
    second.do(store)
    assert store.edited_count == 4
    first.undo(store)
    assert store.edited_count == 2
    first.do(store)
    store.mark_saved()
    assert store.edited_count == 0


def test_context_command(store):
    old = store.context
    new = old.model_copy(update={"daccConsent": False})
    command = edits.set_context(old, new)
    command.do(store)
    assert store.context.daccConsent is False and store.context_edited
    command.undo(store)
    assert store.context == old and not store.context_edited
    assert edits.set_context(old, old) is None
