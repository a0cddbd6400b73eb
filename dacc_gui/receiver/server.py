"""The receiver as the app and the ``serve`` command drive it: uvicorn in a thread.

``Receiver`` owns the store (which outlives the server: stop, start and
restart on another port keep every record) and the fault queue, and runs
uvicorn in a background thread. The port is bound before the thread starts,
so a port in use raises ``PortInUseError`` at once, with a clear message.

New records reach the app through ``add_listener(callback)``: the callback is
called from the store's writer thread, right after the record is committed,
never from the caller's thread. A Qt app emits a signal from it (Qt queues it
to the GUI thread); keep it short, since it delays the next commit. What the
HTTP layer refuses before the app sees it (an unparsable request line, headers
that never finish) is no record: ``add_refusal_listener(callback(status,
reason))`` hears of it (from the server thread), and the summary counts it.

``stop()`` answers and records the requests in flight before it returns:
injected delays are cut short, requests already sent on idle connections and
connections still in the listen backlog are served, and only then does the
server close.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import platformdirs
import uvicorn

from dacc_gui.dacc.measures import MeasureCatalog, load_catalog
from dacc_gui.dacc import aggregate as agg
from dacc_gui.receiver.app import ReceiverApp
from dacc_gui.receiver.backends import is_postgres_url, open_store
from dacc_gui.receiver.faults import Faults
from dacc_gui.receiver.httplayer import (
    DEFAULT_READ_TIMEOUT,
    Hooks,
    RawAuthorizationProtocol,
    ReceiverProtocol,
    ReceiverServer,
)
from dacc_gui.receiver.passes import PassOutcome
from dacc_gui.receiver.schedule import AggregationSchedule
from dacc_gui.receiver.store import DEFAULT_CAP, WAIT, Listener, StoreError

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8081
START_TIMEOUT = 10.0


class ReceiverError(Exception):
    """The receiver cannot do what was asked (listen, open its database...)."""


class PortInUseError(ReceiverError):
    """Another program already listens on that host and port."""


def default_db_path() -> Path:
    """``<user data dir>/dacc-gui/receiver.sqlite3`` (platformdirs)."""
    return Path(platformdirs.user_data_dir("dacc-gui")) / "receiver.sqlite3"


_DEFAULT_DB = object()


class Receiver:
    """A mock DACC: ``Receiver(db_path, host, port, token)``; ``db_path=None`` keeps it in memory.

    Without ``db_path`` the records go to :func:`default_db_path`. ``port=0``
    picks a free port; ``.port`` then gives the real one once started.
    """

    def __init__(
        self,
        db_path: str | Path | None = _DEFAULT_DB,  # type: ignore[assignment]
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        token: str | None = None,
        cap: int = DEFAULT_CAP,
        catalog: MeasureCatalog | None = None,
        clear_errors: bool = False,
        aggregation_schedule: bool = False,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
    ):
        if db_path is _DEFAULT_DB:
            db_path = default_db_path()
        # A postgresql:// URL is a shared database (db_url); anything else a SQLite file.
        self.db_url: str | None = str(db_path) if is_postgres_url(db_path) else None
        self.db_path: Path | None = Path(db_path) if db_path is not None and self.db_url is None else None
        self.host = host
        self.port = port
        self.token = token
        self.catalog = catalog or load_catalog()
        self.read_timeout = read_timeout
        self.store = open_store(self.db_url or self.db_path, cap=cap)
        self.faults = Faults()
        self.http = ReceiverApp(self.store, self.faults, token, self.catalog, host=host, clear_errors=clear_errors)
        # Production's cron, when asked: passes on each definition's executionFrequency.
        self.schedule = AggregationSchedule(self.http.aggregation) if aggregation_schedule else None
        self._refusal_listeners: list[Callable[[int, str], None]] = []
        self._server: ReceiverServer | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()

    # -- life cycle ------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._server is not None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> Receiver:
        """Listen and serve in a background thread; raises PortInUseError if the port is taken."""
        with self._lock:
            if self.running:
                return self
            sock = _bind(self.host, self.port)
            self.port = sock.getsockname()[1]
            config = uvicorn.Config(
                self.http.app,
                http=RawAuthorizationProtocol if self.token else ReceiverProtocol,
                interface="asgi3",
                proxy_headers=False,  # nothing stands in front of it: the client is who connected
                log_level="warning",
                access_log=False,
                lifespan="off",
                # Past the body's read timeout and the store's wait, a request is answered anyway.
                timeout_graceful_shutdown=self.read_timeout + WAIT + 5,
                backlog=2048,
            )
            config.dacc_hooks = Hooks(refused=self._refused, read_timeout=self.read_timeout)
            self.http.serving()
            server = ReceiverServer(config, on_stopping=self.http.begin_stop)
            thread = threading.Thread(
                target=server.run, kwargs={"sockets": [sock]}, name="dacc-receiver-http", daemon=True
            )
            thread.start()
            deadline = time.monotonic() + START_TIMEOUT
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    server.should_exit = True
                    thread.join(2)
                    sock.close()
                    raise ReceiverError(f"the receiver could not start on {self.url}")
                time.sleep(0.005)
            self._server, self._thread, self._socket = server, thread, sock
            if self.schedule is not None:
                self.schedule.start()
            return self

    def stop(self, timeout: float | None = None) -> None:
        """Stop serving once the requests in flight are answered and recorded.

        Usually well under a second; at most the body read timeout plus the
        store's wait (a stalled body, a store that hangs), or ``timeout``.
        """
        with self._lock:
            if self._server is None:
                return
            self._server.should_exit = True
            if self._thread is not None:
                self._thread.join(timeout if timeout is not None else self.read_timeout + WAIT + 10)
                if self._thread.is_alive():
                    log.error("receiver: the server thread did not stop in time")
                    self._server.force_exit = True
            if self._socket is not None:
                self._socket.close()
            self._server = self._thread = self._socket = None
        try:
            self.store.flush()
        except StoreError as exc:  # the records stay queued; closing waits for them again
            log.error("receiver: %s", exc)

    def restart(self, port: int | None = None, host: str | None = None) -> Receiver:
        """Stop, then start again (on another port or host if given)."""
        self.stop()
        if port is not None:
            self.port = port
        if host is not None:
            self.host = host
        return self.start()

    def close(self) -> None:
        """Stop and close the database."""
        self.stop()
        if self.schedule is not None:
            self.schedule.stop()
        self.store.close()

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- for the app ---------------------------------------------------------------
    def add_listener(self, callback: Listener) -> None:
        """``callback(record)`` for each new record, from the writer thread (see module doc)."""
        self.store.add_listener(callback)

    def remove_listener(self, callback: Listener) -> None:
        self.store.remove_listener(callback)

    @property
    def clear_errors(self) -> bool:
        """True: production's 500s are answered 400, its 201s that store nothing 422."""
        return self.http.clear_errors

    @clear_errors.setter
    def clear_errors(self, value: bool) -> None:
        self.http.clear_errors = bool(value)

    def add_refusal_listener(self, callback: Callable[[int, str], None]) -> None:
        """``callback(status, reason)`` for each request the HTTP layer refused before the app."""
        self._refusal_listeners.append(callback)

    def _refused(self, status: int, reason: str) -> None:
        self.store.count_refused(status, reason)
        for callback in list(self._refusal_listeners):
            try:
                callback(status, reason)
            except Exception:
                log.exception("receiver: a refusal listener failed")

    def aggregate(
        self,
        measure: str,
        start: str,
        end: str,
        created_by: str | None = None,
        include_hidden: bool = False,
        view: str = "live",
    ) -> list[dict[str, Any]]:
        """Aggregates of a measure over [start, end): ``view="live"`` recomputes them over
        everything production would have stored; ``view="production"`` gives what
        production's passes saved (what ``/aggregate`` serves where accessApp allows).
        With ``include_hidden`` also the groups under the threshold, each marked
        ``"hidden": True`` (the others ``False``).

        Raises ``AggregateQueryError`` (the DACC's message) for a bad query.
        """
        given = {"measureName": measure, "startDate": start, "endDate": end, "createdBy": created_by}
        params = {k: v for k, v in given.items() if v is not None}
        query = agg.parse_query(params, self.catalog.by_name())
        if view == "production":
            return self.http.aggregation.query(query, include_hidden)
        if view != "live":
            raise ValueError(f"view must be live or production, not {view!r}")
        return self.http.live_aggregates(query, include_hidden)

    def run_aggregation(self, force: bool = True, measure: str | None = None) -> list[PassOutcome]:
        """Production's aggregation pass now (``force``: whatever the executionFrequency)."""
        return self.http.aggregation.run(force=force, measure=measure)

    def aggregation_status(self) -> dict[str, Any]:
        """When each definition's last pass ran, whether it failed, what is pending."""
        return self.http.aggregation.status()


def _bind(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ReceiverError(f"cannot listen on {host}: {exc.strerror}") from exc
    family, kind, proto, _, address = infos[0]
    # proto must say TCP: asyncio sets TCP_NODELAY only then (else ~40 ms per answer).
    sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)
    # Lets a restart reuse the port at once; still refuses a port someone listens on.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(
                f"port {port} on {host} is already in use (another receiver, or the old "
                f"logging server?); stop it or choose another port"
            ) from exc
        raise ReceiverError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.setblocking(False)
    return sock
