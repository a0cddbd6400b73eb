"""Edits of eventDate read the value as the rules do, rewrite only what they
change, and leave alone (saying so) what cannot be read."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dacc_gui.events import edits
from dacc_gui.events.edits import EditRefused, EventStore
from dacc_gui.events.model import UsageEvent, parse_event_date, replace_event_day, rewrite_event_date
from tests.strategies import written_dates


def events_at(*dates: object) -> list[UsageEvent]:
    return [UsageEvent.from_document({"_id": f"e{n}", "type": "NavigationEvent", "eventDate": d, "target": "faq"})
            for n, d in enumerate(dates)]


def applied(command, events) -> list[object]:
    command.do(EventStore(events))
    return [e.eventDate for e in events]


@pytest.mark.parametrize("text, expected", [
    # The date is read where it is, not cut at a fixed place.
    (" 2021-12-08T09:00:00Z", " 2021-12-01T09:00:00Z"),
    ("2021-12-08T09:00:00Z ", "2021-12-01T09:00:00Z "),
    ("2021-12-08T23:30:00.123+02:00", "2021-12-01T23:30:00.123+02:00"),
    ("2021-12-08T00:30:00-0530", "2021-12-01T00:30:00-0530"),
    ("2021-12-08 09:00:00,5z", "2021-12-01 09:00:00,5z"),
    ("2021-12-08T09:00:00.123456789Z", "2021-12-01T09:00:00.123456789Z"),
    ("2021-12-08T09:00", "2021-12-01T09:00"),
    ("2021-12-08", "2021-12-01"),
])
def test_move_to_day_rewrites_the_day_in_the_same_format(text, expected):
    events = events_at(text)
    command = edits.move_to_day(events, [0], date(2021, 12, 1))
    assert applied(command, events) == [expected]
    assert command.note == ""


def test_move_to_day_refuses_an_unreadable_date_with_the_reason():
    events = events_at("2021-12-08T25:99:00.000Z")
    with pytest.raises(EditRefused) as refused:
        edits.move_to_day(events, [0], date(2021, 12, 1))
    message = str(refused.value)
    assert message.startswith("Nothing changed: 1 event left as it was")
    assert "cannot be read as a date" in message and "'2021-12-08T25:99:00.000Z'" in message
    assert events[0].eventDate == "2021-12-08T25:99:00.000Z"


def test_move_to_day_moves_what_it_can_read_and_says_how_many_it_left():
    events = events_at("2021-12-08T09:00:00.000Z", "2021-12-11T13h57", None, "soon", "2021-12-08T10:00:00.000Z")
    command = edits.move_to_yesterday(events, [0, 1, 2, 3, 4], date(2021, 12, 2))
    assert command.label == "Move 2 events to yesterday (2021-12-01)"
    assert applied(command, events) == ["2021-12-01T09:00:00.000Z", "2021-12-11T13h57", None, "soon",
                                        "2021-12-01T10:00:00.000Z"]
    assert command.note == ("2 events left as they were: an eventDate that cannot be read as a date (YYYY-MM-DD, "
                            "optionally followed by a time) ('2021-12-11T13h57', 'soon'). "
                            "1 event left as it was: no eventDate.")


def test_whole_day_shift_leaves_an_unreadable_time_alone_and_says_so():
    events = events_at("2021-12-08T25:99:00.000Z", "2021-12-08T09:00:00.000Z")
    command = edits.shift_dates(events, [0, 1], 1, "days")
    assert command.label == "Shift 1 event by +1 day"
    assert applied(command, events) == ["2021-12-08T25:99:00.000Z", "2021-12-09T09:00:00.000Z"]
    assert command.note.startswith("1 event left as it was: an eventDate that cannot be read")
    assert "'2021-12-08T25:99:00.000Z'" in command.note


def test_a_shift_of_nothing_readable_is_refused_with_the_count():
    events = events_at("2021-12-08T25:99:00.000Z", "2021-12-32")
    with pytest.raises(EditRefused, match=r"^Nothing changed: 2 events left as they were: an eventDate that "
                                          r"cannot be read"):
        edits.shift_dates(events, [0, 1], -1, "days")
    with pytest.raises(EditRefused, match="2 events left as they were"):
        edits.shift_dates(events, [0, 1], 30, "minutes")


def test_a_shift_out_of_the_calendar_is_left_alone_with_its_own_reason():
    events = events_at("9999-12-31T09:00:00.000Z", "0001-01-01", "2021-12-08T09:00:00.000Z")
    command = edits.shift_dates(events, [0, 1, 2], 1, "days")
    assert applied(command, events)[2] == "2021-12-09T09:00:00.000Z"
    assert "1 event left as it was: a new date that would fall outside the years 1 to 9999" in command.note
    with pytest.raises(EditRefused, match="outside the years 1 to 9999"):
        edits.shift_dates(events_at("0001-01-01"), [0], -1, "hours")


def test_shift_by_days_keeps_blanks_and_the_written_style():
    events = events_at(" 2021-12-31T23:30:00+02:00", "2021-12-08 09:00:00,250")
    command = edits.shift_dates(events, [0, 1], 1, "days")
    assert applied(command, events) == [" 2022-01-01T23:30:00+02:00", "2021-12-09 09:00:00,250"]


def test_setting_a_date_keeps_the_style_and_refuses_an_unreadable_one():
    events = events_at(" 2021-12-08T09:00:00.123456789+02:00", "2021-12-08T25:99:00.000Z")
    command = edits.set_event_date(events, 0, datetime(2021, 12, 1, 7, 30, 0, 123456))
    assert applied(command, events)[0] == " 2021-12-01T07:30:00.123456789+02:00"
    assert command.label == "Set eventDate of event e0 to 2021-12-01T07:30:00.123456789+02:00"
    with pytest.raises(EditRefused) as refused:
        edits.set_field(events, 1, "eventDate", datetime(2021, 12, 1, 7, 30))
    assert str(refused.value) == ("The eventDate of event e1 was left as it is: its eventDate "
                                  "'2021-12-08T25:99:00.000Z' is not a date (YYYY-MM-DD, optionally followed "
                                  "by a time).")
    assert events[1].eventDate == "2021-12-08T25:99:00.000Z"


@pytest.mark.parametrize("original, moment, expected", [
    ("2021-12-08T09:00:00,5Z", datetime(2021, 12, 7, 8, 0, 0, 500000), "2021-12-07T08:00:00,5Z"),
    ("2021-12-08T09:00:00.123456789Z", datetime(2021, 12, 7, 8, 0, 0, 123456), "2021-12-07T08:00:00.123456789Z"),
    ("2021-12-08T09:00:00.123456789Z", datetime(2021, 12, 7, 8, 0, 0, 5), "2021-12-07T08:00:00.000005000Z"),
    ("2021-12-08T09:00Z", datetime(2021, 12, 7, 8, 0, 30), "2021-12-07T08:00:30Z"),
    ("2021-12-08T09:00:00Z", datetime(2021, 12, 7, 8, 0, 0, 250000), "2021-12-07T08:00:00.250Z"),
    ("2021-12-08T09:00:00Z", datetime(2021, 12, 7, 8, 0, 0, 250001), "2021-12-07T08:00:00.250001Z"),
    ("\t2021-12-08\n", datetime(2021, 12, 7), "\t2021-12-07\n"),
])
def test_rewriting_keeps_separators_digits_and_blanks(original, moment, expected):
    assert rewrite_event_date(original, moment) == expected


def test_a_week_date_is_not_read_as_a_day():
    # Python's fromisoformat takes it; the rulebook asks for YYYY-MM-DD.
    assert parse_event_date("2021-W49-3T09:00:00.000Z") is None
    assert parse_event_date("2021-12-08T09:00:00.000Z") == datetime(2021, 12, 8, 9)


@settings(max_examples=300)
@given(written_dates(), st.integers(-400, 400))
def test_whole_day_edits_change_the_day_and_no_other_character(written, days):
    text, moment = written
    delta = timedelta(days=days)
    shifted = edits.shifted_date_text(text, delta)
    assert parse_event_date(shifted) == moment + delta
    # Only the ten characters of the date differ, wherever they stand.
    start = len(text) - len(text.lstrip())
    assert shifted[:start] + shifted[start + 10:] == text[:start] + text[start + 10:]
    assert replace_event_day(text, (moment + delta).date()) == shifted


@settings(max_examples=300)
@given(written_dates(), st.integers(-3000, 3000).filter(lambda m: m % 1440))  # whole days: above
def test_shifts_by_minutes_land_on_the_moment_in_the_same_style(written, minutes):
    text, moment = written
    shifted = edits.shifted_date_text(text, timedelta(minutes=minutes))
    assert parse_event_date(shifted) == moment + timedelta(minutes=minutes)
    blanks = len(text) - len(text.rstrip())
    # The zone as written (a bare date gets a time, and Ecolyo's Z with it).
    zone = re.search(r"(Z|z|[+-]\d{2}(:?\d{2})?)?\s*$", text).group(0) if ":" in text else "Z" + text[len(text) - blanks:]
    assert shifted.endswith(zone) and len(shifted) - len(shifted.rstrip()) == blanks
    assert len(shifted) - len(shifted.lstrip()) == len(text) - len(text.lstrip())


@given(st.text(alphabet="0123456789-T:.,+Z z\t", max_size=30))
def test_day_replacement_reads_what_the_rules_read(text):
    replaced = replace_event_day(text, date(2000, 1, 1))
    assert (replaced is None) == (parse_event_date(text) is None)
    if replaced is not None:
        assert parse_event_date(replaced).date() == date(2000, 1, 1)
