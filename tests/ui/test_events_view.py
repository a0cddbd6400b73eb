"""The Events tab: loading each shape, the table model, sort, filter, edits, undo/redo."""

from __future__ import annotations

import copy
from datetime import date, datetime

import pytest
from PySide6.QtCore import Qt

from dacc_gui.events.eventset import Shape
from dacc_gui.events.loader import from_json
from dacc_gui.events.saver import save_file
from dacc_gui.events.query import COLUMNS, EventFilter, sort_keys
from tests.ui.conftest import open_golden

MINUS = "\u2212"


def col(name: str) -> int:
    return COLUMNS.index(name)


def shown_ids(window) -> list[str]:
    model = window.events_view.model
    return [model.index(r, col("id")).data() for r in range(model.rowCount())]


@pytest.mark.parametrize("shape", list(Shape))
def test_load_each_shape(window, golden, tmp_path, shape):
    event_set = from_json(copy.deepcopy(golden))
    path = tmp_path / f"events.{shape.value}.json"
    save_file(event_set, path, shape)
    window.open_file(path, confirm=False)
    assert window.document.source.shape == shape
    assert len(window.document.events) == len(event_set.events)
    assert window.events_view.model.rowCount() == len(event_set.events)
    assert shown_ids(window) == [e.id for e in event_set.events]
    assert f"{len(event_set.events)} events" in window.events_view.count_label.text()


def test_bad_file_is_a_message_not_a_traceback(window, tmp_path, messages):
    path = tmp_path / "broken.json"
    path.write_text('{"events": [1, 2,')
    window.open_file(path, confirm=False)
    assert len(messages) == 1
    title, text, details = messages[0]
    assert "could not be opened" in title
    assert "broken.json" in text and "line 1" in text
    assert "Traceback" not in text
    assert window.document.path is None


def test_event_model_passes_the_model_tester(window, golden_path, qtmodeltester):
    open_golden(window, golden_path)
    qtmodeltester.check(window.events_view.model, force_py=True)


def test_sort_by_event_date_both_ways(window, golden_path):
    open_golden(window, golden_path)
    view = window.events_view
    view.sort_by("eventDate")
    dates = [view.model.index(r, col("eventDate")).data() for r in range(view.model.rowCount())]
    assert dates == sorted(dates)
    view.sort_by("eventDate", descending=True)
    dates = [view.model.index(r, col("eventDate")).data() for r in range(view.model.rowCount())]
    assert dates == sorted(dates, reverse=True)
    view.sort_by("type")
    types = [view.model.index(r, col("type")).data() for r in range(view.model.rowCount())]
    assert types == sorted(types)


def test_filters_and_count(window, golden_path):
    open_golden(window, golden_path)
    view = window.events_view
    events = window.document.events
    total = len(events)
    view.type_filter.setCurrentText("NavigationEvent")
    view.apply_filter()
    nav = [e.id for e in events if e.type == "NavigationEvent"]
    assert shown_ids(window) == nav
    assert view.count_label.text() == f"{len(nav)} of {total}"
    view.clear_filter()
    view.aggregated_filter.setCurrentIndex(2)  # aggregated only
    view.apply_filter()
    assert shown_ids(window) == [e.id for e in events if e.aggregated]
    view.clear_filter()
    view.from_check.setChecked(True)
    view.from_date.setDate(date(2021, 12, 8))
    view.to_check.setChecked(True)
    view.to_date.setDate(date(2021, 12, 8))
    view.apply_filter()
    assert shown_ids(window) == [e.id for e in events if e.day == date(2021, 12, 8)]
    view.clear_filter()
    view.text_filter.setText("quiz001")
    view.apply_filter()
    assert shown_ids(window) == [e.id for e in events if e.target == "QUIZ001"]
    view.clear_filter()
    assert view.model.rowCount() == total
    assert view.count_label.text() == f"{total} events"


