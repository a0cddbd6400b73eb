"""The app as a new user meets it: the save's Cancel, reopening the last file,
the keyboard, messages that say why, the receiver's port, the layout."""

from __future__ import annotations

import logging
import json
import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from dacc_gui.ui.common.tasks import TaskRunner
from dacc_gui.ui.main_window import MainWindow
from tests.ui.conftest import TODAY


@pytest.fixture
def copy_of_golden(tmp_path, golden):
    path = tmp_path / "events.json"
    path.write_text(json.dumps(golden, indent=2))
    return path


# --- the running task's Cancel --------------------------------------------------------------
def _blocked_task(runner: TaskRunner, cancellable: bool):
    release = threading.Event()
    task = runner.run("Saving events.json", lambda _p, _c: release.wait(10), cancellable=cancellable)
    return task, release


def test_a_task_that_cannot_stop_shows_no_cancel(qtbot, settings, messages):
    window = MainWindow(settings, TaskRunner(), today=lambda: TODAY)
    qtbot.addWidget(window)
    indicator = window.task_indicator
    task, release = _blocked_task(window.runner, cancellable=False)
    try:
        assert indicator.isVisibleTo(window) and indicator.label.text() == "Saving events.json…"
        assert not indicator.cancel_button.isVisibleTo(window)  # not a greyed button that does nothing
    finally:
        release.set()
    qtbot.waitUntil(lambda: not task.running, timeout=10_000)
    task, release = _blocked_task(window.runner, cancellable=True)
    try:
        assert indicator.cancel_button.isVisibleTo(window) and indicator.cancel_button.isEnabled()
        indicator.cancel_button.click()
        assert task.is_cancelled()
    finally:
        release.set()
    qtbot.waitUntil(lambda: not task.running, timeout=10_000)
    window.runner.wait(10_000)


def test_the_save_offers_no_cancel(qtbot, settings, messages, copy_of_golden):
    window = MainWindow(settings, TaskRunner(), today=lambda: TODAY)
    qtbot.addWidget(window)
    task = window.open_file(copy_of_golden, confirm=False)
    qtbot.waitUntil(lambda: not task.running, timeout=10_000)
    seen = []
    window.runner.started.connect(
        lambda t: seen.append(window.task_indicator.cancel_button.isVisibleTo(window)) if t.label.startswith("Saving") else None)
    task = window.save()
    qtbot.waitUntil(lambda: not task.running, timeout=10_000)
    assert seen == [False]
    window.runner.wait(10_000)


# --- Reopen last file on start ----------------------------------------------------------------
def test_reopen_last_file_on_start_is_a_setting(qtbot, settings, messages, copy_of_golden):
    from dacc_gui.ui.common.tasks import SyncTaskRunner

    first = MainWindow(settings, SyncTaskRunner(), today=lambda: TODAY)
    qtbot.addWidget(first)
    first.open_file(copy_of_golden, confirm=False)
    assert not first.reopen_action.isChecked()  # off unless asked for
    assert first.reopen_last() is None and first.document.path == copy_of_golden

    second = MainWindow(settings, SyncTaskRunner(), today=lambda: TODAY)
    qtbot.addWidget(second)
    assert second.reopen_last() is None and second.document.empty
    second.reopen_action.trigger()  # File ▸ Reopen last file on start
    assert settings.reopen_last_file

    third = MainWindow(settings, SyncTaskRunner(), today=lambda: TODAY)
    qtbot.addWidget(third)
    assert third.reopen_action.isChecked()
    third.reopen_last()
    assert third.document.path == copy_of_golden and len(third.document.events) == 11


def test_reopen_last_file_that_vanished_says_so(qtbot, settings, messages, copy_of_golden):
    from dacc_gui.ui.common.tasks import SyncTaskRunner

    settings.reopen_last_file = True
    settings.add_recent_file(copy_of_golden)
    copy_of_golden.unlink()
    window = MainWindow(settings, SyncTaskRunner(), today=lambda: TODAY)
    qtbot.addWidget(window)
    assert window.reopen_last() is None and window.document.empty
    assert "does not exist" in window.statusBar().currentMessage() and messages == []


# --- the demo's HTML report -------------------------------------------------------------------
def _demo_with(measure: str, avg: float):
    from tests.ui.test_demo_view import _row, hand_made

    result = hand_made()
    row = dict(_row(measure, "2021-11-02", "mobile", 6, False, avg=avg), min=0.0, max=1.0)
    result.aggregates[measure] = [row]
    return result


