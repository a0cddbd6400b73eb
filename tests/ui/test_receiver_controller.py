"""The app's receiver controller: start/stop/port, records delivered on the UI thread,
the database it uses, a port in use at startup."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from dacc_gui.receiver import Record
from dacc_gui.ui.receiver.controller import MEMORY, ReceiverController, database_for, free_port_near
from dacc_gui.receiver.server import default_db_path
from dacc_gui.ui.common.tasks import TaskRunner
from tests.receiver_support import measure, wrapped


@pytest.fixture
def controller(qtbot, settings):
    ctl = ReceiverController(settings)
    yield ctl
    ctl.close()


@pytest.fixture
def busy_port():
    """A port someone else listens on."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock.getsockname()[1]
    sock.close()


def test_start_receive_stop(qtbot, controller):
    states: list[str] = []
    controller.state_changed.connect(states.append)
    assert controller.receiver is None and controller.url is None and not controller.running
    assert controller.start(0)
    assert controller.running and controller.receiver is controller.core
    assert controller.url == f"http://127.0.0.1:{controller.port}" and controller.port > 0
    assert states[-1] == f"Receiver on {controller.url}"

    seen: list[tuple[Record, bool]] = []
    batches: list[list[Record]] = []
    ui_thread = QApplication.instance().thread()
    controller.record_received.connect(lambda r: seen.append((r, QThread.currentThread() is ui_thread)))
    controller.records_received.connect(batches.append)
    with httpx.Client(base_url=controller.url) as client:
        for day in ("2021-12-07", "2021-12-08"):
            assert client.post("/", json=wrapped(measure(startDate=day))).status_code == 201
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=10_000)
    assert [r.measure["startDate"] for r, _ in seen] == ["2021-12-07", "2021-12-08"]
    assert all(on_ui for _, on_ui in seen)  # queued to the UI thread
    assert [r.id for b in batches for r in b] == [r.id for r, _ in seen]

    controller.stop()
    assert not controller.running and controller.receiver is None and controller.url is None
    assert states[-1] == "Receiver stopped"
    assert len(controller.store.records()) == 2  # stopping keeps what arrived


def test_restart_on_another_port_keeps_records(qtbot, controller):
    assert controller.start(0)
    with httpx.Client(base_url=controller.url) as client:
        client.post("/", json=wrapped(measure()))
    controller.store.flush()
    first = controller.port
    other = free_port_near(first)
    assert controller.restart(other)
    assert controller.port == other != first
    assert httpx.get(f"{controller.url}/status").status_code == 200
    assert controller.summary()["accepted"] == 1


def test_port_in_use_is_said_not_raised(qtbot, controller, busy_port):
    states: list[str] = []
    controller.state_changed.connect(states.append)
    assert controller.start(busy_port) is False
    assert not controller.running and controller.receiver is None
    assert f"port {busy_port} is in use" in states[-1]
    assert controller.suggested_port and controller.suggested_port != busy_port
    assert f"port {controller.suggested_port} is free" in states[-1]
    assert "in use" in controller.error
    assert controller.start(controller.suggested_port)  # the suggestion works


def test_start_with_app_honours_the_setting(qtbot, settings):
    settings.receiver_port = 0
    settings.receiver_autostart = False
    off = ReceiverController(settings)
    try:
        assert off.start_with_app() is None and not off.running
        assert not off.is_open  # not even the database was opened
    finally:
        off.close()
    settings.receiver_autostart = True
    on = ReceiverController(settings)
    states: list[str] = []
    on.state_changed.connect(states.append)
    try:
        assert on.start_with_app() is not None
        assert states == ["Receiver starting on a free port…"]  # said at once, started in the background
        qtbot.waitUntil(lambda: on.running and on.busy is None, timeout=10_000)
        assert states[-1] == f"Receiver on {on.url}"
    finally:
        on.close()


def slow(monkeypatch, owner, name: str, seconds: float = 0.4) -> list:
    """Make ``owner.name`` take ``seconds`` and note the thread it runs on."""
    threads: list = []
    original = getattr(owner, name)

    def slowly(*args, **kwargs):
        threads.append(threading.current_thread())
        time.sleep(seconds)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, slowly)
    return threads


@pytest.mark.parametrize("what", ["start", "stop", "clear"])
def test_start_stop_and_clear_run_off_the_ui_thread_and_say_so(qtbot, settings, monkeypatch, what):
    ctl = ReceiverController(settings, runner=TaskRunner())
    try:
        if what != "start":
            assert ctl.start(0)
        owner, name = {"start": (ctl.core, "start"), "stop": (ctl.core, "stop"),
                       "clear": (ctl.store, "reset")}[what]
        threads = slow(monkeypatch, owner, name)
        states: list[str] = []
        ctl.state_changed.connect(states.append)
        began = time.monotonic()
        task = getattr(ctl, f"{what}_in_background")()
        assert time.monotonic() - began < 0.3  # the window keeps going meanwhile
        assert task is not None and ctl.busy == {"start": "starting", "stop": "stopping", "clear": "clearing"}[what]
        assert states == [{"start": "Receiver starting on a free port…", "stop": "Receiver stopping…",
                           "clear": "Clearing the received requests…"}[what]]
        assert getattr(ctl, f"{what}_in_background")() is None  # one at a time
        qtbot.waitUntil(lambda: ctl.busy is None, timeout=10_000)
        assert threads and threads[0] is not threading.main_thread()
        assert ctl.running is (what != "stop")
        assert states[-1] == ("Receiver stopped" if what == "stop" else f"Receiver on {ctl.url}")
    finally:
        ctl.close()


