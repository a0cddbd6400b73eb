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

Where the records go: the default file in the user data dir (kept across
restarts), unless a ``db_path`` is given to the constructor or the setting
``receiver_database`` names a file, or ``":memory:"`` for a throwaway store
(tests). The database is opened the first time it is needed.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal, Slot

from dacc_gui.receiver import DEFAULT_HOST, PortInUseError, Receiver, ReceiverError, Record, StoreError
from dacc_gui.receiver.server import default_db_path
from dacc_gui.ui.common.settings import Settings

MEMORY = ":memory:"
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
    _wake = Signal()  # from the writer thread: records are waiting

    def __init__(self, settings: Settings, db_path: str | Path | None | object = _FROM_SETTINGS,
                 host: str = DEFAULT_HOST, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.host = host
        self._db_path = db_path
        self._core: Receiver | None = None
        self._pending: list[Record] = []
        self._pending_lock = threading.Lock()
        self.state = "Receiver stopped"
        self.error: str | None = None  # why the last start failed
        self.suggested_port: int | None = None  # a free port when the wanted one is taken
        self.database_note: str | None = None  # when the database file could not be used
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
        """Listen on ``port`` (default: the setting; 0 picks a free one). False if it could not."""
        wanted = self.settings.receiver_port if port is None else int(port)
        core = self.core
        if core.running:
            if port is None or wanted in (0, core.port):
                return True
            return self.restart(wanted)
        core.port = wanted
        try:
            core.start()
        except PortInUseError as exc:
            self.suggested_port = free_port_near(wanted, self.host)
            self.error = str(exc)
            instead = f"; port {self.suggested_port} is free" if self.suggested_port else ""
            self._set_state(f"Receiver not running: port {wanted} is in use{instead} (Receiver ▸ Port…)")
            return False
        except ReceiverError as exc:
            self.error = str(exc)
            self.suggested_port = None
            self._set_state(f"Receiver not running: {exc}")
            return False
        self.error = None
        self.suggested_port = None
        self._set_state(f"Receiver on {core.url}")
        return True

    def stop(self) -> None:
        """Stop serving; every record stays."""
        if self._core is not None and self._core.running:
            self._core.stop()
        self._drain()
        self._set_state("Receiver stopped")

    def restart(self, port: int | None = None) -> bool:
        """Stop, then start on ``port`` (default: the same one).

        Moving a running receiver to another port keeps it serving where it is
        until the new port is free: a port in use leaves it running, and says so.
        """
        running = self._core is not None and self._core.running
        old = self._core.port if running else None
        if port is None:
            port = old
        if running and port not in (0, old) and not port_is_free(port, self.host):
            self.suggested_port = free_port_near(port, self.host)
            self.error = f"port {port} on {self.host} is already in use"
            instead = f"; port {self.suggested_port} is free" if self.suggested_port else ""
            self._set_state(f"Receiver on {self._core.url} (port {port} is in use{instead})")
            return False
        self.stop()
        if self.start(port):
            return True
        if old is not None and self.start(old):  # taken meanwhile: back where it was
            error = self.error
            self._set_state(f"Receiver on {self._core.url} (port {port}: {error})")
            return False
        return False

    # --- the app's life cycle --------------------------------------------------------
    def start_with_app(self) -> bool:
        """Start if the "start the receiver with the app" setting is on (the default)."""
        if not self.settings.receiver_autostart:
            self._set_state("Receiver stopped (Receiver ▸ Start)")
            return False
        return self.start()

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

    # --- records ----------------------------------------------------------------------
    def clear(self) -> int:
        """Forget every record (the caller asked the user first); returns how many went."""
        removed = self.store.reset()
        with self._pending_lock:
            self._pending.clear()
        self.cleared.emit()
        return removed

    def export(self) -> dict[str, Any]:
        """The summary and every record, as ``/_receiver/export`` gives them."""
        return self.store.export()

    def summary(self) -> dict[str, Any]:
        return self.store.summary()

    # --- internals ----------------------------------------------------------------------
    def _open(self) -> Receiver:
        path = self.db_path
        try:
            core = Receiver(path, host=self.host, port=self.settings.receiver_port)
        except StoreError as exc:
            # The file cannot be used (newer schema, not ours...): keep going in memory,
            # and say so; the file is left as it is.
            self.database_note = f"{exc}. Received requests are kept in memory only this time."
            core = Receiver(None, host=self.host, port=self.settings.receiver_port)
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
