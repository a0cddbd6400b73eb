"""The app's built-in DACC receiver: one controller the views share.

``ReceiverController`` owns the core :class:`dacc_gui.receiver.Receiver` (a
uvicorn thread and its SQLite store) for the main window, which keeps it as
``window.receiver.controller``. Views read the records through ``.store``
(open even while the server is stopped) and learn about new ones through
``record_received(record)`` (one per record) or ``records_received(list)``
(one per burst, for models): both are emitted on the UI thread, since the
core calls its listeners on the store's writer thread.

The receiver starts with the app when the "start the receiver with the app"
setting is on (the default): ``app.run`` calls :meth:`start_with_app`. A port
already in use never crashes the app: the state line says so and names a
free port to use instead (``suggested_port``).

Starting, stopping (uvicorn's shutdown takes seconds) and clearing wait on
sockets, threads and the database: the window asks for them with the
``*_in_background`` methods, which run on the task runner while the state
line says what is going on ("Receiver stopping…") and ``busy`` names it;
``start``, ``stop``, ``restart`` and ``clear`` are the same work, blocking,
for scripts and tests.

Where the records go: the default file in the user data dir (kept across
restarts), unless a ``db_path`` is given to the constructor or the setting
``receiver_database`` names a file, or ``":memory:"`` for a throwaway store
(tests). The database is opened the first time it is needed.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal, Slot

from dacc_gui.receiver import DEFAULT_HOST, PortInUseError, Receiver, ReceiverError, Record, StoreError
from dacc_gui.receiver.remote import RemoteError, RemoteReceiver
from dacc_gui.receiver.server import default_db_path
from dacc_gui.ui.common.settings import Settings
from dacc_gui.ui.common.tasks import Task, TaskRunner

MEMORY = ":memory:"
TOKEN_ENV = "DACC_GUI_RECEIVER_TOKEN"  # the shared receiver's token, when none is typed in
DRAIN_MS = 30  # new records reach the views at most this late
_FROM_SETTINGS = object()


def database_for(setting: str) -> Path | None:
    """The store a ``receiver_database`` setting names: "" the default file, ":memory:" none."""
    text = (setting or "").strip()
    if not text:
        return default_db_path()
    if text == MEMORY:
        return None
    return Path(text).expanduser()


def port_is_free(port: int, host: str = DEFAULT_HOST) -> bool:
    """Whether nobody listens on ``port`` (binding as the receiver binds, then letting go)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        sock.close()


def free_port_near(port: int, host: str = DEFAULT_HOST, tries: int = 20) -> int:
    """A port nobody listens on: the next ones after ``port`` first, else any free one."""
    candidates = [p for p in range(port + 1, port + 1 + tries) if 0 < p < 65536] if port else []
    for candidate in candidates + [0]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, candidate))
            return sock.getsockname()[1]
        except OSError:
            continue
        finally:
            sock.close()
    return 0


