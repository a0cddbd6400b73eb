"""Event dates as the rulebook reads them, and lossless documents."""

from __future__ import annotations

from datetime import datetime

import pytest

from dacc_gui.events.model import UsageEvent, parse_event_date, rewrite_event_date


@pytest.mark.parametrize("text, expected", [
    ("2021-12-08T09:00:00.000Z", datetime(2021, 12, 8, 9)),
    ("2021-12-08", datetime(2021, 12, 8)),
    ("2021-12-08 09:30", datetime(2021, 12, 8, 9, 30)),
    ("2021-12-08T23:30:00+02:00", datetime(2021, 12, 8, 23, 30)),
    ("2021-12-08T09:00:00.123456789Z", datetime(2021, 12, 8, 9, 0, 0, 123456)),
])
def test_dates_are_read_as_written(text, expected):
    assert parse_event_date(text) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2021-13-01", "2021-02-30T10:00", "2021-12-08T25:00",
                                  "2021-12-08X10:00", "08/12/2021", None, 20211208])
def test_nonsense_dates_do_not_parse(text):
    assert parse_event_date(text) is None


@pytest.mark.parametrize("original, expected", [
    ("2021-12-08T09:00:00.000Z", "2021-12-07T08:00:00.000Z"),
    ("2021-12-08T09:00:00+02:00", "2021-12-07T08:00:00+02:00"),
    ("2021-12-08 09:00", "2021-12-07 08:00"),
    ("2021-12-08", "2021-12-07T08:00:00.000Z"),
    ("garbage", "2021-12-07T08:00:00.000Z"),
])
def test_rewriting_a_date_keeps_its_style(original, expected):
    assert rewrite_event_date(original, datetime(2021, 12, 7, 8)) == expected


def test_unknown_fields_and_key_order_survive_an_edit():
    doc = {"_id": "a", "_rev": "1-a", "cozyMetadata": {"createdAt": "x"}, "type": "NavigationEvent",
           "eventDate": "2021-12-08T09:00:00.000Z", "target": "faq", "zzz": [1, 2], "aggregated": False}
    event = UsageEvent.from_document(doc)
    assert event.to_document() == doc and list(event.to_document()) == list(doc)
    event.eventDate = "2021-12-07T09:00:00.000Z"
    out = event.to_document()
    assert list(out) == list(doc) and out["eventDate"] == "2021-12-07T09:00:00.000Z"
    assert {k: v for k, v in out.items() if k != "eventDate"} == {k: v for k, v in doc.items() if k != "eventDate"}


def test_problem_names_unknown_types_and_bad_dates():
    assert UsageEvent.from_document({"type": "X", "eventDate": "2021-01-01"}).problem() == "unknown type 'X'"
    assert "not a date" in UsageEvent.from_document({"type": "NavigationEvent", "eventDate": "x"}).problem()
    assert UsageEvent.from_document({"type": "NavigationEvent"}).problem() == "no eventDate"


def test_a_field_assigned_after_reading_is_written_where_the_document_lacked_it():
    # As a new revision from a Cozy comes onto an event read without one.
    doc = {"_id": "a", "type": "NavigationEvent", "eventDate": "2021-12-08", "zzz": 1}
    event = UsageEvent.from_document(doc)
    assert event.model_fields_set == set() and "_rev" not in event.to_document()
    event.rev = "2-b"
    assert event.model_fields_set == {"rev"}
    assert event.to_document() == {**doc, "_rev": "2-b"} and list(event.to_document())[-1] == "_rev"


def test_events_are_equal_with_the_same_fields_extra_fields_and_key_order():
    doc = {"_id": "a", "type": "NavigationEvent", "eventDate": "2021-12-08", "zzz": [1]}
    reordered = {"type": "NavigationEvent", "_id": "a", "eventDate": "2021-12-08", "zzz": [1]}
    assert UsageEvent.from_document(doc) == UsageEvent.from_document(dict(doc))
    assert UsageEvent.from_document(doc) != UsageEvent.from_document(reordered)
    assert UsageEvent.from_document(doc) != UsageEvent.from_document({**doc, "zzz": [2]})
    assert UsageEvent.from_document(doc) != UsageEvent.from_document({**doc, "eventDate": "2021-12-09"})


def test_an_event_survives_pickling_with_what_was_assigned():
    import pickle

    event = UsageEvent.from_document({"_id": "a", "type": "NavigationEvent", "cozyMetadata": {"x": 1}})
    event.aggregated = True
    again = pickle.loads(pickle.dumps(event))
    assert again == event and again.model_fields_set == {"aggregated"}
    assert again.to_document() == {"_id": "a", "type": "NavigationEvent", "cozyMetadata": {"x": 1}, "aggregated": True}


def test_extra_fields_changed_after_reading_are_written_as_they_are_now():
    # As a field someone else added on the server comes into the event.
    doc = {"_id": "a", "cozyMetadata": {"v": 1}, "type": "NavigationEvent", "userId": "u"}
    added, swapped = UsageEvent.from_document(doc), UsageEvent.from_document(doc)
    added.__pydantic_extra__["note"] = "new"
    assert added.to_document() == {**doc, "note": "new"} and list(added.to_document())[-1] == "note"
    del swapped.__pydantic_extra__["userId"]
    swapped.__pydantic_extra__["other"] = 2
    assert list(swapped.to_document().items()) == [
        ("_id", "a"), ("cozyMetadata", {"v": 1}), ("type", "NavigationEvent"), ("other", 2)]
    assert UsageEvent.from_document(doc).to_document() == doc



def test_fields_sets_made_by_the_ten_thousand_are_kept_out_of_the_collector():
    import gc

    from dacc_gui.events.model import fields_sets_lacking

    many = [UsageEvent.from_document({"_id": f"e{n}", "type": "NavigationEvent", "eventDate": "2021-12-08"})
            for n in range(10_010)]
    few = many[:10]
    gc.unfreeze()
    try:
        assert len(fields_sets_lacking(few, "target")) == 10
        assert gc.get_freeze_count() == 0  # a small edit leaves the collector alone
        sets = fields_sets_lacking(many, "target")
        assert len(sets) == 10_010
        # the 10,000 sets just made (and the rest alive) now out of the collector's reach
        assert gc.get_freeze_count() >= 10_000
    finally:
        gc.unfreeze()
