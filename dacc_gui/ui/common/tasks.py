"""Running work off the UI thread: the one way the app does it.

``TaskRunner.run(label, work, on_done)`` runs ``work(progress, cancelled)``
on a ``QThreadPool`` and calls ``on_done(result)`` back on the UI thread;
``progress(done, total)`` reports how far it got and ``cancelled()`` tells
the work that the user pressed Cancel. Work never touches widgets.

Tests swap in ``SyncTaskRunner``, which runs the work at once on the calling
thread, so that a test sees the result as soon as ``run`` returns.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from dacc_gui.common.cancel import Cancelled

Progress = Callable[[int, int], None]
Work = Callable[[Progress, Callable[[], bool]], Any]


log = logging.getLogger(__name__)

class TaskFailed(Exception):
    """Raised by work to fail with a message meant for the user."""


class Task(QObject):
    """One piece of background work, seen from the UI thread.

    The worker emits the private ``_*`` signals; they reach this object's
    slots on the UI thread (queued, since the task lives there), which then
    emit the public signals that widgets connect to.
    """

    progressed = Signal(int, int)  # done, total
    done = Signal(object)  # the result
    failed = Signal(object)  # the exception (its traceback in .details)
    cancelled_ = Signal()
    ended = Signal()  # after done, failed or cancelled

    _w_progress = Signal(int, int)
    _w_done = Signal(object)
    _w_failed = Signal(object)
    _w_cancelled = Signal()

    def __init__(self, label: str, cancellable: bool = True, quick_cancel: bool = False) -> None:
        super().__init__()
        self.label = label
        self.cancellable = cancellable
        self.quick_cancel = quick_cancel
        self._cancel = threading.Event()
        self._ended_lock = threading.Lock()
        self._ending_sent = False  # the worker told the UI thread how it ended (once)
        self.details = ""
        self.running = True
        self.quiet = False
        self._w_progress.connect(self._on_progress)
        self._w_done.connect(self._on_done)
        self._w_failed.connect(self._on_failed)
        self._w_cancelled.connect(self._on_cancelled)

    def cancel(self) -> None:
        """Ask the work to stop; it ends with no result."""
        if self.cancellable:
            self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()

    # --- on the worker thread ----------------------------------------------
    def _first_ending(self) -> bool:
        """True for the first way the work ended that the worker reports (the others are dropped)."""
        with self._ended_lock:
            first, self._ending_sent = not self._ending_sent, True
        return first

    def _cancel_seen(self) -> bool:
        """What work asks ("was Cancel pressed?"). With ``quick_cancel`` the UI thread hears of the
        cancel as soon as the work sees it, not once the work has let go of all it built, which can
        take a while (a big load); other work may still record what it did before it ends."""
        if not self._cancel.is_set():
            return False
        if self.quick_cancel and self._first_ending():
            self._w_cancelled.emit()
        return True

    def _run(self, work: Work) -> None:
        try:
            result = work(self._w_progress.emit, self._cancel_seen)
        except Cancelled:
            log.info("%s: cancelled", self.label)
            if self._first_ending():
                self._w_cancelled.emit()
        except BaseException as exc:  # noqa: BLE001 - every failure goes to the UI as a message
            # the traceback reaches the log file when the failure is shown (errors.show_exception)
            log.info("%s: failed (%s: %s)", self.label, type(exc).__name__, exc)
            self.details = traceback.format_exc()
            try:
                exc.details = self.details  # type: ignore[attr-defined]
            except AttributeError:
                pass
            if self._first_ending():
                self._w_failed.emit(exc)
        else:
            if self._first_ending():
                if self.is_cancelled():
                    self._w_cancelled.emit()
                else:
                    self._w_done.emit(result)

    # --- on the UI thread ------------------------------------------------------
    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        self.progressed.emit(done, total)

    @Slot(object)
    def _on_done(self, result: Any) -> None:
        self.done.emit(result)
        self._end()

    @Slot(object)
    def _on_failed(self, exc: BaseException) -> None:
        self.failed.emit(exc)
        self._end()

    @Slot()
    def _on_cancelled(self) -> None:
        self.cancelled_.emit()
        self._end()

    def _end(self) -> None:
        self.running = False
        self.ended.emit()


class _Runnable(QRunnable):
    def __init__(self, task: Task, work: Work) -> None:
        super().__init__()
        self.task = task
        self.work = work
        self.setAutoDelete(True)

    def run(self) -> None:
        self.task._run(self.work)


class TaskRunner(QObject):
    """Starts tasks on a thread pool and tells the window which are running."""

    started = Signal(object)  # Task
    ended = Signal(object)  # Task

    def __init__(self, pool: QThreadPool | None = None) -> None:
        super().__init__()
        self.pool = pool or QThreadPool.globalInstance()
        self.running: list[Task] = []

    def run(
        self,
        label: str,
        work: Work,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_cancel: Callable[[], None] | None = None,
        cancellable: bool = True,
        quiet: bool = False,
        quick_cancel: bool = False,
    ) -> Task:
        """Run ``work`` in the background; callbacks come back on the UI thread.

        ``quiet`` tasks (a debounced recompute) do not show in the status bar. ``quick_cancel``:
        the work keeps nothing once it sees Cancel, so the window may go on at once (see Task).
        """
        task = Task(label, cancellable, quick_cancel)
        task.quiet = quiet
        if on_done is not None:
            task.done.connect(on_done)
        if on_error is not None:
            task.failed.connect(on_error)
        if on_cancel is not None:
            task.cancelled_.connect(on_cancel)
        task.ended.connect(self._on_task_ended)
        self.running.append(task)
        self.started.emit(task)
        self._start(task, work)
        return task

    def _start(self, task: Task, work: Work) -> None:
        self.pool.start(_Runnable(task, work))

    @Slot()
    def _on_task_ended(self) -> None:
        task = self.sender()
        if task in self.running:
            self.running.remove(task)
        self.ended.emit(task)

    def cancel_all(self) -> None:
        for task in list(self.running):
            task.cancel()

    def wait(self, msecs: int = -1) -> bool:
        """Wait for the pool to finish (when closing the window)."""
        return self.pool.waitForDone(msecs)


class SyncTaskRunner(TaskRunner):
    """Runs each task at once on the calling thread (for tests)."""

    def _start(self, task: Task, work: Work) -> None:
        task._run(work)