def test_report_headings_never_print_none(window, tmp_path):
    import re

    view = window.demo.demo_view()
    view.set_result(_demo_with("session-duration", 300.0))  # no aggregation period in the DACC's definitions
    view.export_report(tmp_path / "demo.html")
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", (tmp_path / "demo.html").read_text(encoding="utf-8"))
    assert len(headings) == 4 and not [h for h in headings if "None" in h]
    assert any("session-duration" in h and "sent each day" in h for h in headings)


def test_an_average_under_one_is_drawn_at_its_scale(window):
    from dacc_gui.ui.demo.charts import all_rows, show_measure

    view = window.demo.demo_view()
    result = _demo_with("summary-subscription-monthly", 0.73)
    view.set_result(result)
    show_measure(view.chart, all_rows(result.aggregates), "summary-subscription-monthly", "avg")
    axis = view.chart.plot.getAxis("left")
    assert axis.autoSIPrefixScale == 1.0 and "x0.001" not in axis.labelString()
    low, high = view.chart.plot.getViewBox().viewRange()[1]
    assert 0.73 <= high < 1.0
    # the tick labels read as the values: 0.2, 0.4 ... not 200, 400
    ticks = [float(text) for _spacing, values in axis.tickValues(low, high, 400)
             for text in axis.tickStrings(values, axis.autoSIPrefixScale, _spacing)]
    assert ticks and max(ticks) < 1.0


# --- errors: what the user can act on in the dialog, the traceback in the log ---------------
def test_show_details_of_a_truncated_file_holds_no_traceback(window, tmp_path, messages, caplog):
    path = tmp_path / "truncated.json"
    path.write_text('{"events": [{"type": "NavigationEvent", "eventDate": "2021-12-08T10:00:00.000Z"},')
    with caplog.at_level("ERROR", logger="dacc_gui"):
        window.open_file(path, confirm=False)
    [(title, text, details)] = messages
    assert "truncated.json" in text and "line 1" in text
    assert "Traceback" not in details and ".py" not in details
    assert "log" in details  # where the technical details went
    logged = [r for r in caplog.records if r.exc_info]
    assert logged and "Traceback" in caplog.text and "truncated.json" in caplog.text


def test_an_unexpected_error_names_its_kind_and_logs_the_traceback(window, messages, caplog, tmp_path,
                                                                    monkeypatch):
    from dacc_gui.common import logs
    from dacc_gui.ui.common import errors

    monkeypatch.setenv("DACC_GUI_LOG_DIR", str(tmp_path / "logs"))
    log_path = logs.log_to_file()
    try:
        def work(_progress, _cancelled):
            return {}["missing"]

        with caplog.at_level("ERROR", logger="dacc_gui"):
            window.runner.run("Something", work,
                              on_error=lambda exc: errors.show_exception(window, "It failed", exc))
        [(_title, text, details)] = messages
        assert "KeyError" in text and "Traceback" not in details and "line " not in details
        assert str(log_path) in details
        for handler in logging.getLogger("dacc_gui").handlers:
            handler.flush()
        assert "Traceback" in log_path.read_text(encoding="utf-8") and "return {}[\"missing\"]" in caplog.text
    finally:
        logs.close_log_file()


# --- messages that say why -----------------------------------------------------------------------
def _open_events(window, tmp_path, events):
    path = tmp_path / "few.json"
    path.write_text(json.dumps({"events": events}))
    window.open_file(path, confirm=False)
    assert len(window.document.events) == len(events)


def test_nothing_to_move_says_the_date_cannot_be_read(window, tmp_path):
    _open_events(window, tmp_path, [
        {"_id": "a", "type": "NavigationEvent", "eventDate": "2021-12-11T13h57", "target": "consumption"},
        {"_id": "b", "type": "NavigationEvent", "eventDate": "2021-12-08T10:00:00.000Z", "target": "consumption"},
        {"_id": "c", "type": "NavigationEvent", "eventDate": "soon", "target": "consumption"},
    ])
    view = window.events_view
    view.select_source_rows([0])
    view.move_selected_to_yesterday()
    message = window.statusBar().currentMessage()
    assert message == ("Nothing changed: 1 event left as it was: an eventDate that cannot be read as a date "
                       "(YYYY-MM-DD, optionally followed by a time) ('2021-12-11T13h57').")
    view.select_source_rows([0, 1, 2])  # the readable one is on yesterday (2021-12-08) already
    view.move_selected_to_yesterday()
    message = window.statusBar().currentMessage()
    assert "2 events left as they were: an eventDate that cannot be read" in message
    assert message.endswith("('2021-12-11T13h57', 'soon'). 1 is already on 2021-12-08.")
    assert window.document.undo_stack.count() == 0