def test_filter_typing_is_debounced(window, golden_path, qtbot):
    open_golden(window, golden_path)
    view = window.events_view
    view.text_filter.setText("faq")
    qtbot.waitUntil(lambda: view.model.rowCount() < len(window.document.events), timeout=10_000)
    assert all("faq" in (window.document.events[s].target or "") for s in view.model.source_rows(range(view.model.rowCount())))


def test_flagged_events_are_marked_with_their_reason(window, tmp_path):
    path = tmp_path / "flagged.json"
    path.write_text('{"events": [{"_id": "a", "type": "MysteryEvent", "eventDate": "2021-12-08T09:00:00.000Z"},'
                    '{"_id": "b", "type": "NavigationEvent", "eventDate": "yesterday"},'
                    '{"_id": "c", "type": "NavigationEvent", "eventDate": "2021-12-08T09:00:00.000Z"}]}')
    window.open_file(path, confirm=False)
    model = window.events_view.model
    tip_a = model.index(0, col("type")).data(Qt.ItemDataRole.ToolTipRole)
    tip_b = model.index(1, col("eventDate")).data(Qt.ItemDataRole.ToolTipRole)
    assert "unknown type 'MysteryEvent'" in tip_a
    assert "'yesterday' is not a date" in tip_b
    assert model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert model.index(2, 0).data(Qt.ItemDataRole.ToolTipRole) is None
    view = window.events_view
    view.type_filter.setCurrentText("Flagged (used by no rule)")
    view.apply_filter()
    assert shown_ids(window) == ["a", "b"]


def test_shift_many_undo_redo_with_labels(window, golden_path):
    open_golden(window, golden_path)
    view = window.events_view
    before = [e.eventDate for e in window.document.events]
    view.table.selectAll()
    n = len(before)
    view.shift_selected(-1, "days")
    assert window.undo_action.text() == f"Undo Shift {n} events by {MINUS}1 day"
    assert all(a != b for a, b in zip(before, (e.eventDate for e in window.document.events)))
    assert window.document.is_dirty
    assert f"{n} events changed" in window.dirty_status.text()
    # Edited cells are marked.
    assert view.model.index(0, col("eventDate")).data(Qt.ItemDataRole.FontRole).bold()
    assert view.model.index(0, col("target")).data(Qt.ItemDataRole.FontRole) is None
    window.undo_action.trigger()
    assert [e.eventDate for e in window.document.events] == before
    assert not window.document.is_dirty
    assert window.redo_action.text() == f"Redo Shift {n} events by {MINUS}1 day"
    assert view.model.index(0, col("eventDate")).data(Qt.ItemDataRole.FontRole) is None
    window.redo_action.trigger()
    assert [e.eventDate for e in window.document.events] != before


def test_shift_hours_and_move_to_a_day(window, golden_path):
    open_golden(window, golden_path)
    view = window.events_view
    events = window.document.events
    view.select_source_rows([0, 1])
    first = events[0].moment
    view.shift_selected(2, "hours")
    assert events[0].moment == first.replace(hour=first.hour + 2)
    assert window.undo_action.text() == "Undo Shift 2 events by +2 hours"
    view.select_source_rows([0, 1, 2])
    view.move_selected_to_day(date(2021, 11, 30))
    assert {events[r].day for r in (0, 1, 2)} == {date(2021, 11, 30)}
    assert window.undo_action.text() == "Undo Move 3 events to 2021-11-30"


def test_move_to_yesterday_uses_today(window, golden_path):
    open_golden(window, golden_path)
    view = window.events_view
    today_rows = [n for n, e in enumerate(window.document.events) if e.day == date(2021, 12, 9)]
    view.select_source_rows(today_rows)
    view.yesterday_action.trigger()
    assert all(window.document.events[r].day == date(2021, 12, 8) for r in today_rows)
    assert "to yesterday (2021-12-08)" in window.undo_action.text()