def test_default_setting_is_on_and_8081(tmp_path):
    from dacc_gui.ui.common.settings import Settings

    fresh = Settings.at(tmp_path / "fresh.ini")
    assert fresh.receiver_autostart is True and fresh.receiver_port == 8081
    assert database_for(fresh.receiver_database) == default_db_path()


def test_database_choice(tmp_path, qtbot, settings):
    assert database_for(MEMORY) is None
    assert database_for(str(tmp_path / "r.db")) == tmp_path / "r.db"
    path = tmp_path / "receiver.sqlite3"
    first = ReceiverController(settings, db_path=path)
    first.start(0)
    httpx.post(f"{first.url}/", json=wrapped(measure()))
    first.close()
    assert path.exists()
    settings.receiver_database = str(path)  # the same file through the setting
    second = ReceiverController(settings)
    try:
        assert second.db_path == path
        assert [r.measure_name for r in second.store.records()] == ["connection-count-daily"]
    finally:
        second.close()


def test_unusable_database_falls_back_to_memory(tmp_path, qtbot, settings):
    bad = tmp_path / "not-a-db.sqlite3"
    bad.write_bytes(b"this is not sqlite" * 100)
    ctl = ReceiverController(settings, db_path=bad)
    try:
        assert ctl.start(0)
        assert "kept in memory" in ctl.database_note
        assert bad.read_bytes() == b"this is not sqlite" * 100  # left as it was
    finally:
        ctl.close()


def test_clear_empties_the_store(qtbot, controller):
    controller.start(0)
    httpx.post(f"{controller.url}/", json=wrapped(measure()))
    controller.store.flush()
    with qtbot.waitSignal(controller.cleared):
        assert controller.clear() == 1
    assert controller.store.records() == [] and controller.summary()["total"] == 0


def test_window_has_the_controller_quiet_until_started(window):
    ctl = window.receiver.controller
    assert isinstance(ctl, ReceiverController)
    assert not ctl.running  # a window made in a test never listens on its own
    assert window.receiver.status.text().startswith("Receiver")


def test_window_start_from_menu_and_status(window):
    ctl = window.receiver.controller
    window.settings.receiver_port = 0
    window.receiver.menu.toggle()
    assert ctl.running
    assert window.receiver.status.text() == f"Receiver on {ctl.url}"
    assert window.receiver.menu.toggle_action.text() == "Stop"
    window.receiver.menu.toggle()
    assert not ctl.running and window.receiver.menu.toggle_action.text() == "Start"


def test_port_in_use_at_app_start(window, busy_port):
    """As ``app.run`` starts it: the status bar says so and offers another port."""
    ctl = window.receiver.controller
    window.settings.receiver_port = busy_port
    ctl.start_with_app()
    assert not ctl.running
    status = window.receiver.status.text()
    assert f"port {busy_port} is in use" in status and "Receiver ▸ Port" in status
    suggested = ctl.suggested_port
    assert window.receiver.menu.use_port(suggested)
    assert window.settings.receiver_port == ctl.port == suggested and ctl.running
    assert ctl.suggested_port is None and ctl.error is None


def test_the_menu_and_the_tab_wait_while_the_receiver_stops(qtbot, settings, messages, monkeypatch):
    from dacc_gui.ui.main_window import MainWindow

    settings.receiver_port = 0
    win = MainWindow(settings, TaskRunner())
    qtbot.addWidget(win)
    ctl, panel, menu = win.receiver.controller, win.receiver.panel, win.receiver.menu
    try:
        assert ctl.start(0)
        slow(monkeypatch, ctl.core, "stop")
        menu.toggle()
        assert win.receiver.status.text() == "Receiver stopping…" and "Receiver stopping…" in panel.state_label.text()
        assert not menu.toggle_action.isEnabled() and not panel.start_button.isEnabled()
        assert not menu.clear_action.isEnabled() and not panel.clear_button.isEnabled()
        qtbot.waitUntil(lambda: ctl.busy is None, timeout=10_000)
        assert win.receiver.status.text() == "Receiver stopped"
        assert menu.toggle_action.isEnabled() and menu.toggle_action.text() == "Start"
        assert panel.start_button.isEnabled() and panel.start_button.text() == "Start"
    finally:
        ctl.close()
        win.runner.wait(10_000)
