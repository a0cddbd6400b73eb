"""The edit commands on an EventStore (Qt-free): what do and undo change, the
Change they report, the store's versions and marks, and the builders' labels."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest

from dacc_gui.events import edits
from dacc_gui.events.context import UserContext
from dacc_gui.events.edits import Change, EditRefused, EventStore
from dacc_gui.events.model import UsageEvent, write_field


def event(id: str | None, date_text: object = "2021-12-08T09:00:00.000Z", **fields) -> UsageEvent:
    doc = {"type": "NavigationEvent", "eventDate": date_text, **fields}
    if id is not None:
        doc = {"_id": id, **doc}
    return UsageEvent.from_document(doc)


def ids(store: EventStore) -> list[str | None]:
    return [e.id for e in store.events]


# --------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------
def test_a_new_store_has_no_version_no_marks_and_no_edited_context():
    store = EventStore([event("a")])
    assert (store.version, store.structure_version) == (0, 0)
    assert store.context_edited is False
    assert store.edited_count == 0 and store.has_marks is False
    assert store.edited_fields(store.events[0]) is None


def test_a_change_made_outside_commands_moves_the_version_only():
    store = EventStore([event("a"), event("b")])
    store.changed_outside_commands()
    assert (store.version, store.structure_version) == (1, 0)
    store.changed_outside_commands()
    assert (store.version, store.structure_version) == (2, 0)


def test_each_command_bumps_the_versions_it_should():
    store = EventStore([event("a"), event("b"), event("c")])
    steps = [
        edits.set_field(store.events, 0, "target", "faq"),
        edits.duplicate_events(store.events, [1]),
        edits.delete_events([2]),
        edits.set_context(None, UserContext(daccConsent=False)),
    ]
    seen = []
    for command in steps:
        command.do(store)
        seen.append((store.version, store.structure_version))
    for command in reversed(steps):
        command.undo(store)
        seen.append((store.version, store.structure_version))
    assert seen == [(1, 0), (2, 1), (3, 2), (4, 2),  # do: field, insert, delete, context
                    (5, 2), (6, 3), (7, 4), (8, 4)]  # undo: context, delete, insert, field


def test_edited_fields_count_every_edit_of_a_field():
    store = EventStore([event("a"), event("b")])
    first = edits.shift_dates(store.events, [0, 1], 1, "days")
    second = edits.shift_dates(store.events, [0], 1, "days")
    target = edits.set_field(store.events, 0, "target", "faq")
    for command in (first, second, target):
        command.do(store)
    assert store.edited_fields(store.events[0]) == {"eventDate": 2, "target": 1}
    assert store.edited_fields(store.events[1]) == {"eventDate": 1}
    assert store.edited_count == 2 and store.has_marks is True


def test_saving_forgets_the_marks_and_the_edited_context():
    store = EventStore([event("a")])
    edits.set_field(store.events, 0, "target", "faq").do(store)
    edits.set_context(None, UserContext(daccConsent=False)).do(store)
    assert store.context_edited is True
    store.mark_saved()
    assert store.context_edited is False
    assert store.edited_fields(store.events[0]) is None
    assert store.edited_count == 0 and store.has_marks is False


def test_unmark_forgets_only_those_fields_of_those_events():
    store = EventStore([event("a"), event("b"), event("c")])
    a, b, c = store.events
    edits.shift_dates(store.events, [0, 1], 1, "days").do(store)
    edits.set_field(store.events, 0, "target", "faq").do(store)
    edits.toggle_aggregated(store.events, [2]).do(store)
    store.unmark([a, b], ("eventDate",))
    assert store.edited_fields(a) == {"target": 1}
    assert store.edited_fields(b) is None
    assert store.edited_fields(c) == {"aggregated": 1}
    assert store.edited_count == 2
    store.unmark([c], ("target", "aggregated"))
    assert store.edited_fields(c) is None
    assert store.edited_count == 1
    store.unmark([a], ("target",))
    assert store.edited_count == 0 and store.has_marks is False


def test_unmark_of_no_events_changes_nothing():
    store = EventStore([event("a")])
    edits.set_field(store.events, 0, "target", "faq").do(store)
    store.unmark([], ("target",))
    assert store.edited_fields(store.events[0]) == {"target": 1}
    assert store.edited_count == 1


def test_index_of_ids_gives_the_rows_in_the_store_order():
    store = EventStore([event("a"), event("b"), event(None), event("c"), event("b")])
    assert store.index_of_ids(["c", "a"]) == [0, 3]
    assert store.index_of_ids(iter(["b"])) == [1, 4]
    assert store.index_of_ids(["zz"]) == []
    assert store.index_of_ids([]) == []


def test_effective_context_is_the_store_context_or_the_default_one():
    context = UserContext(daccConsent=False, monthlyAnalysisDay=12)
    assert EventStore([], context).effective_context() is context
    default = EventStore([]).effective_context()
    assert default.daccConsent is True and default.monthlyAnalysisDay == 3


# --------------------------------------------------------------------------
# SetField
# --------------------------------------------------------------------------
def test_set_field_needs_one_value_per_row():
    with pytest.raises(ValueError, match="^one value per row$"):
        edits.SetField("Set", "target", [0, 1], ["faq"])


def test_set_field_do_and_undo_report_the_rows_and_the_field():
    store = EventStore([event("a"), event("b", target="faq"), event("c")])
    command = edits.SetField("Set targets", "target", [2, 0], ["x", "y"])
    assert command.label == "Set targets"
    assert command.do(store) == Change("fields", [2, 0], "target")
    assert [e.target for e in store.events] == ["y", "faq", "x"]
    assert command.undo(store) == Change("fields", [2, 0], "target")
    assert [e.target for e in store.events] == [None, "faq", None]


def test_undo_of_a_second_edit_keeps_the_field_the_first_one_added():
    # The document had no "aggregated": the first edit adds it, the second only changes it.
    store = EventStore([event("a")])
    first = edits.set_field(store.events, 0, "aggregated", True)
    first.do(store)
    second = edits.set_field(store.events, 0, "aggregated", False)
    second.do(store)
    second.undo(store)
    assert store.events[0].to_document() == {"_id": "a", "type": "NavigationEvent",
                                             "eventDate": "2021-12-08T09:00:00.000Z", "aggregated": True}
    first.undo(store)
    assert store.events[0].to_document() == {"_id": "a", "type": "NavigationEvent",
                                             "eventDate": "2021-12-08T09:00:00.000Z"}


def test_undo_then_redo_then_undo_gives_back_each_state():
    store = EventStore([event("a"), event("b")])
    command = edits.shift_dates(store.events, [0, 1], -1, "days")
    for _ in range(2):
        command.do(store)
        assert [e.eventDate for e in store.events] == ["2021-12-07T09:00:00.000Z"] * 2
        assert store.edited_count == 2
        command.undo(store)
        assert [e.eventDate for e in store.events] == ["2021-12-08T09:00:00.000Z"] * 2
        assert store.edited_count == 0


def test_a_prepared_edit_uses_what_it_read_until_the_store_says_it_changed():
    # A command prepared off the UI thread keeps its reading while the
    # store's version stays; a change made elsewhere moves the version, and
    # the command reads the events again.
    store = EventStore([event("a", target="old")])
    command = edits.SetField("Set target", "target", [0], ["new"])
    command.prepare(store)
    write_field(store.events[0], "target", "elsewhere")  # not announced
    command.do(store)
    command.undo(store)
    assert store.events[0].target == "old"

    store = EventStore([event("a", target="old")])
    command = edits.SetField("Set target", "target", [0], ["new"])
    command.prepare(store)
    write_field(store.events[0], "target", "elsewhere")
    store.changed_outside_commands()
    command.do(store)
    assert store.events[0].target == "new"
    command.undo(store)
    assert store.events[0].target == "elsewhere"


def test_an_edit_prepared_before_rows_were_deleted_is_prepared_again():
    store = EventStore([event("a", target="x"), event("b", target="y")])
    command = edits.SetField("Set target", "target", [0], ["new"])
    command.prepare(store)
    edits.delete_events([0]).do(store)
    command.do(store)
    assert [(e.id, e.target) for e in store.events] == [("b", "new")]
    command.undo(store)
    assert [(e.id, e.target) for e in store.events] == [("b", "y")]


# --------------------------------------------------------------------------
# InsertEvents, DeleteEvents, SetContext
# --------------------------------------------------------------------------
def test_insert_adds_at_the_end_and_undo_takes_them_away_with_their_marks():
    store = EventStore([event("a"), event("b")])
    new = [event("n1"), event("n2")]
    command = edits.InsertEvents("Add two", new)
    assert command.label == "Add two"
    change = command.do(store)
    assert (change.kind, list(change.rows)) == ("inserted", [2, 3])
    assert ids(store) == ["a", "b", "n1", "n2"]
    assert store.edited_fields(new[0]) == {"*": 1} and store.edited_count == 2
    change = command.undo(store)
    assert (change.kind, list(change.rows)) == ("removed", [2, 3])
    assert ids(store) == ["a", "b"]
    assert store.edited_fields(new[0]) is None and store.edited_count == 0
    change = command.do(store)  # redo
    assert (change.kind, list(change.rows)) == ("inserted", [2, 3])
    assert ids(store) == ["a", "b", "n1", "n2"]


def test_insert_into_an_empty_store_starts_at_row_zero():
    store = EventStore()
    change = edits.InsertEvents("Add", [event("n1")]).do(store)
    assert (change.kind, list(change.rows)) == ("inserted", [0])


def test_delete_reports_the_sorted_rows_and_undo_puts_each_back():
    store = EventStore([event(name) for name in "abcdef"])
    command = edits.delete_events([4, 0, 2, 4])
    assert command.label == "Delete 3 events"
    assert command.do(store) == Change("removed", [0, 2, 4])
    assert ids(store) == ["b", "d", "f"]
    assert command.undo(store) == Change("inserted", [0, 2, 4])
    assert ids(store) == ["a", "b", "c", "d", "e", "f"]


def test_delete_of_the_last_rows_then_undo():
    store = EventStore([event(name) for name in "abcd"])
    command = edits.delete_events([2, 3])
    command.do(store)
    assert ids(store) == ["a", "b"]
    command.undo(store)
    assert ids(store) == ["a", "b", "c", "d"]
    assert edits.delete_events([]) is None
    assert edits.delete_events([1]).label == "Delete 1 event"


def test_context_command_reports_the_context_and_gives_back_the_edited_flag():
    old = UserContext()
    new = UserContext(daccConsent=False)
    store = EventStore([], old)
    command = edits.set_context(old, new)
    assert command.label == "Edit the user context"
    assert command.do(store) == Change("context")
    assert store.context is new and store.context_edited is True
    assert command.undo(store) == Change("context")
    assert store.context is old and store.context_edited is False
    # An edit on a context already edited gives that back on undo.
    command.do(store)
    again = edits.set_context(new, UserContext(monthlyAnalysisDay=9))
    again.do(store)
    again.undo(store)
    assert store.context is new and store.context_edited is True
    assert Change("context").rows == () and Change("context").field is None


# --------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------
def test_shift_refuses_an_unknown_unit_and_does_nothing_for_zero():
    events = [event("a")]
    with pytest.raises(ValueError) as refused:
        edits.shift_dates(events, [0], 1, "weeks")
    assert str(refused.value) == "unit must be one of ('days', 'hours', 'minutes')"
    assert edits.shift_dates(events, [0], 0, "days") is None


@pytest.mark.parametrize("amount, unit, label", [
    (1, "days", "Shift 2 events by +1 day"),
    (-1, "hours", "Shift 2 events by \u22121 hour"),
    (-2, "minutes", "Shift 2 events by \u22122 minutes"),
    (1500, "minutes", "Shift 2 events by +1,500 minutes"),
])
def test_shift_labels(amount, unit, label):
    events = [event("a"), event("b")]
    assert edits.shift_dates(events, [0, 1], amount, unit).label == label


@pytest.mark.parametrize("text, delta, expected", [
    ("2021-12-08T09:00:00.000Z", timedelta(seconds=1), "2021-12-08T09:00:01.000Z"),
    ("2021-12-08T09:00:00.000Z", timedelta(days=1, seconds=1), "2021-12-09T09:00:01.000Z"),
    ("2021-12-08T09:00:00.000Z", timedelta(microseconds=250000), "2021-12-08T09:00:00.250Z"),
    ("2021-12-08T09:00:00.000000Z", timedelta(microseconds=1), "2021-12-08T09:00:00.000001Z"),
    ("2021-12-08T23:59:59.999999Z", timedelta(microseconds=1), "2021-12-09T00:00:00.000000Z"),
])
def test_shifts_by_less_than_a_minute_change_the_time(text, delta, expected):
    assert edits.shifted_date_text(text, delta) == expected


def test_whole_day_shifts_remember_each_new_day():
    cache: dict = {}
    assert edits.shifted_date_text("2021-12-08T09:00:00.000Z", timedelta(days=2), cache) == "2021-12-10T09:00:00.000Z"
    assert edits.shifted_date_text("2021-12-31 10:00", timedelta(days=2), cache) == "2022-01-02 10:00"
    assert cache == {date(2021, 12, 8): date(2021, 12, 10), date(2021, 12, 31): date(2022, 1, 2)}
    # A day already there is taken from it, not computed again.
    known = {date(2021, 12, 8): date(2000, 1, 1)}
    assert edits.shifted_date_text("2021-12-08T09:00:00.000Z", timedelta(days=2), known) == "2000-01-01T09:00:00.000Z"
    assert edits.shifted_date_text(" 2021-12-08 ", timedelta(days=2), known) == " 2000-01-01 "


@pytest.mark.parametrize("count, shown", [
    (3, "('x1', 'x2', 'x3')"),
    (4, "('x1', 'x2', 'x3', …)"),
    (5, "('x1', 'x2', 'x3', …)"),
])
def test_the_note_shows_three_unreadable_dates_at_most(count, shown):
    events = [event(f"e{n}", f"x{n + 1}") for n in range(count)] + [event("ok")]
    command = edits.shift_dates(events, range(count + 1), 1, "days")
    assert command.note == (f"{count} events left as they were: an eventDate that cannot be read as a date "
                            f"(YYYY-MM-DD, optionally followed by a time) {shown}.")


def test_move_to_day_skips_the_events_already_on_that_day():
    events = [event("a", "2021-12-01T08:00:00.000Z"), event("b"), event("c", "2021-12-07 10:15")]
    command = edits.move_to_day(events, [0, 1, 2], date(2021, 12, 1))
    assert command.label == "Move 2 events to 2021-12-01"
    assert command.rows == [1, 2]
    assert command.values == ["2021-12-01T09:00:00.000Z", "2021-12-01 10:15"]
    assert edits.move_to_day(events, [0], date(2021, 12, 1)) is None
    assert edits.move_to_day(events, [1], date(2021, 12, 1)).label == "Move 1 event to 2021-12-01"


def test_set_event_date_names_an_event_without_id_by_its_row():
    events = [event("a"), event(None), event(None, "soon")]
    command = edits.set_event_date(events, 1, datetime(2021, 12, 1, 7, 30))
    assert command.label == "Set eventDate of event #2 to 2021-12-01T07:30:00.000Z"
    assert (command.rows, command.values) == ([1], ["2021-12-01T07:30:00.000Z"])
    with pytest.raises(EditRefused) as refused:
        edits.set_event_date(events, 2, datetime(2021, 12, 1, 7, 30))
    assert str(refused.value) == ("The eventDate of event #3 was left as it is: its eventDate 'soon' is not a "
                                  "date (YYYY-MM-DD, optionally followed by a time).")


def test_set_field_refuses_a_field_that_cannot_be_edited():
    with pytest.raises(ValueError) as refused:
        edits.set_field([event("a")], 0, "id", "b")
    assert str(refused.value) == "id cannot be edited"


def test_set_field_of_the_date_with_a_moment_writes_it_in_the_old_style():
    events = [event("a", "2021-12-08 09:00")]
    command = edits.set_field(events, 0, "eventDate", datetime(2021, 12, 1, 7, 30))
    assert command.label == "Set eventDate of event a to 2021-12-01 07:30"
    assert (command.field, command.values) == ("eventDate", ["2021-12-01 07:30"])


def test_set_field_of_the_date_with_a_text_sets_that_text():
    events = [event("a", "2021-12-08 09:00")]
    command = edits.set_field(events, 0, "eventDate", "2021-12-01")
    assert command.label == "Set eventDate of event a to '2021-12-01'"
    assert (command.field, command.values) == ("eventDate", ["2021-12-01"])


def test_set_field_of_a_moment_in_another_field_is_a_plain_value():
    events = [event("a")]
    moment = datetime(2021, 12, 1, 7, 30)
    command = edits.set_field(events, 0, "startDate", moment)
    assert (command.field, command.values) == ("startDate", [moment])
    assert command.label == "Set startDate of event a to datetime.datetime(2021, 12, 1, 7, 30)"


@pytest.mark.parametrize("name, value, stored, label", [
    ("target", "faq", "faq", "Set target of event a to 'faq'"),
    ("target", "", None, None),  # an emptied cell that was absent: nothing to do
    ("context", None, None, None),  # already absent: nothing to do
    ("result", 3, 3, "Set result of event a to 3"),
    ("type", "", "", "Set type of event a to ''"),
    ("type", "ChallengeEvent", "ChallengeEvent", "Set type of event a to 'ChallengeEvent'"),
    ("aggregated", 1, True, "Set aggregated of event a to true"),
    ("aggregated", "yes", True, "Set aggregated of event a to true"),
    ("aggregated", 0, None, None),  # False already
    ("aggregated", "", None, None),
])
def test_set_field_values_and_labels(name, value, stored, label):
    events = [event("a")]
    command = edits.set_field(events, 0, name, value)
    if label is None:
        assert command is None
        return
    assert command.label == label
    assert (command.field, command.rows) == (name, [0])
    store = EventStore(events)
    command.do(store)
    assert getattr(store.events[0], name) == stored
    assert type(getattr(store.events[0], name)) is type(stored)


def test_set_field_empties_a_cell_and_unsets_aggregated():
    events = [event(None, target="faq", aggregated=True)]
    command = edits.set_field(events, 0, "target", "")
    assert command.label == "Set target of event #1 to empty"
    assert command.values == [None]
    command = edits.set_field(events, 0, "aggregated", "")
    assert command.label == "Set aggregated of event #1 to false"
    assert command.values == [False]
    assert edits.set_field(events, 0, "target", "faq") is None


def test_toggle_aggregated_flips_each_event():
    events = [event("a"), event("b", aggregated=True), event("c")]
    command = edits.toggle_aggregated(events, [0, 1])
    assert command.label == "Toggle aggregated of 2 events"
    assert (command.field, command.rows, command.values) == ("aggregated", [0, 1], [True, False])
    assert edits.toggle_aggregated(events, [2]).label == "Toggle aggregated of 1 event"
    assert edits.toggle_aggregated(events, []) is None


def test_mark_aggregated_sets_only_the_events_not_set_yet():
    events = [event("a"), event("b", aggregated=True), event("c")]
    store = EventStore(events)
    command = edits.mark_aggregated(events, [0, 1, 2], "tonight's run")
    assert command.label == "Mark 2 events aggregated (tonight's run)"
    assert (command.field, command.rows, command.values) == ("aggregated", [0, 2], [True, True])
    command.do(store)
    assert [e.aggregated for e in store.events] == [True, True, True]
    assert store.edited_fields(events[0]) == {"aggregated": 1} and store.edited_fields(events[1]) is None
    assert edits.mark_aggregated(events, [0, 1, 2], "again") is None
    assert edits.mark_aggregated([event("d")], [0], "one").label == "Mark 1 event aggregated (one)"


def test_unique_id_takes_the_first_free_copy_name():
    taken = {"a", "b-copy"}
    assert edits.unique_id("a", taken) == "a-copy"
    assert taken == {"a", "b-copy", "a-copy"}
    assert edits.unique_id("a", taken) == "a-copy2"
    assert edits.unique_id("b", taken) == "b-copy2"
    assert edits.unique_id("a", taken) == "a-copy3"
    assert taken == {"a", "b-copy", "a-copy", "a-copy2", "b-copy2", "a-copy3"}


def test_duplicates_are_new_documents_with_new_ids():
    events = [UsageEvent.from_document({"_id": "a", "_rev": "1-x", "type": "NavigationEvent",
                                        "eventDate": "2021-12-08T09:00:00.000Z", "target": "faq"}),
              UsageEvent.from_document({"type": "ChallengeEvent", "eventDate": "2021-12-08"}),
              UsageEvent.from_document({"_id": "a-copy", "type": "NavigationEvent", "eventDate": "2021-12-09"})]
    command = edits.duplicate_events(events, [0, 1, 0, 1])
    assert command.label == "Duplicate 4 events"
    assert [e.to_document() for e in command.new_events] == [
        {"_id": "a-copy2", "type": "NavigationEvent", "eventDate": "2021-12-08T09:00:00.000Z", "target": "faq"},
        {"type": "ChallengeEvent", "eventDate": "2021-12-08", "_id": "event-copy"},
        {"_id": "a-copy3", "type": "NavigationEvent", "eventDate": "2021-12-08T09:00:00.000Z", "target": "faq"},
        {"type": "ChallengeEvent", "eventDate": "2021-12-08", "_id": "event-copy2"},
    ]
    assert edits.duplicate_events(events, [2]).label == "Duplicate 1 event"
    assert edits.duplicate_events(events, []) is None


def test_new_event_writes_the_fields_given_in_ecolyo_style():
    command = edits.new_event(datetime(2021, 12, 8, 9, 30), target="faq", context="", result=None, aggregated=1)
    assert command.label == "Add NavigationEvent on 2021-12-08 09:30"
    [new] = command.new_events
    doc = new.to_document()
    assert re.fullmatch(r"new-[0-9a-f]{12}", doc["_id"])
    assert list(doc) == ["_id", "type", "eventDate", "target", "aggregated"]
    assert {k: v for k, v in doc.items() if k != "_id"} == {
        "type": "NavigationEvent", "eventDate": "2021-12-08T09:30:00.000Z", "target": "faq", "aggregated": True}


def test_new_event_of_a_type_with_every_field():
    command = edits.new_event(datetime(2021, 1, 2, 3, 4, 5), "ChallengeEvent", target="t", context="c",
                              result="r", startDate="2021-01-01", other="ignored")
    assert command.label == "Add ChallengeEvent on 2021-01-02 03:04"
    doc = command.new_events[0].to_document()
    assert list(doc) == ["_id", "type", "eventDate", "target", "context", "result", "startDate", "aggregated"]
    assert {k: v for k, v in doc.items() if k != "_id"} == {
        "type": "ChallengeEvent", "eventDate": "2021-01-02T03:04:05.000Z", "target": "t", "context": "c",
        "result": "r", "startDate": "2021-01-01", "aggregated": False}
    other = edits.new_event(datetime(2021, 1, 2, 3, 4, 5), "ChallengeEvent").new_events[0]
    assert other.id != command.new_events[0].id


def test_new_event_is_added_at_the_end_and_marked():
    store = EventStore([event("a")])
    command = edits.new_event(datetime(2021, 12, 8, 9, 30))
    change = command.do(store)
    assert (change.kind, list(change.rows)) == ("inserted", [1])
    assert store.events[1].type == "NavigationEvent" and store.events[1].aggregated is False
    assert store.edited_fields(store.events[1]) == {"*": 1}


def test_a_store_taking_a_list_edits_that_list():
    from dacc_gui.events.edits import InsertEvents

    loaded = [UsageEvent.from_document({"_id": "a", "type": "NavigationEvent", "eventDate": "2021-12-08"})]
    context = UserContext()
    store = EventStore.taking(loaded, context)
    assert store.context is context and store.version == 0 and not store.has_marks
    added = UsageEvent.from_document({"_id": "b", "type": "NavigationEvent", "eventDate": "2021-12-09"})
    InsertEvents("Add", [added]).do(store)
    assert store.events is loaded
    assert [e.id for e in loaded] == ["a", "b"]
    copied = EventStore(loaded)
    assert copied.events is not loaded and [e.id for e in copied.events] == ["a", "b"]