def test_edit_event_date_in_place(window, golden_path):
    open_golden(window, golden_path)
    model = window.events_view.model
    index = model.index(2, col("eventDate"))
    assert model.flags(index) & Qt.ItemFlag.ItemIsEditable
    assert model.setData(index, datetime(2021, 12, 1, 12, 0, 5), Qt.ItemDataRole.EditRole)
    assert window.document.events[2].eventDate == "2021-12-01T12:00:05.000Z"
    assert window.undo_action.text().startswith("Undo Set eventDate of event e3")
    assert not model.flags(model.index(2, col("id"))) & Qt.ItemFlag.ItemIsEditable


def test_aggregated_check_box_toggles(window, golden_path):
    open_golden(window, golden_path)
    model = window.events_view.model
    index = model.index(0, col("aggregated"))
    was = window.document.events[0].aggregated
    assert model.setData(index, Qt.CheckState.Unchecked if was else Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert window.document.events[0].aggregated is (not was)


def test_add_duplicate_delete_and_undo(window, golden_path):
    open_golden(window, golden_path)
    view = window.events_view
    n = len(window.document.events)
    view.add_event(datetime(2021, 12, 8, 20, 0), "NavigationEvent", target="faq")
    assert len(window.document.events) == n + 1
    assert view.model.rowCount() == n + 1
    assert view.selected_source_rows() == [n]
    view.select_source_rows([0, 1])
    view.duplicate_selected()
    assert len(window.document.events) == n + 3
    assert view.model.rowCount() == n + 3
    assert window.undo_action.text() == "Undo Duplicate 2 events"
    view.select_source_rows([1, 2, 3])
    ids = [e.id for e in window.document.events]
    view.delete_selected()
    assert [e.id for e in window.document.events] == [i for k, i in enumerate(ids) if k not in (1, 2, 3)]
    assert view.model.rowCount() == n
    window.undo_action.trigger()
    assert [e.id for e in window.document.events] == ids
    assert shown_ids(window) == ids
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert len(window.document.events) == n
    assert view.model.rowCount() == n


def test_delete_in_a_sorted_view_keeps_the_rest_in_order(window, golden_path):
    open_golden(window, golden_path)
    view = window.events_view
    view.sort_by("eventDate")
    before = shown_ids(window)
    view.table.selectRow(0)
    view.delete_selected()
    assert shown_ids(window) == before[1:]
    window.undo_action.trigger()
    assert sorted(shown_ids(window)) == sorted(before)


def test_sort_keys_put_bad_dates_first():
    from dacc_gui.events.model import UsageEvent

    events = [UsageEvent.from_document({"type": "NavigationEvent", "eventDate": d})
              for d in ("2021-12-08T10:00:00Z", None, "2021-12-08 09:00")]
    keys = sort_keys(events, "eventDate")
    assert sorted(range(3), key=keys.__getitem__) == [1, 2, 0]
    assert EventFilter().is_empty()


def test_multi_data_gives_each_role_and_clears_what_a_cell_lacks(window, golden_path):
    """Delegates ask all roles at once, reusing the same slots from cell to cell."""
    from PySide6.QtCore import QModelRoleData, QModelRoleDataSpan

    open_golden(window, golden_path)
    window.events_view.select_source_rows([1])
    window.events_view.shift_selected(-1, "days")
    model = window.events_view.model
    roles = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.FontRole, Qt.ItemDataRole.CheckStateRole,
             Qt.ItemDataRole.BackgroundRole]
    slots = {role: QModelRoleData(int(role)) for role in roles}
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            index = model.index(row, column)
            for role, slot in slots.items():
                model.multiData(index, QModelRoleDataSpan(slot))
                expected = model.data(index, role)
                got = slot.data()
                if expected is None:
                    assert got is None, (row, column, role)
                elif role == Qt.ItemDataRole.FontRole:
                    assert got.bold() == expected.bold()
                elif role != Qt.ItemDataRole.BackgroundRole:
                    assert got == expected, (row, column, role)
