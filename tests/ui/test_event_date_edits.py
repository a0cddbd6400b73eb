"""Date edits in the Events tab: what is left alone is said, a refused cell edit
is said, and an edit prepared in the background never applies stale values."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from dacc_gui.events.loader import load_file
from dacc_gui.events.model import parse_event_date
from dacc_gui.events.query import COLUMNS
from dacc_gui.ui.common.tasks import TaskRunner
from dacc_gui.ui.events import view as events_view_module
from tests.ui.conftest import GOLDEN, TODAY


class LateResults(TaskRunner):
    """Runs each task's work at once, as a worker thread would start it, and
    hands its result to the UI thread only on ``deliver``: what the user does
    meanwhile happens between the preparation and its result."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: list = []

    def _start(self, task, work) -> None:
        try:
            result = work(task._w_progress.emit, task.is_cancelled)
        except BaseException as exc:  # noqa: BLE001 - handed over as the task's failure
            def outcome(_p, _c, exc=exc):
                raise exc
        else:
            def outcome(_p, _c):
                return result
        self.pending.append((task, outcome))

    def deliver(self) -> None:
        while self.pending:  # a result may start another task
            task, outcome = self.pending.pop(0)
            task._run(outcome)

    def deliver_last(self) -> None:
        task, outcome = self.pending.pop()
        task._run(outcome)


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


@pytest.fixture
def deferred(qtbot, settings, messages, monkeypatch):
    """A window whose background work waits for ``runner.deliver()``; every edit is a background one."""
    from dacc_gui.ui.main_window import MainWindow

    monkeypatch.setattr(events_view_module, "BACKGROUND_ROWS", 0)
    settings.recompute_delay_ms = 0
    runner = LateResults()
    win = MainWindow(settings, runner, today=lambda: TODAY)
    qtbot.addWidget(win)
    win.ask_unsaved = lambda: "discard"
    yield win, runner
    runner.deliver()
    win.document.undo_stack.setClean()


def open_now(win, runner, path):
    win.open_file(path, confirm=False)
    runner.deliver()
    assert win.document.path == path


def test_an_undo_while_an_edit_is_prepared_is_not_lost(deferred):
    win, runner = deferred
    open_now(win, runner, GOLDEN / "01-one-day.json")
    original = [parse_event_date(d) for d in dates(win)]
    view = win.events_view
    view.select_source_rows(list(range(len(original))))
    view.shift_selected(1, "days")
    runner.deliver()
    view.shift_selected(1, "days")  # prepared from the dates moved by one day...
    win.undo_action.trigger()  # ...which are put back before it is applied
    runner.deliver()
    # Prepared again from the dates as they are now: one day on, not two.
    assert [parse_event_date(d) for d in dates(win)] == [m + timedelta(days=1) for m in original]
    win.undo_action.trigger()
    assert [parse_event_date(d) for d in dates(win)] == original


def test_an_edit_prepared_before_a_reload_is_not_applied_to_the_new_events(deferred, tmp_path):
    win, runner = deferred
    open_now(win, runner, GOLDEN / "01-one-day.json")
    view = win.events_view
    view.select_source_rows([0, 1, 2])
    view.shift_selected(-1, "days")
    other = GOLDEN / "02-missed-nights.json"
    win.open_file(other, confirm=False)
    runner.deliver_last()  # the other file opens before the shift's result arrives
    assert win.document.path == other
    runner.deliver()
    assert dates(win) == [e.eventDate for e in load_file(other).events]
    assert not win.document.is_dirty
    assert "the events changed meanwhile; nothing done" in win.statusBar().currentMessage()
