"""The indicators preview in a process of its own (Qt-free).

Computing the preview of a million events takes seconds of Python. On a
thread of the app it holds the interpreter lock that the UI thread needs, so
the window stutters however the work is split. ``PreviewWorker`` runs it in a
worker process instead: the events are sent once (with the first request
after ``reload``), then only the edits (``changed``), and each ``request``
is computed there and streamed back. The app's process only pickles and
unpickles, about a millisecond at a time, on background threads.

The protocol, over a ``multiprocessing`` pipe (each message one pickle):

app -> worker
  ("load",)                        a new set of events; the "events" messages after it are the set
  ("events", [values])             more events of the set, appended (``CHUNK`` a message)
  ("set", name, rows, [values])    one field of some rows edited
  ("replace", rows, [values])      whole events replaced at some rows
  ("insert", rows, [values])       events inserted (their positions afterwards, ascending)
  ("remove", rows)                 events removed (their positions before, ascending)
  ("preview", id, count, context, first, last, ignore)
  ("cancel", id)
  ("stop",)                        the app closes the worker: it stops what it computes and exits

An event travels as itself: a msgspec struct, which pickles fast and
whole (its extra fields and key order included).

worker -> app: a tag byte, then
  b"M" a pickle of ("progress", id, done, total), ("begin", id), ("end", id),
       ("cancelled", id), ("failed", id, text, traceback) or ("lost", id,
       text): the worker holds another number of events than the app says
  b"P" one part of a result, between its begin and end (``_parts``):
       runs go out empty and their items after them, ``PART`` objects at
       most a part, each part its own pickle; ``_Assembly`` puts the preview
       back together. While they come the app does not collect for cycles;
       the preview is frozen after, and ``release`` frees it a part at a
       time when the next one replaces it.

Every message that reaches the worker while it computes cancels that
computation: a newer request supersedes it, a cancel stops it, an edit or a
load makes it stale. A worker that dies (killed, out of memory) closes the
pipe: the requests waiting fail with ``WorkerCrashed``, ``on_crash`` is told,
and ``restart`` starts another, sent the app's events with the next request.
"""

from __future__ import annotations

import atexit
import gc
import itertools
import logging
import multiprocessing
import multiprocessing.util  # its exit handler registered before ours, so that ours runs first
import operator
import os
import pickle
import queue
import signal
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any

from dacc_gui.common.cancel import Cancelled
from dacc_gui.events.context import UserContext
from dacc_gui.events.edits import Change
from dacc_gui.events.model import UsageEvent
from dacc_gui.rules.accumulate import Skipped
from dacc_gui.rules.packing import pack_ids, packed_indicator, unpack_ids, unpacked_indicator
from dacc_gui.rules.nightly import RunResult, simulate
from dacc_gui.rules.preview import Preview, PreviewRow, compute_preview, night_checks
from dacc_gui.rules.series import by_measure
from dacc_gui.rules.timeline import Timeline

log = logging.getLogger(__name__)

# Pickling a message, or unpickling a part, is one call that holds the app's
# interpreter lock throughout, and every call the UI thread makes into Python
# (a table cell painted) may wait that long: about a millisecond each.
CHUNK = 1_000  # events a message
PART = 1_000  # objects a streamed part (an indicator counts its events)
NICENESS = 5
SWITCH_S = 0.0005  # how long a thread of the worker may hold the interpreter lock when another waits
POLL_S = 0.05  # how often a waiting request looks at its cancel flag
STOP_S = 2.0  # how long a worker told to stop may take before it is terminated
PROTOCOL = pickle.HIGHEST_PROTOCOL

Progress = Callable[[int, int], None]


_exiting = False
_links: "weakref.WeakSet[_Link]" = weakref.WeakSet()  # the workers running, stopped at exit


@atexit.register
def _at_exit() -> None:
    # Runs before multiprocessing's own exit handler, which would wait for
    # the workers (no daemons: each ends its work and exits by itself); their
    # end is then no crash to report.
    global _exiting
    _exiting = True
    for link in list(_links):
        link.close()


class WorkerCrashed(RuntimeError):
    """The worker process stopped before it answered."""


