"""``serve --workers N``: several server processes on one PostgreSQL database.

uvicorn's supervisor starts N worker processes on one listening socket; each
builds its own app with :func:`create_app` (uvicorn's app factory), from the
settings the parent leaves in the environment (not on a command line, which
every process listing shows: the token is among them). Every worker has its
own store on the shared database, whose constraints and locks keep the
records, duplicates and aggregation passes right across processes
(``receiver.pg_store``).

The fault queue and the answering mode are in the database too
(``SharedFaults``, a ``meta`` flag): set through the control API of one worker,
they hold for the requests every worker gets.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
from collections.abc import Callable

import uvicorn
from uvicorn.supervisors import Multiprocess
from uvicorn.supervisors import multiprocess as uvicorn_multiprocess

from dacc_gui.dacc.measures import load_catalog
from dacc_gui.receiver.app import ReceiverApp
from dacc_gui.receiver.backends import open_store
from dacc_gui.receiver.pg_store import SharedFaults
from dacc_gui.receiver.httplayer import (
    DEFAULT_READ_TIMEOUT, Hooks, RawAuthorizationProtocol, ReceiverProtocol, ReceiverServer,
)
from dacc_gui.receiver.schedule import AggregationSchedule
from dacc_gui.receiver.server import _bind

SETTINGS_ENV = "DACC_GUI_RECEIVER_WORKER_SETTINGS"


class _SharedModeApp(ReceiverApp):
    """The answering mode in the database: switched through one worker, it holds in all."""

    def __init__(self, *args, **kwargs):
        self._starting = True  # a worker (re)starting keeps the mode the others answer in
        super().__init__(*args, **kwargs)
        self._starting = False

    @property
    def clear_errors(self) -> bool:
        return self.store.shared_flag("clear_errors")

    @clear_errors.setter
    def clear_errors(self, value: bool) -> None:
        if not self._starting:
            self.store.set_shared_flag("clear_errors", value)


def create_app():
    """One worker's app (uvicorn calls it in each worker process)."""
    settings = json.loads(os.environ[SETTINGS_ENV])
    store = open_store(settings["db"], cap=settings["cap"])
    atexit.register(store.close)  # what is queued is committed before the worker exits
    global _store
    _store = store
    http = _SharedModeApp(store, SharedFaults(store), settings["token"], load_catalog(), host=settings["host"])
    if settings["log"]:
        store.add_listener(_print_line)
    if settings["aggregation_schedule"]:  # each worker's schedule; the pass lock lets one pass run
        schedule = AggregationSchedule(http.aggregation)
        schedule.start()
        atexit.register(schedule.stop)
    global _http
    _http = http
    return http.app


_store = None  # this worker's store, once create_app made it
_http: ReceiverApp | None = None  # and its app


def _print_line(record) -> None:  # noqa: ANN001 - a Record
    # One write a line: the workers share one stdout, and print's text and
    # newline, written apart, interleaved two workers' lines now and then.
    line = (record.log_line() + "\n").encode("utf-8", "backslashreplace")
    os.write(sys.stdout.fileno(), line)


def _begin_stop() -> None:
    if _http is not None:
        _http.begin_stop()


class _WorkerProcess(uvicorn_multiprocess.Process):
    """uvicorn's worker process serving with the receiver's own server, as in one
    process: a stop ends the injected delays at once and answers the requests
    still waiting in the listen backlog."""

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = ReceiverServer(self.config, on_stopping=_begin_stop)
        return self._server


def _count_refused(status: int, reason: str) -> None:
    """The HTTP layer's refusals, counted in this worker's store (a module function: the
    protocol's hooks go to each worker process with uvicorn's config)."""
    if _store is not None:
        _store.count_refused(status, reason)


def serve_workers(
    db: str,
    host: str,
    port: int,
    workers: int,
    token: str | None,
    cap: int,
    clear_errors: bool = False,
    aggregation_schedule: bool = False,
    log: bool = True,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    on_listening: Callable[[int], None] | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM. The database is checked and the port bound first, so
    that an unusable database or a port in use raises (``StoreError``, ``ReceiverError``)
    here with a clear message instead of failing in every worker."""
    store = open_store(db, cap=cap)  # also creates the schema once, before the workers race
    store.set_shared_flag("clear_errors", clear_errors)
    SharedFaults(store).clear()  # a new server starts without the last one's faults
    store.close()
    sock = _bind(host, port)
    sock.set_inheritable(True)
    sock.listen(2048)  # requests wait in the backlog while the workers start, not refused
    os.environ[SETTINGS_ENV] = json.dumps({
        "db": db, "token": token, "host": host, "cap": cap, "clear_errors": clear_errors,
        "aggregation_schedule": aggregation_schedule, "log": log,
    })
    config = uvicorn.Config(
        "dacc_gui.receiver.workers:create_app",
        factory=True,
        interface="asgi3",
        workers=workers,
        log_level="warning",
        access_log=False,
        lifespan="off",
        http=RawAuthorizationProtocol if token else ReceiverProtocol,  # as in one process
        proxy_headers=False,  # nothing stands in front of it: the client is who connected
        timeout_graceful_shutdown=read_timeout + 5,
        backlog=2048,
    )
    config.dacc_hooks = Hooks(refused=_count_refused, read_timeout=read_timeout)
    if on_listening is not None:
        on_listening(sock.getsockname()[1])
    sys.stdout.flush()
    # uvicorn's supervisor makes its workers with the module's ``Process``:
    # pointed at ours while it runs (each worker, spawned, gets ours pickled).
    uvicorn_process = uvicorn_multiprocess.Process
    uvicorn_multiprocess.Process = _WorkerProcess
    try:
        Multiprocess(config, sockets=[sock]).run()
    finally:
        uvicorn_multiprocess.Process = uvicorn_process
        sock.close()
