"""The DACC's checks of a preview, in a process of their own beside the worker.

A preview of a million events makes tens of thousands of indicators, and
checking them as the DACC would takes about as long as the rules that made
them. The preview's worker hands them to a checker process a piece at a
time as the rules give them (``compute_preview``'s ``checker``), so both can
run at once. The checker holds no events: only what it is sent.

One pipe joins them, and nothing else: when the worker goes, even killed,
the checker reads the end of the pipe and goes too (a process pool would
wait forever on a queue whose other end it holds itself, and leave its
semaphores behind). A checker that stops costs no preview: the worker checks
the rest itself, and starts another checker for the next preview.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import pickle
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

log = logging.getLogger(__name__)

PROTOCOL = pickle.HIGHEST_PROTOCOL
STOP_S = 2.0  # how long a checker told to stop may take before it is terminated


class CheckerStopped(RuntimeError):
    """The checker process is gone: what it was given is checked elsewhere."""


class Checker(Executor):
    """A checker process: ``submit(fn, *args)`` runs ``fn`` there, in order.

    Pieces are sent by a thread of their own, so that the rules never wait
    for a pipe the checker has not read yet; answers are read by another.
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe(duplex=True)
        self._process = context.Process(target=_serve, args=(child,), name="dacc-gui checks", daemon=True)
        self._process.start()
        child.close()
        self._numbers = itertools.count()
        self._waiting: dict[int, Future] = {}
        self._lock = threading.Lock()
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self.stopped = False
        threading.Thread(target=self._send_loop, name="checker-outbox", daemon=True).start()
        threading.Thread(target=self._read_loop, name="checker-answers", daemon=True).start()

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        with self._lock:
            if self.stopped:
                raise CheckerStopped("The preview's checker process stopped.")
            number = next(self._numbers)
            self._waiting[number] = future
        self._outbox.put((number, fn, args, kwargs))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:
            with self._lock:
                waiting = list(self._waiting.values())
            for future in waiting:
                future.cancel()
        self._outbox.put(None)  # after what was given: the checker ends
        if wait:
            self._process.join(STOP_S)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join(STOP_S)

    def _send_loop(self) -> None:
        try:
            while True:
                item = self._outbox.get()
                self._conn.send_bytes(pickle.dumps(item, PROTOCOL))
                if item is None:
                    return
        except (OSError, TypeError, ValueError):
            pass  # the checker is gone (its pipe closed, perhaps mid-send): the reader says so

    def _read_loop(self) -> None:
        while True:
            try:
                number, ok, value = pickle.loads(self._conn.recv_bytes())
            except (EOFError, OSError):
                break
            with self._lock:
                future = self._waiting.pop(number, None)
            if future is not None and future.set_running_or_notify_cancel():
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
        with self._lock:
            self.stopped = True
            waiting, self._waiting = list(self._waiting.values()), {}
        for future in waiting:
            if future.set_running_or_notify_cancel():
                future.set_exception(CheckerStopped("The preview's checker process stopped."))
        self._conn.close()


def start_checker() -> Checker | None:
    """A checker process, started now (it imports the checks while the worker
    waits for its first request); None when none can start."""
    try:
        return Checker()
    except Exception:  # noqa: BLE001 - the worker checks by itself then
        log.warning("The preview's checker process could not start", exc_info=True)
        return None


def usable(checker: Checker | None) -> Checker | None:
    """``checker`` if it still takes work, else a new one (or None)."""
    if checker is not None and not checker.stopped:
        return checker
    if checker is not None:
        log.warning("The preview's checker process stopped; starting another")
    return start_checker()


def _serve(conn) -> None:  # noqa: ANN001 - a multiprocessing Connection
    """The checker process's main function: answer each piece, until the pipe ends."""
    from dacc_gui.dacc.measures import load_catalog

    load_catalog()  # read once, before the first piece
    while True:
        try:
            message = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError, KeyboardInterrupt):
            return  # the worker went away
        if message is None:
            return  # the worker stops it
        number, fn, args, kwargs = message
        try:
            answer = (number, True, fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - it goes back to the worker, which checks that piece itself
            answer = (number, False, exc)
        try:
            conn.send_bytes(pickle.dumps(answer, PROTOCOL))
        except (OSError, pickle.PicklingError):
            return