class WorkerFailed(RuntimeError):
    """The preview failed in the worker; its traceback is this exception's cause."""


class RemoteTraceback(Exception):
    """The worker's traceback, chained under ``WorkerFailed`` so the log shows it."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# --------------------------------------------------------------------------
# The worker process
# --------------------------------------------------------------------------
def _merge_inserted(events: list, rows: Sequence[int], new: list) -> list:
    """``events`` with ``new`` put at ``rows`` (positions afterwards, ascending)."""
    if rows and rows[0] == len(events) and rows[-1] == len(events) + len(new) - 1:
        return events + new  # at the end: an added or duplicated event
    out: list = []
    it = iter(events)
    for row, event in zip(rows, new):
        out.extend(itertools.islice(it, row - len(out)))
        out.append(event)
    out.extend(it)
    return out


def _slices(items: Sequence, weight: Callable[[Any], int] | None = None) -> Iterator[list]:
    """``items`` cut into lists of about ``PART`` objects (by ``weight``)."""
    if weight is None:
        for start in range(0, len(items), PART):
            yield list(items[start:start + PART])
        return
    part: list = []
    size = 0
    for item in items:
        part.append(item)
        size += weight(item)
        if size >= PART:
            yield part
            part, size = [], 0
    if part:
        yield part


RUN_LISTS = ("indicators", "skipped", "aggregated", "aggregated_indices")

def _parts(results: list[RunResult], preview: Preview) -> Iterator[tuple]:
    """What a result is sent as, ``PART`` objects at most a part, each part
    pickled on its own; ``_Assembly`` puts it back together. A run goes out
    empty and its items after it, as plain values (a dataclass pickles
    slower) with their event ids packed; then the DACC's checks of each
    run's indicators, made only now, while the app takes in the runs; then
    the ``preview`` without its lists. The rows, the (run, skipped) pairs and
    the split per measure only refer to the runs' items, so the app rebuilds
    them (a pickle memo shared by the parts would hold a million references,
    and letting go of it at once held the app's lock 0.1 s). Consumes the
    results (their lists are taken out)."""
    nights: list[list] = []  # each run's indicators, to be checked
    for n, result in enumerate(results):
        lists = {name: getattr(result, name) for name in RUN_LISTS}
        for name in RUN_LISTS:
            setattr(result, name, [])
        yield ("run", result)
        for piece in _slices(lists["indicators"], lambda i: 1 + len(i.event_ids)):
            yield ("indicators", n, list(map(packed_indicator, piece)))
        for piece in _slices(lists["skipped"]):
            yield ("skipped", n, pack_ids([s.event_id for s in piece]), [s.reason for s in piece],
                   [s.index for s in piece])
        for piece in _slices(lists["aggregated"]):
            yield ("aggregated", n, pack_ids(piece))
        for piece in _slices(lists["aggregated_indices"]):
            yield ("aggregated_indices", n, piece)
        nights.append(lists["indicators"])
    for n, indicators in enumerate(nights):
        yield from (("validations", n, piece) for piece in _slices(night_checks(indicators)))
    # Rows are each run's indicators in order, with their validation; the app makes them.
    yield ("preview", preview, True, True)


class _Assembly:
    """A result put back together from its parts, in the app (Python loops:
    the UI thread gets the lock back every 0.2 ms)."""

    def __init__(self) -> None:
        self.runs: list = []
        self.validations: list[list] = []
        self.preview: Preview | None = None

    def add(self, part: tuple) -> None:
        kind = part[0]
        if kind == "run":
            self.runs.append(part[1])
            self.validations.append([])
        elif kind == "indicators":
            self.runs[part[1]].indicators.extend(map(unpacked_indicator, part[2]))
        elif kind == "skipped":
            _, n, ids, reasons, indices = part
            self.runs[n].skipped.extend(map(Skipped, unpack_ids(ids), reasons, indices))
        elif kind == "aggregated":
            self.runs[part[1]].aggregated.extend(unpack_ids(part[2]))
        elif kind == "aggregated_indices":
            self.runs[part[1]].aggregated_indices.extend(part[2])
        elif kind == "validations":
            self.validations[part[1]].extend(part[2])
        elif kind == "preview":
            preview, has_skipped_rows, has_by_measure = part[1:]
            runs = self.runs
            preview.results = runs
            preview.rows = [PreviewRow(run, indicator, check) for run, checks in zip(runs, self.validations)
                            for indicator, check in zip(run.indicators, checks)]
            preview.skipped_rows = [(r, s) for r in runs for s in r.skipped] if has_skipped_rows else None
            preview.by_measure = by_measure(runs) if has_by_measure else None
            self.preview = preview


class _Serving:
    """The worker's side: its copy of the events, and the requests."""

    def __init__(self, conn) -> None:  # noqa: ANN001 - a multiprocessing Connection
        self.conn = conn
        self.events: list[UsageEvent] = []
        # The last preview's timeline, and the rows edited since: the next
        # preview files those again instead of building one of the whole list.
        self.timeline: Timeline | None = None
        self.edited: set[int] = set()
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.running: threading.Event | None = None  # the cancel flag of the computation running
        self.running_id = -1
        self.latest = -1  # the newest request seen
        self.cancelled: set[int] = set()
        # What goes to the app, in order, written by a thread of its own: the
        # next part of a result is pickled while the app reads one. (A pipe
        # holds 64 KiB: written from here, each part waited for the app to
        # have taken in the one before, and sending took the sum of both.)
        self.outbox: queue.SimpleQueue = queue.SimpleQueue()
        self.sender: threading.Thread | None = None
        if conn is not None:
            self.sender = threading.Thread(target=self._send_loop, name="preview-outbox", daemon=True)
            self.sender.start()

    def send(self, message: tuple) -> None:
        self.outbox.put(b"M" + pickle.dumps(message, PROTOCOL))

    def _send_loop(self) -> None:
        while True:
            data = self.outbox.get()
            if data is None:
                return
            try:
                self.conn.send_bytes(data)
            except OSError:
                return  # the app went away: the inbox says so too, and what runs stops

    def flush(self) -> None:
        """Wait until everything said has been written to the app."""
        if self.sender is not None:
            self.outbox.put(None)
            self.sender.join()

    def read(self) -> None:
        """On a thread: messages into the inbox; each one stops the computation running."""
        while True:
            try:
                message = pickle.loads(self.conn.recv_bytes())
            except (EOFError, OSError):
                with self.lock:  # the app went away, or closes the worker: what runs stops
                    if self.running is not None:
                        self.running.set()
                self.inbox.put(None)
                return
            kind = message[0]
            if kind == "stop":
                message = None  # as if the app went away
            with self.lock:
                if kind == "preview":
                    self.latest = max(self.latest, message[1])
                elif kind == "cancel":
                    self.cancelled.add(message[1])
                # A cancel that comes late, for a request already answered, stops nothing.
                stops = kind != "events" and (kind != "cancel" or message[1] == self.running_id)
                if self.running is not None and stops:
                    self.running.set()
            self.inbox.put(message)
            if message is None:
                return

    def serve(self) -> None:
        threading.Thread(target=self.read, name="preview-inbox", daemon=True).start()
        try:
            while True:
                message = self.inbox.get()
                if message is None:
                    return
                getattr(self, "_" + message[0])(*message[1:])
        finally:
            self.flush()

    # --- the events -------------------------------------------------------
    def _load(self) -> None:
        self.events = []
        self._forget_timeline()
        # A million events are a million objects: collecting while they come
        # would walk them again and again. They are frozen before computing.
        gc.disable()

    def _events(self, values: list[dict]) -> None:
        self.events.extend(values)

    def _set(self, name: str, rows: list[int], values: list) -> None:
        targets = map(vars, map(self.events.__getitem__, rows))
        list(map(operator.setitem, targets, itertools.repeat(name), values))
        self.edited.update(rows)

    def _replace(self, rows: list[int], values: list[dict]) -> None:
        for row, value in zip(rows, values):
            self.events[row] = value
        self.edited.update(rows)

    def _insert(self, rows: list[int], values: list[dict]) -> None:
        self.events = _merge_inserted(self.events, rows, list(values))
        self._forget_timeline()  # every position after the first insert moved

    def _remove(self, rows: list[int]) -> None:
        gone = set(rows)
        self.events = [e for n, e in enumerate(self.events) if n not in gone]
        self._forget_timeline()

    def _forget_timeline(self) -> None:
        self.timeline = None
        self.edited = set()

    def _timeline(self, cancelled: Callable[[], bool]) -> Timeline:
        """The timeline of the events as they are now: the last one updated, or a new one."""
        timeline, self.timeline = self.timeline, None  # not kept if this fails half way
        if timeline is None:
            timeline = Timeline(self.events, cancelled)
        elif self.edited:
            timeline.update(self.edited)
        self.timeline, self.edited = timeline, set()
        return timeline

    def _cancel(self, request: int) -> None:
        pass  # seen by ``read``; a request still queued is dropped when its turn comes

    # --- the requests -------------------------------------------------------
    def _preview(self, request: int, count: int, context: UserContext, first: date, last: date | None,
                 ignore: bool) -> None:
        with self.lock:
            if request < self.latest or request in self.cancelled:
                self.send(("cancelled", request))  # superseded before it started
                return
            flag = self.running = threading.Event()
            self.running_id = request
        try:
            if count != len(self.events):
                # An edit that did not reach it: the app starts another worker.
                self.send(("lost", request, f"The preview's worker process held {len(self.events):,} events, "
                                            f"the app {count:,}."))
                return
            # The events stay, and a computation's objects hardly ever form
            # cycles: collecting would walk a million events again and again,
            # and the result's million objects while it is sent.
            gc.freeze()
            gc.disable()
            try:
                results = simulate(self.events, context, first, last or first, ignore,
                                   lambda done, total: self.send(("progress", request, done, total)),
                                   flag.is_set, self._timeline(flag.is_set))
                self._stream(request, results, Preview(ignore_monthly_date_protection=ignore), flag)
            finally:
                gc.freeze()  # the timeline kept, out of the collector's walks between previews too
                gc.enable()
        except Cancelled:
            self.send(("cancelled", request))
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the app
            self.send(("failed", request, f"{type(exc).__name__}: {exc}", traceback.format_exc()))
        finally:
            with self.lock:
                self.running = None

    def _stream(self, request: int, results: list[RunResult], preview: Preview, flag: threading.Event) -> None:
        self.send(("begin", request))
        for part in _parts(results, preview):
            if flag.is_set():
                raise Cancelled()
            self.outbox.put(b"P" + pickle.dumps(part, PROTOCOL))
        self.send(("end", request))


def serve(conn) -> None:  # noqa: ANN001
    """The worker process's main function."""
    if hasattr(os, "nice"):
        # On a busy machine the window gets a core before the preview does.
        os.nice(NICENESS)
    # The thread that writes a result to the app needs the interpreter lock
    # for each 64 KiB the pipe takes, while this one checks the next night:
    # at the default 5 ms a turn, a result's megabytes waited for the checks.
    sys.setswitchinterval(SWITCH_S)
    try:
        _Serving(conn).serve()
    except (EOFError, OSError, KeyboardInterrupt):
        pass  # the app closed the pipe or is stopping


# --------------------------------------------------------------------------
# The app's side
# --------------------------------------------------------------------------
class Request:
    """One preview asked of the worker; ``result`` waits for it (off the UI thread)."""

    def __init__(self, worker: "PreviewWorker", link: "_Link", number: int) -> None:
        self.worker = worker
        self.link = link
        self.number = number
        self.answers: queue.SimpleQueue = queue.SimpleQueue()
        # The worker's last word on it ("done", "cancelled", ...), once said,
        # even after ``result`` gave up waiting.
        self.outcome: str | None = None
        self.ended = threading.Event()

    def _answer(self, answer: tuple) -> None:
        """From the listening thread."""
        self.answers.put(answer)
        if answer[0] != "progress":
            self.outcome = answer[0]
            self.ended.set()
            self.link.forget(self.number)

    def result(self, progress: Progress | None = None, cancelled: Callable[[], bool] | None = None) -> Preview:
        """The preview; raises ``Cancelled``, ``WorkerFailed`` or ``WorkerCrashed``."""
        while True:
            if cancelled is not None and cancelled():
                self.link.post(("cancel", self.number))  # the worker answers "cancelled" when it has stopped
                raise Cancelled()
            try:
                answer = self.answers.get(timeout=POLL_S)
            except queue.Empty:
                continue
            kind = answer[0]
            if kind == "progress":
                if progress is not None:
                    progress(*answer[1:])
            elif kind == "done":
                return answer[1]
            elif kind == "cancelled":
                raise Cancelled()
            elif kind == "failed":
                raise WorkerFailed(answer[1]) from RemoteTraceback(answer[2])
            elif kind == "lost":
                self.link.abandon(answer[1])
                raise WorkerCrashed(answer[1])
            else:
                raise WorkerCrashed(answer[1])


class _Link:
    """One worker process, the thread that feeds it and the thread that listens."""

    def __init__(self, on_crash: Callable[["_Link", str], None]) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, self._child = context.Pipe(duplex=True)
        self.process = context.Process(target=serve, args=(self._child,), name="dacc-gui preview", daemon=False)
        self.on_crash = on_crash
        self.outbox: queue.SimpleQueue = queue.SimpleQueue()
        self.requests: dict[int, Request] = {}
        self.lock = threading.Lock()
        self.closed = False
        self.dead: str | None = None  # why the worker stopped
        self.started = threading.Event()
        threading.Thread(target=self._send_loop, name="preview-outbox", daemon=True).start()
        _links.add(self)

    @property
    def pid(self) -> int | None:
        self.started.wait(30)
        return self.process.pid

    def post(self, message: Any) -> None:
        self.outbox.put(message)

    def add(self, request: Request) -> None:
        with self.lock:
            if self.dead is None:
                self.requests[request.number] = request
                return
        request._answer(("crashed", self.dead))

    def forget(self, number: int) -> None:
        with self.lock:
            self.requests.pop(number, None)

    def close(self) -> None:
        _links.discard(self)
        self.closed = True
        self.outbox.put(None)
        if self.started.wait(30) and self.process.is_alive():
            self.process.join(STOP_S)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(2)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(2)

    # --- sending -----------------------------------------------------------
    def _send(self, message: tuple) -> None:
        self.conn.send_bytes(pickle.dumps(message, PROTOCOL))

    def _send_loop(self) -> None:
        try:
            self.process.start()
        except Exception as exc:  # noqa: BLE001 - said like a crash: the app can go on without a preview
            log.warning("The preview's worker process could not start", exc_info=exc)
            self.started.set()
            self._stopped(f"The preview's worker process could not start: {exc}.")
            return
        finally:
            self._child.close()
        self.started.set()
        threading.Thread(target=self._read_loop, name="preview-results", daemon=True).start()
        try:
            while True:
                item = self.outbox.get()
                if item is None:
                    self._send(("stop",))  # the worker stops what it computes, and exits
                    break
                for message in _messages(item):
                    self._send(message)
        except OSError:
            pass  # the worker is gone: the reader says so

    # --- receiving -----------------------------------------------------------
    def _read_loop(self) -> None:
        assembly: _Assembly | None = None
        try:
            while True:
                try:
                    data = memoryview(self.conn.recv_bytes())
                except (EOFError, OSError):
                    break
                if data[:1] == b"P":
                    if assembly is not None:
                        assembly.add(pickle.loads(data[1:]))
                    continue
                message = pickle.loads(data[1:])
                kind, number = message[0], message[1]
                if kind == "begin":
                    assembly = _Assembly()
                    _pause_collection()
                    continue
                if kind == "end":
                    answer: tuple = ("done", assembly.preview if assembly else None)
                    assembly = None
                    _resume_collection()
                elif kind == "cancelled":
                    if assembly is not None:
                        assembly = None
                        _resume_collection()
                    answer = message[:1]
                else:
                    answer = (kind, *message[2:])
                with self.lock:
                    request = self.requests.get(number)
                if request is not None:
                    request._answer(answer)
        finally:
            if assembly is not None:
                _resume_collection()
        self._died()
        self.conn.close()

    def abandon(self, message: str) -> None:
        """Give up on a worker that is out of step with the app's events."""
        if self.process.is_alive():
            self.process.terminate()
        self._stopped(message)

    def _died(self) -> None:
        self.process.join(5)
        code = self.process.exitcode
        if code is None:
            why = "stopped answering"
        elif code < 0:
            try:
                why = f"was killed ({signal.Signals(-code).name})"
            except ValueError:
                why = f"was killed (signal {-code})"
        else:
            why = f"exited (code {code})"
        self._stopped(f"The preview's worker process {why}.")

    def _stopped(self, message: str) -> None:
        with self.lock:
            if self.dead is not None:
                return  # said once
            self.dead = message
            waiting = list(self.requests.values())
            self.requests.clear()
        if not self.closed and not _exiting:
            log.warning("%s", message)
            self.on_crash(self, message)  # before the requests fail: the app restarts, then reports
        for request in waiting:
            request._answer(("crashed", message))


_collection_was_enabled = False


def _pause_collection() -> None:
    """No collection for cycles while a result comes: its million objects are
    young, and each pass over them would hold the interpreter lock that long."""
    global _collection_was_enabled
    _collection_was_enabled = gc.isenabled()
    gc.collect(1)  # the young garbage of before, while it is little
    gc.disable()


def _resume_collection() -> None:
    # Frozen, the result is never walked again (reference counting frees
    # it, as the document's frozen events, when the next one replaces it).
    gc.freeze()
    if _collection_was_enabled:
        gc.enable()


def release(holder: list) -> threading.Thread:
    """Let go of a preview the app no longer shows, a part at a time, on a thread.

    Freeing the preview of a million events at once takes 0.2 s, all of it
    holding the interpreter lock, on whichever thread drops it last (the UI
    thread, as a new preview replaces it). The preview comes in a one-item
    list, which the thread empties: so no name of the caller's still holds
    it. A part still held elsewhere (an export running on the old preview,
    the indicator shown in a detail pane) is left whole, for its holder to free.
    """
    thread = threading.Thread(target=_take_apart, args=(holder,), name="preview-release", daemon=True)
    thread.start()
    return thread


def _take_apart(box: list) -> None:
    # Reference counts tell what is held elsewhere: an attribute or a list
    # item that owns the object, the name here, and getrefcount's argument.
    preview = box.pop()
    if sys.getrefcount(preview) > 2:
        return  # held elsewhere: freed by its last holder
    for name in ("rows", "skipped_rows"):  # first: they refer to the runs
        items = getattr(preview, name)
        if items is not None and sys.getrefcount(items) == 3:
            _drain(items)
        items = None
    for runs in (preview.by_measure or {}).values():
        if sys.getrefcount(runs) == 3:
            _drain(runs)
    runs = None
    for run in preview.results:
        if sys.getrefcount(run) > 3:
            continue  # a run someone still shows
        for name in RUN_LISTS:
            items = getattr(run, name)
            if sys.getrefcount(items) == 3:
                _drain(items)
            items = None


def _drain(items: list) -> None:
    while items:
        del items[-PART:]
        time.sleep(0)  # the UI thread's turn


def _values(events: Sequence[UsageEvent]) -> list[UsageEvent]:
    return list(events)  # structs pickle fast and whole (their extra fields and key order too)


def _messages(item: tuple) -> Iterator[tuple]:
    """The messages of one outbox item, read off the app's events only now
    (on the sending thread) and cut into chunks."""
    kind = item[0]
    if kind == "load":
        snapshot = item[1]
        yield ("load",)
        for start in range(0, len(snapshot), CHUNK):
            yield ("events", _values(snapshot[start:start + CHUNK]))
    elif kind == "set":
        _, name, rows, targets = item
        for start in range(0, len(rows), CHUNK * 4):
            part = targets[start:start + CHUNK * 4]
            # C-level reads (an attribute is the field): a Python call an event here
            # made each of the UI thread's calls into Python wait for the lock.
            yield ("set", name, rows[start:start + CHUNK * 4], list(map(operator.attrgetter(name), part)))
    elif kind in ("replace", "insert"):
        _, rows, targets = item
        yield (kind, rows, _values(targets))
    else:
        yield item


class PreviewWorker:
    """The preview computed in a worker process, fed the app's events.

    Call ``reload``, ``changed`` and ``request`` on one thread (the UI
    thread), and ``Request.result`` on another. ``on_crash(message)`` is
    called on a background thread when the worker stops by itself.
    """

    def __init__(self, on_crash: Callable[[str], None] | None = None) -> None:
        self.on_crash = on_crash
        self._link: _Link | None = None
        self._stale = True  # the worker does not hold the app's events: the next request sends them
        self._numbers = itertools.count()

    @property
    def pid(self) -> int | None:
        """The worker's process id (None before it started)."""
        return self._link.pid if self._link is not None else None

    @property
    def alive(self) -> bool:
        return self._link is not None and self._link.dead is None

    def reload(self) -> None:
        """The app's events were replaced (a file opened).

        They go with the next request, a snapshot taken then (a worker is
        started then too, if none runs): sending a million of them, or
        starting a Python, while the window paints them for the first time
        would slow that paint.
        """
        self._stale = True

    def restart(self) -> None:
        """A new worker (the old one, if any, is stopped); it is sent the events with the next request."""
        if self._link is not None:
            self._link.close()
        self._link = _Link(self._crashed)
        self._stale = True

    def changed(self, change: Change, events: Sequence[UsageEvent]) -> None:
        """Forward an edit the store has just applied to ``events``."""
        if self._link is None or self._stale:
            return  # the next request sends the events as they are then
        rows = change.rows if isinstance(change.rows, list) else list(change.rows)  # a command's own: never changed
        if change.kind == "context":
            return  # the context goes with every request
        if change.kind == "fields" and rows and change.field is not None and change.field in UsageEvent.model_fields:
            self._link.post(("set", change.field, rows, list(map(events.__getitem__, rows))))
        elif change.kind == "fields" and rows:
            self._link.post(("replace", rows, list(map(events.__getitem__, rows))))
        elif change.kind == "inserted" and rows:
            self._link.post(("insert", rows, list(map(events.__getitem__, rows))))
        elif change.kind == "removed" and rows:
            self._link.post(("remove", rows))
        else:
            # Fields of unknown rows (merged from a Cozy, a save), or a kind of change
            # this does not know: send them all again.
            self._stale = True

    def request(self, events: Sequence[UsageEvent], context: UserContext, first: date, last: date | None = None,
                ignore_monthly_date_protection: bool = False) -> Request:
        """Ask for the preview of ``events`` as they are now."""
        if self._link is None or self._link.dead is not None:
            self.restart()
        link = self._link
        assert link is not None
        if self._stale:
            link.post(("load", list(events)))
            self._stale = False
        request = Request(self, link, next(self._numbers))
        link.add(request)
        link.post(("preview", request.number, len(events), context, first, last, ignore_monthly_date_protection))
        return request

    def close(self) -> None:
        if self._link is not None:
            self._link.close()
            self._link = None

    def _crashed(self, link: _Link, message: str) -> None:
        if link is self._link and self.on_crash is not None:
            self.on_crash(message)


class InlinePreviewer:
    """``PreviewWorker``'s interface computing in the calling thread (for tests)."""

    on_crash: Callable[[str], None] | None = None
    pid = None
    alive = True

    def reload(self) -> None:
        pass

    def restart(self) -> None:
        pass

    def changed(self, change: Change, events: Sequence[UsageEvent]) -> None:
        pass

    def request(self, events: Sequence[UsageEvent], context: UserContext, first: date, last: date | None = None,
                ignore_monthly_date_protection: bool = False) -> "_InlineRequest":
        return _InlineRequest(list(events), context, first, last, ignore_monthly_date_protection)

    def close(self) -> None:
        pass


class _InlineRequest:
    def __init__(self, events: list[UsageEvent], context: UserContext, first: date, last: date | None,
                 ignore: bool) -> None:
        self.args = (events, context, first, last, ignore)

    def result(self, progress: Progress | None = None, cancelled: Callable[[], bool] | None = None) -> Preview:
        return compute_preview(*self.args, progress, cancelled)
