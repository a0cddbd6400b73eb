"""The DACC's checks of a preview, in a process of their own beside the worker.

A preview of a million events makes tens of thousands of indicators, and
checking them as the DACC would takes about as long as the rules that made
them. The preview's worker hands them to a checker process a piece at a
time as the rules give them (``compute_preview``'s ``checker``), so both run
at once on two cores. The checker holds no events: only what it is sent.

A checker that stops costs no preview: the worker checks the rest itself,
and starts another checker for the next preview.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor

log = logging.getLogger(__name__)

WATCH_S = 1.0  # how often the checker looks whether its worker is still there


def start_checker() -> Executor | None:
    """A checker process, started now (it imports the checks while the worker
    waits for its first request); None when none can start."""
    try:
        checker = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                      initializer=_begin, initargs=(os.getpid(),))
        checker.submit(_ready)
    except Exception:  # noqa: BLE001 - the worker checks by itself then
        log.warning("The preview's checker process could not start", exc_info=True)
        return None
    return checker


def usable(checker: Executor | None) -> Executor | None:
    """``checker`` if it still takes work, else a new one (or None)."""
    if checker is not None:
        try:
            checker.submit(_ready)
            return checker
        except Exception:  # noqa: BLE001 - BrokenProcessPool: it died (killed, out of memory)
            log.warning("The preview's checker process stopped; starting another")
            checker.shutdown(wait=False, cancel_futures=True)
    return start_checker()


def _begin(worker: int) -> None:
    from dacc_gui.dacc.measures import load_catalog

    load_catalog()  # read once, before the first piece
    # A worker killed leaves its checker waiting on a queue it also holds the
    # other end of: it would wait forever. It goes when its worker is gone.
    threading.Thread(target=_watch, args=(worker,), name="checker-watch", daemon=True).start()


def _watch(worker: int) -> None:
    while os.getppid() == worker:
        time.sleep(WATCH_S)
    os._exit(0)


def _ready() -> bool:
    return True