def test_a_document_of_the_wrong_shape_names_the_key_that_is_not_a_list(window, tmp_path, messages):
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"foo": 1, "rows": "[{...}]", "count": 3}))
    window.open_file(path, confirm=False)
    [(_title, text, _details)] = messages
    assert "keys found: foo, rows, count" in text and "'rows' is a string, not a list" in text


# --- the receiver's port, and Compare whatever the receiver's state ------------------------------
@pytest.fixture
def busy_port():
    """A port another program listens on."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock.getsockname()[1]
    sock.close()


def _preview_payloads(window):
    from tests.ui.conftest import GOLDEN, open_golden

    open_golden(window, GOLDEN / "01-one-day.json")
    window.indicators_view.recompute()
    return [row.indicator.payload() for row in window.indicators_view.preview.rows]


def test_a_port_in_use_keeps_the_running_receiver(receiving_window, busy_port):
    from tests.ui.compare_support import post

    window = receiving_window
    ctl = window.receiver.controller
    url, port = ctl.url, ctl.port
    window.settings.receiver_port = port
    assert window.receiver.menu.use_port(busy_port) is False
    assert ctl.running and ctl.url == url  # still serving where it was
    assert f"port {busy_port} is in use" in window.receiver.status.text() and url in window.receiver.status.text()
    assert window.settings.receiver_port == port  # the port that works is the one remembered
    payloads = _preview_payloads(window)
    assert post(url, *payloads) == [201] * len(payloads)
    # A free port: it moves there.
    from dacc_gui.ui.receiver.controller import free_port_near

    free = free_port_near(port)
    assert window.receiver.menu.use_port(free) and ctl.port == free == window.settings.receiver_port


def test_compare_reads_the_stored_records_while_the_receiver_is_stopped(receiving_window):
    from tests.ui.compare_support import post

    window = receiving_window
    payloads = _preview_payloads(window)
    ctl = window.receiver.controller
    assert post(ctl.url, *payloads) == [201] * len(payloads)
    ctl.stop()
    view = window.compare.view
    view.refresh()
    assert view.comparison.ok and view.comparison.counts()["matched"] == len(payloads)
    assert "not running" in view.receiver_label.text() and "stored" in view.receiver_label.text()


# --- the receiver panel keeps its list pane ----------------------------------------------------
def test_selecting_a_request_does_not_shrink_the_list(receiving_window, qtbot):
    from tests.ui.compare_support import post

    window = receiving_window
    window.resize(1280, 800)
    window.show()
    window.show_tab("receiver")
    panel = window.receiver.panel
    payloads = _preview_payloads(window)
    post(window.receiver.controller.url, *payloads[:3])
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3, timeout=10_000)
    qtbot.wait(50)
    before = panel.table.width()
    assert before > 500
    panel.select_row(0)
    qtbot.wait(50)
    assert "service posts it" in panel.detail.title.text()
    assert panel.table.width() >= before - 2


# --- typing a date ----------------------------------------------------------------------------------
def _click_into(edit, character: int):
    """Click between two characters of a date field's text, as a user does."""
    from PySide6.QtCore import QPoint

    line = edit.lineEdit()
    line.setCursorPosition(character)
    x = line.cursorRect().center().x()
    QTest.mouseClick(line, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(x, line.height() // 2))
    assert line.cursorPosition() == character and not line.hasSelectedText()


def test_digits_typed_into_the_run_date_are_taken(window, qtbot):
    from PySide6.QtCore import QDate

    window.show()
    window.show_tab("indicators")
    run_date = window.indicators_view.run_date
    run_date.setDate(QDate(2026, 12, 3))
    _click_into(run_date, 2)  # inside "2026"
    QTest.keyClicks(run_date, "2021")
    assert run_date.date() == QDate(2021, 12, 3)
    _click_into(run_date, 9)  # inside the day, "03"
    QTest.keyClicks(run_date, "05")
    assert run_date.date() == QDate(2021, 12, 5)
    assert window.indicators_view.first_night().isoformat() == "2021-12-05"
    # From the start of the field, a whole date typed in one go.
    _click_into(run_date, 0)
    QTest.keyClicks(run_date, "20211108")
    assert run_date.date() == QDate(2021, 11, 8)


# --- Ctrl+Z / Ctrl+Shift+Z from every view ---------------------------------------------------------
UNDO = Qt.KeyboardModifier.ControlModifier
REDO = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def _focus_widgets(view):
    from PySide6.QtWidgets import QWidget

    return [w for w in view.findChildren(QWidget)
            if w.isVisible() and w.isEnabled() and w.focusPolicy() & Qt.FocusPolicy.TabFocus
            and not w.objectName() == "qt_spinbox_lineedit"]


def test_undo_and_redo_keys_work_from_each_views_focus_widgets(window, golden_path, qtbot):
    from PySide6.QtWidgets import QApplication

    from tests.ui.conftest import open_golden

    window.resize(1280, 800)
    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()
    open_golden(window, golden_path)
    stack = window.document.undo_stack
    events = window.events_view
    tried = {}
    for key, view in window.views.items():
        window.show_tab(key)
        widgets = _focus_widgets(view)
        tried[key] = len(widgets)
        for widget in widgets:
            events.select_source_rows([0])
            events.shift_selected(-1, "days")
            window.show_tab(key)
            widget.setFocus()
            focused = QApplication.focusWidget()
            assert focused is not None, f"{type(widget).__name__} in {key} took no focus"
            done = stack.index()
            QTest.keyClick(focused, Qt.Key.Key_Z, UNDO)
            assert stack.index() == done - 1, f"Ctrl+Z did nothing from {type(widget).__name__} in {key}"
            QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Z, REDO)
            assert stack.index() == done, f"Ctrl+Shift+Z did nothing from {type(widget).__name__} in {key}"
    assert tried["events"] and tried["indicators"] and tried["receiver"] and tried["compare"]


def test_a_filter_being_typed_keeps_its_own_undo(window, golden_path, qtbot):
    from tests.ui.conftest import open_golden

    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()
    open_golden(window, golden_path)
    events = window.events_view
    events.select_source_rows([0])
    events.shift_selected(-1, "days")
    done = window.document.undo_stack.index()
    events.text_filter.setFocus()
    QTest.keyClicks(events.text_filter, "nav")
    QTest.keyClick(events.text_filter, Qt.Key.Key_Z, UNDO)
    assert events.text_filter.text() == "" and window.document.undo_stack.index() == done
    QTest.keyClick(events.text_filter, Qt.Key.Key_Z, UNDO)  # nothing of its own left: the document's
    assert window.document.undo_stack.index() == done - 1


# --- a 1280×800 screen (and 1024×768) ---------------------------------------------------------------
MAX_MIN_WIDTH = 1000


def test_the_window_and_every_view_fit_a_small_screen(receiving_window, qtbot, tmp_path):
    window = receiving_window
    window.open_sample()
    window.indicators_view.recompute()
    window.demo.demo_view()  # the demo's tab, made on first use
    long_name = tmp_path / ("usage-events-exported-from-a-cozy-instance-on-a-long-afternoon-" * 2 + ".json")
    long_name.write_text("[]")
    window.settings.add_recent_file(long_name)
    window.source_status.setText(str(long_name))  # what a long file name shows there
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    dock = window.source_dock.minimumSizeHint().width()
    for key, view in window.views.items():
        window.show_tab(key)
        qtbot.wait(10)
        hint = view.minimumSizeHint()
        assert dock + hint.width() <= MAX_MIN_WIDTH, f"the {key} tab needs {hint.width()} px beside the dock"
        assert hint.height() <= 768 - 120, f"the {key} tab needs {hint.height()} px of height"
        assert window.size().width() == 1280, f"showing the {key} tab widened the window"
    assert window.minimumSizeHint().width() <= MAX_MIN_WIDTH
    assert window.statusBar().minimumSizeHint().width() <= MAX_MIN_WIDTH
    window.resize(1024, 768)
    for key in window.views:
        window.show_tab(key)
        qtbot.wait(10)
        assert (window.width(), window.height()) == (1024, 768), f"the {key} tab does not fit 1024×768"


def test_a_long_status_text_is_cut_not_widening(window, qtbot):
    window.resize(1000, 700)
    window.show()
    qtbot.waitExposed(window)
    text = "/home/someone/" + "a-very-long-folder-name/" * 8 + "events.json"
    window.source_status.setText(text)
    qtbot.wait(10)
    assert window.width() == 1000
    assert window.source_status.toolTip() == text  # the whole of it is one hover away
    shown = window.source_status.shown_text()
    assert "…" in shown and shown.endswith("events.json")


def test_a_long_task_in_the_status_bar_still_fits(qtbot, settings, messages):
    window = MainWindow(settings, TaskRunner(), today=lambda: TODAY)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    name = "usage-events-exported-from-a-cozy-instance-on-a-long-afternoon-" * 2 + ".json"
    task, release = _blocked_task(window.runner, cancellable=True)
    try:
        task.label = "Opening " + name
        window.task_indicator._started(task)  # as the runner announces it
        qtbot.wait(10)
        assert window.task_indicator.cancel_button.isVisibleTo(window)
        assert window.minimumSizeHint().width() <= MAX_MIN_WIDTH and window.width() == 1280
        bar = window.statusBar()
        cancel = window.task_indicator.cancel_button
        assert cancel.mapTo(window, cancel.rect().topRight()).x() <= window.width()  # Cancel is on screen
        assert bar.geometry().contains(cancel.mapTo(window, cancel.rect().center()))
    finally:
        release.set()
    qtbot.waitUntil(lambda: not task.running, timeout=10_000)
    window.runner.wait(10_000)


# --- Cancel while a big file loads -------------------------------------------------------------------
def test_cancel_while_a_file_loads_stops_it_between_pieces(qtbot, settings, messages, tmp_path, monkeypatch):
    import dacc_gui.ui.main_window as main_window
    from dacc_gui.events import loader

    path = tmp_path / "big.json"
    path.write_text(json.dumps([{"_id": f"e{i}", "type": "NavigationEvent", "target": "consumption",
                                 "eventDate": "2021-12-08T10:00:00.000Z"} for i in range(40_000)]))
    clicked = threading.Event()
    asked = []

    def load_file(p, progress=None, cancelled=None):
        def ask():
            asked.append(1)
            if len(asked) == 3:  # in the middle of the file: the user presses Cancel now
                clicked.wait(10)
            return cancelled()
        return loader.load_file(p, progress=progress, cancelled=ask)

    monkeypatch.setattr(main_window, "load_file", load_file)
    window = MainWindow(settings, TaskRunner(), today=lambda: TODAY)
    qtbot.addWidget(window)
    task = window.open_file(path, confirm=False)
    qtbot.waitUntil(lambda: len(asked) >= 3, timeout=10_000)
    window.task_indicator.cancel_button.click()
    clicked.set()
    qtbot.waitUntil(lambda: not task.running, timeout=10_000)
    assert len(asked) == 3  # the look at Cancel during which it was pressed stopped it: nothing more read
    assert window.document.empty and messages == []
    assert window.statusBar().currentMessage() == "Opening big.json cancelled"
    window.runner.wait(10_000)


def test_the_window_hears_of_a_cancel_before_the_work_has_let_go(qtbot):
    """Freeing what a cancelled load built takes a while: the window is told first."""
    from dacc_gui.common.cancel import Cancelled

    runner = TaskRunner()
    let_go, finished = threading.Event(), threading.Event()
    heard = []

    def work(progress, cancelled):
        try:
            while not cancelled():
                threading.Event().wait(0.002)
            let_go.wait(10)  # still busy freeing what it built
            raise Cancelled()
        finally:
            finished.set()

    task = runner.run("Opening", work, on_cancel=lambda: heard.append(not finished.is_set()), quick_cancel=True)
    task.cancel()
    qtbot.waitUntil(lambda: not task.running, timeout=10_000)
    assert heard == [True]
    let_go.set()
    runner.wait(10_000)
    assert heard == [True]  # told once
    # Work that records what it did after seeing Cancel (a push) is heard of once it has ended.
    finished.clear()
    let_go.set()
    task = runner.run("Pushing", work, on_cancel=lambda: heard.append(not finished.is_set()))
    task.cancel()
    qtbot.waitUntil(lambda: not task.running, timeout=10_000)
    assert heard == [True, False]
    runner.wait(10_000)
