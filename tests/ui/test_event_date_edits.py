"""Date edits in the Events tab: what is left alone is said, and so is a refused cell edit."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from PySide6.QtCore import Qt

from dacc_gui.events.query import COLUMNS


@pytest.fixture
def odd_dates(tmp_path):
    path = tmp_path / "odd.json"
    path.write_text('{"events": ['
                    '{"_id": "a", "type": "NavigationEvent", "eventDate": " 2021-12-08T09:00:00Z", "target": "faq"},'
                    '{"_id": "b", "type": "NavigationEvent", "eventDate": "2021-12-08T25:99:00.000Z", "target": "faq"},'
                    '{"_id": "c", "type": "NavigationEvent", "eventDate": "2021-12-08T10:00:00.000+02:00"}]}')
    return path


def dates(window) -> list:
    return [e.eventDate for e in window.document.events]


def test_a_shift_says_how_many_it_left_and_why(window, odd_dates):
    window.open_file(odd_dates, confirm=False)
    view = window.events_view
    view.select_source_rows([0, 1, 2])
    view.shift_selected(1, "days")
    assert dates(window) == [" 2021-12-09T09:00:00Z", "2021-12-08T25:99:00.000Z", "2021-12-09T10:00:00.000+02:00"]
    assert window.undo_action.text() == "Undo Shift 2 events by +1 day"
    assert not view.message.isHidden()
    assert view.message.text().startswith("1 event left as it was: an eventDate that cannot be read")
    assert "'2021-12-08T25:99:00.000Z'" in view.message.text()


def test_move_to_a_day_refused_for_every_event_says_why(window, odd_dates):
    window.open_file(odd_dates, confirm=False)
    view = window.events_view
    view.select_source_rows([1])
    view.move_selected_to_day(date(2021, 12, 1))
    assert dates(window)[1] == "2021-12-08T25:99:00.000Z"
    assert not window.document.is_dirty
    assert view.message.text().startswith("Nothing changed: 1 event left as it was")
    assert window.statusBar().currentMessage().startswith("Nothing changed: 1 event left as it was")


def test_a_cell_edit_of_an_unreadable_date_is_refused_with_the_reason(window, odd_dates):
    window.open_file(odd_dates, confirm=False)
    model = window.events_view.model
    index = model.index(1, COLUMNS.index("eventDate"))
    assert not model.setData(index, datetime(2021, 12, 1, 7, 30), Qt.ItemDataRole.EditRole)
    assert dates(window)[1] == "2021-12-08T25:99:00.000Z"
    assert "The eventDate of event b was left as it is" in window.events_view.message.text()
    assert model.setData(model.index(0, COLUMNS.index("eventDate")), datetime(2021, 12, 1, 7, 30),
                         Qt.ItemDataRole.EditRole)
    assert dates(window)[0] == " 2021-12-01T07:30:00Z"
