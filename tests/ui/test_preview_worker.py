"""The Indicators tab with the real worker process and thread pool: the
preview follows edits, Cancel stops it, and a worker killed mid-run is
reported and replaced while the window goes on."""

from __future__ import annotations

import os
import signal
from datetime import date, timedelta

import pytest

from dacc_gui.events.context import UserContext
from dacc_gui.events.eventset import EventSet
from dacc_gui.events.model import UsageEvent
from dacc_gui.rules.indicators import canonical
from dacc_gui.rules.preview import compute_preview
from tests.ui.conftest import GOLDEN, TODAY

TIMEOUT = 60_000


@pytest.fixture
def live_window(qtbot, settings, messages):
    from dacc_gui.ui.common.tasks import TaskRunner
    from dacc_gui.ui.main_window import MainWindow

    settings.recompute_delay_ms = 0
    win = MainWindow(settings, TaskRunner(), today=lambda: TODAY)
    qtbot.addWidget(win)
    win.ask_unsaved = lambda: "discard"
    yield win
    pid = win.indicators_view.previewer.pid
    win.close()
    if pid is not None:  # closing stops the worker
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def shown(view) -> list[str]:
    return [canonical(view.model.row_at(r).indicator.payload()) for r in range(view.model.rowCount())]


def expected(window, first: date, last: date | None = None, ignore: bool = False) -> list[str]:
    preview = compute_preview(list(window.document.events), window.document.context, first, last, ignore)
    return [canonical(row.indicator.payload()) for row in preview.rows]


def long_set() -> EventSet:
    start = date(2022, 1, 1)
    types = ["NavigationEvent", "ConnectionEvent", "KonnectorAttemptEvent", "ProfileSetEvent"]
    events = [UsageEvent.from_document({
        "_id": f"e{i}", "type": types[i % 4], "eventDate": f"{start + timedelta(days=i % 700)}T10:{i % 60:02d}:00.000Z",
        "target": "faq", "aggregated": False}) for i in range(5_000)]
    return EventSet(events=events, context=UserContext(connectedFluids=["gas"]))


def start_long_preview(qtbot, window):
    """A preview of two years of nights, seen running in the worker (its first night done)."""
    view = window.indicators_view
    window.document.load(long_set(), None, "long")
    qtbot.waitUntil(lambda: not view.computing, timeout=TIMEOUT)
    view.run_date.setDate(date(2022, 1, 2))
    view.ignore_monthly.setChecked(True)
    view.range_check.setChecked(True)
    view.range_end.setDate(date(2023, 12, 31))
    progress: list[tuple[int, int]] = []
    window.runner.started.connect(lambda task: task.progressed.connect(lambda d, t: progress.append((d, t))))
    view.recompute()
    qtbot.waitUntil(lambda: bool(progress), timeout=TIMEOUT)
    assert progress[0][0] < progress[0][1] and view.computing
    return view


def test_the_preview_follows_the_edits_through_the_worker(qtbot, live_window):
    window = live_window
    view = window.indicators_view
    window.open_file(GOLDEN / "01-one-day.json", confirm=False)
    qtbot.waitUntil(lambda: not window.runner.running and not view.computing and view.model.rowCount() > 0,
                    timeout=TIMEOUT)
    assert shown(view) == expected(window, TODAY)
    assert view.previewer.pid not in (None, os.getpid())
    before = shown(view)
    today_rows = [n for n, e in enumerate(window.document.events) if e.day == TODAY]
    window.events_view.select_source_rows(today_rows)
    window.events_view.move_selected_to_yesterday()
    qtbot.waitUntil(lambda: shown(view) != before and not view.computing, timeout=TIMEOUT)
    assert shown(view) == expected(window, TODAY)
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: shown(view) == before and not view.computing, timeout=TIMEOUT)


def test_cancel_stops_the_worker_and_the_window_keeps_the_last_preview(qtbot, live_window, messages):
    window = live_window
    view = start_long_preview(qtbot, window)
    kept = shown(view)
    window.runner.cancel_all()
    qtbot.waitUntil(lambda: not view.computing, timeout=10_000)  # long before two years of nights
    assert shown(view) == kept and messages == []
    view.range_check.setChecked(False)
    view.recompute()
    qtbot.waitUntil(lambda: not view.computing, timeout=TIMEOUT)
    assert shown(view) == expected(window, date(2022, 1, 2), None, True)


def test_a_worker_killed_mid_run_is_reported_and_restarted(qtbot, live_window, messages):
    window = live_window
    view = start_long_preview(qtbot, window)
    first_pid = view.previewer.pid
    os.kill(first_pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: bool(messages) and not view.computing, timeout=TIMEOUT)
    title, text, _details = messages[0]
    assert title == "The preview stopped"
    assert "worker process was killed (SIGKILL)" in text and "Recompute" in text
    assert view.state_label.text() == "Not computed"
    # Restarted with the events, before anyone asked: the next preview is right.
    assert view.previewer.alive and view.previewer.pid != first_pid
    view.range_check.setChecked(False)
    view.recompute()
    qtbot.waitUntil(lambda: not view.computing, timeout=TIMEOUT)
    assert shown(view) == expected(window, date(2022, 1, 2), None, True)
    assert len(messages) == 1


def test_a_worker_that_keeps_dying_waits_for_recompute(qtbot, live_window, messages):
    window = live_window
    view = window.indicators_view
    window.open_file(GOLDEN / "01-one-day.json", confirm=False)
    qtbot.waitUntil(lambda: not window.runner.running and not view.computing and view.model.rowCount() > 0,
                    timeout=TIMEOUT)
    pids = []
    for _ in range(3):  # killed while idle: restarted each time, and said so
        pids.append(view.previewer.pid)
        os.kill(pids[-1], signal.SIGKILL)
        qtbot.waitUntil(lambda: view.previewer.alive and view.previewer.pid not in pids, timeout=TIMEOUT)
        assert view.state_label.text() == "Preview worker restarted"
    os.kill(view.previewer.pid, signal.SIGKILL)  # a fourth time in a row: no more restarts by itself
    qtbot.waitUntil(lambda: not view.previewer.alive, timeout=TIMEOUT)
    qtbot.wait(200)
    assert not view.previewer.alive and "keeps stopping" in view.state_label.text()
    assert messages == []  # no preview was running: nothing failed
    view.recompute()  # the user's Recompute starts one
    qtbot.waitUntil(lambda: not view.computing, timeout=TIMEOUT)
    assert view.previewer.alive and shown(view) == expected(window, TODAY)