class ReceiverController(QObject):
    """Start, stop and watch the app's receiver; see the module doc."""

    state_changed = Signal(str)  # a human line, e.g. "Receiver on http://127.0.0.1:8081"
    record_received = Signal(object)  # each new Record, on the UI thread
    records_received = Signal(list)  # the same records, one list per burst (for models)
    cleared = Signal()  # every record was removed (Clear)
    mode_changed = Signal(bool)  # clear errors on (True) or production's answers (False)
    switched = Signal()  # now showing another receiver (a shared one, or the built-in one again)
    _wake = Signal()  # from the writer thread: records are waiting

    def __init__(self, settings: Settings, db_path: str | Path | None | object = _FROM_SETTINGS,
                 host: str = DEFAULT_HOST, parent: QObject | None = None, runner: TaskRunner | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.host = host
        self._db_path = db_path
        self._core: Receiver | None = None
        self._open_lock = threading.Lock()  # the database opens once, whichever thread asks first
        self._serve_lock = threading.Lock()  # one start or stop at a time, blocking or in the background
        self._runner = runner
        self.busy: str | None = None  # "starting", "stopping", "clearing" while that runs in the background
        self._pending: list[Record] = []
        self._pending_lock = threading.Lock()
        self.state = "Receiver stopped"
        self.error: str | None = None  # why the last start failed
        self.suggested_port: int | None = None  # a free port when the wanted one is taken
        self.database_note: str | None = None  # when the database file could not be used
        self.poll_seconds = 1.0  # how often a shared receiver is asked for new records
        # Records wait up to DRAIN_MS and go together: at a thousand requests a second,
        # one wake of the UI thread per writer batch would keep it busy.
        self._drain_timer = QTimer(self)
        self._drain_timer.setSingleShot(True)
        self._drain_timer.setInterval(DRAIN_MS)
        self._drain_timer.timeout.connect(self._drain)
        self._wake.connect(self._drain_timer.start, Qt.ConnectionType.QueuedConnection)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.close)

    # --- the contract ---------------------------------------------------------------
    @property
    def receiver(self) -> Receiver | None:
        """The core receiver while it serves, else None."""
        return self._core if self.running else None

    @property
    def running(self) -> bool:
        return self._core is not None and self._core.running

    @property
    def url(self) -> str | None:
        return self._core.url if self.running else None

    @property
    def port(self) -> int:
        """The port it listens on, or the one it will use (the setting)."""
        return self._core.port if self.running else self.settings.receiver_port

    @property
    def store(self):
        """The records (the store stays open while the server is stopped)."""
        return self.core.store

    @property
    def core(self) -> Receiver:
        """The core receiver, running or not; opens the database the first time."""
        if self._core is None:
            with self._open_lock:
                if self._core is None:
                    self._core = self._open()
        return self._core

    @property
    def is_open(self) -> bool:
        return self._core is not None

    @property
    def db_path(self) -> Path | None:
        if self._db_path is _FROM_SETTINGS:
            return database_for(self.settings.receiver_database)
        return None if self._db_path is None else Path(self._db_path)  # type: ignore[arg-type]

    def start(self, port: int | None = None) -> bool:
        """Listen on ``port`` (default: the setting; 0 picks a free one). False if it could not.

        Blocks until the server listens; the window uses ``start_in_background``."""
        wanted = self._wanted(port)
        if self.core.running:
            if port is None or wanted in (0, self.core.port):
                return True
            return self.restart(wanted)
        return self._started(self._start_work(wanted))

    def stop(self) -> None:
        """Stop serving; every record stays. Blocks (seconds); see ``stop_in_background``."""
        self._stop_work()
        self._stopped()

    def restart(self, port: int | None = None) -> bool:
        """Stop, then start on ``port`` (default: the same one).

        Moving a running receiver to another port keeps it serving where it is
        until the new port is free: a port in use leaves it running, and says so.
        """
        old = self._core.port if self.running else None
        port = old if port is None else port
        if self._port_taken(port):
            return False
        self.stop()
        if self.start(port):
            return True
        if old is not None and self.start(old):  # taken meanwhile: back where it was
            error = self.error
            self._set_state(f"Receiver on {self._core.url} (port {port}: {error})")
            return False
        return False

    def _port_taken(self, port: int | None) -> bool:
        """A running receiver asked to move to a port in use stays where it is, and says so."""
        if not self.running or port in (0, None, self._core.port) or port_is_free(port, self.host):
            return False
        self.suggested_port = free_port_near(port, self.host)
        self.error = f"port {port} on {self.host} is already in use"
        instead = f"; port {self.suggested_port} is free" if self.suggested_port else ""
        self._set_state(f"Receiver on {self._core.url} (port {port} is in use{instead})")
        return True

    # --- the same, off the UI thread -------------------------------------------------
    def start_in_background(self, port: int | None = None) -> Task | None:
        """``start`` on the task runner; the state line says "starting" meanwhile.
        None when another start, stop or clear is still running (the state says which)."""
        wanted = self._wanted(port)
        if self.running and (port is None or wanted in (0, self.port)):
            return None
        if self.running:
            return self.restart_in_background(wanted)
        shown = f"port {wanted}" if wanted else "a free port"
        return self._in_background("starting", f"Receiver starting on {shown}…",
                                   lambda: self._start_work(wanted), self._started)

    def stop_in_background(self) -> Task | None:
        """``stop`` on the task runner; the state line says "stopping" meanwhile."""
        return self._in_background("stopping", "Receiver stopping…", self._stop_work, lambda _r: self._stopped())

    def restart_in_background(self, port: int | None = None,
                              then: Callable[[bool], object] = lambda _ok: None) -> Task | None:
        """Stop, then start on ``port`` (default: the same one), on the task runner; ``then(ok)`` after.

        As ``restart``: a port in use leaves it serving where it is (None, the state says so),
        and a port taken meanwhile sends it back where it was."""
        old = self._core.port if self.running else None
        wanted = self._wanted(old if port is None else port)
        if self._port_taken(wanted):
            return None

        def work():
            self._stop_work()
            outcome = self._start_work(wanted)
            if outcome[0] != "ok" and old is not None and self._start_work(old)[0] == "ok":
                return ("back", outcome[1], wanted)
            return outcome

        def done(outcome: tuple) -> None:
            if outcome[0] == "back":
                self.error = outcome[1]
                self._set_state(f"Receiver on {self._core.url} (port {outcome[2]}: {outcome[1]})")
                then(False)
            else:
                then(self._started(outcome))

        return self._in_background("starting", f"Receiver restarting on port {wanted}…", work, done)

    def clear_in_background(self) -> Task | None:
        """``clear`` on the task runner; ``cleared`` is emitted once the records are gone."""
        was = self.state
        return self._in_background("clearing", "Clearing the received requests…", self.store.reset,
                                   lambda _n: (self._cleared(), self._set_state(was)))

    def _in_background(self, what: str, line: str, work, done) -> Task | None:  # noqa: ANN001
        if self.busy is not None:
            return None  # one at a time: the state line already says what is running
        if self._runner is None:
            self._runner = TaskRunner()
        self.busy = what
        self._set_state(line)

        def finish(result) -> None:  # noqa: ANN001
            self.busy = None
            done(result)

        def failed(exc: BaseException) -> None:
            self.busy = None
            self.error = str(exc)
            self._set_state(f"Receiver: {what} failed: {exc}")

        return self._runner.run(line.rstrip("…"), lambda _p, _c: work(), on_done=finish, on_error=failed,
                                cancellable=False, quiet=True)

    # --- the work, and what the UI thread does with its outcome ---------------------
    def _wanted(self, port: int | None) -> int:
        return self.settings.receiver_port if port is None else int(port)

    def _start_work(self, wanted: int) -> tuple:
        """Any thread: start listening; returns what happened (no signal emitted)."""
        core = self.core
        with self._serve_lock:
            if core.running:
                return ("ok",)
            if self.shared:
                try:
                    core.start()  # reach it and follow its records; it serves on its own port
                except RemoteError as exc:
                    return ("failed", str(exc))
                return ("ok",)
            core.port = wanted
            try:
                core.start()
            except PortInUseError as exc:
                return ("in use", str(exc), wanted, free_port_near(wanted, self.host))
            except ReceiverError as exc:
                return ("failed", str(exc))
        return ("ok",)

    def _started(self, outcome: tuple) -> bool:
        """UI thread: the state after a start."""
        if outcome[0] == "in use":
            _kind, self.error, wanted, self.suggested_port = outcome
            instead = f"; port {self.suggested_port} is free" if self.suggested_port else ""
            self._set_state(f"Receiver not running: port {wanted} is in use{instead} (Receiver ▸ Port…)")
            return False
        if outcome[0] == "failed":
            self.error, self.suggested_port = outcome[1], None
            self._set_state(f"Receiver not running: {outcome[1]}")
            return False
        self.error = None
        self.suggested_port = None
        self._set_state(f"Shared receiver at {self.core.url}" if self.shared else f"Receiver on {self.core.url}")
        return True

    def _stop_work(self) -> None:
        with self._serve_lock:
            if self._core is not None and self._core.running:
                self._core.stop()

    def _stopped(self) -> None:
        self._drain()
        self._set_state("Receiver stopped")

    # --- the app's life cycle --------------------------------------------------------
    def start_with_app(self) -> Task | None:
        """Start in the background if the "start the receiver with the app" setting
        is on (the default): the window shows at once, the state line says "starting"."""
        if self.settings.receiver_shared_url:  # the team's receiver, as the last session ended
            return self.use_shared(self.settings.receiver_shared_url)
        if not self.settings.receiver_autostart:
            self._set_state("Receiver stopped (Receiver ▸ Start)")
            return None
        return self.start_in_background()

    def close(self) -> None:
        """Stop serving and close the database (the app is quitting)."""
        core, self._core = self._core, None
        if core is None:
            return
        core.remove_listener(self._on_record)
        try:
            core.close()
        except (ReceiverError, StoreError):
            pass  # quitting: nothing more to do with it
        self._drain()
        self._set_state("Receiver stopped")

    # --- a shared receiver instead of the built-in one ------------------------------------
    @property
    def shared(self) -> bool:
        """True while the views show a receiver someone else runs (see ``use_shared``)."""
        return isinstance(self._core, RemoteReceiver)

    def use_shared(self, url: str, token: str | None = None) -> Task | None:
        """Show a team's receiver (``dacc-gui serve`` elsewhere) through its control API, instead of the
        built-in one, which stops; its records stay in its database. The token is kept in memory only."""
        self.close()
        self._core = RemoteReceiver(url, token or os.environ.get(TOKEN_ENV) or None, self.poll_seconds)
        self._core.add_listener(self._on_record)
        self.settings.receiver_shared_url = self._core.url
        self.switched.emit()  # the lists now show another receiver's records
        return self.start_in_background()

    def use_built_in(self) -> Task | None:
        """Back to the built-in receiver (the shared one keeps serving for the others)."""
        self.close()
        self.settings.receiver_shared_url = ""
        self.switched.emit()
        return self.start_in_background()

    # --- how it answers ------------------------------------------------------------------
    @property
    def clear_errors(self) -> bool:
        return self.settings.receiver_clear_errors

    def set_clear_errors(self, on: bool) -> None:
        """Answer with clear errors (True) or exactly as production does (False); remembered."""
        self.settings.receiver_clear_errors = bool(on)
        if self._core is not None:
            self._core.clear_errors = bool(on)
        self.mode_changed.emit(bool(on))

    def mode_text(self) -> str:
        if self.clear_errors:
            return ("Answering with clear errors: production's 500s come back as 400, and its silent "
                    "201s (stored nothing) as 422")
        return "Answering as production does: its 500s and its 201s that store nothing included"

    # --- records ----------------------------------------------------------------------
    def clear(self) -> int:
        """Forget every record (the caller asked the user first); returns how many went.
        Blocks; the window uses ``clear_in_background``."""
        removed = self.store.reset()
        self._cleared()
        return removed

    def _cleared(self) -> None:
        with self._pending_lock:
            self._pending.clear()
        self.cleared.emit()

    def export(self) -> dict[str, Any]:
        """The summary and every record, as ``/_receiver/export`` gives them."""
        return self.store.export()

    def summary(self) -> dict[str, Any]:
        return self.store.summary()

    # --- internals ----------------------------------------------------------------------
    def _open(self) -> Receiver:
        path = self.db_path
        try:
            core = Receiver(path, host=self.host, port=self.settings.receiver_port,
                            clear_errors=self.settings.receiver_clear_errors)
        except StoreError as exc:
            # The file cannot be used (newer schema, not ours...): keep going in memory,
            # and say so; the file is left as it is.
            self.database_note = f"{exc}. Received requests are kept in memory only this time."
            core = Receiver(None, host=self.host, port=self.settings.receiver_port,
                            clear_errors=self.settings.receiver_clear_errors)
        core.add_listener(self._on_record)
        return core

    def _on_record(self, record: Record) -> None:
        """Writer thread: queue the record; the first one waiting wakes the UI thread."""
        with self._pending_lock:
            first = not self._pending
            self._pending.append(record)
        if first:
            self._wake.emit()

    @Slot()
    def _drain(self) -> None:
        self._drain_timer.stop()
        with self._pending_lock:
            batch, self._pending = self._pending, []
        if not batch:
            return
        self.records_received.emit(batch)
        for record in batch:
            self.record_received.emit(record)

    def _set_state(self, text: str) -> None:
        self.state = text
        self.state_changed.emit(text)
