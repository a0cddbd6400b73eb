"""Pausing Python's cyclic garbage collector while millions of objects are made.

Loading, saving and marking edits on a million events create millions of
objects and no garbage cycles; the cyclic collector, which runs again and
again as objects pile up and goes over every live container each time it
reaches the oldest generation, would take a third to a half of the time.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """The collector paused for the block (or, as a decorator, the call).
    Nested uses leave it paused until the outermost one ends; one that was
    off stays off."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def keep_all() -> None:
    """Everything alive now taken out of the collector's reach (``gc.freeze``).

    For containers made by the hundred thousand that live on (the fields
    sets an edit of 100,000 events adds): the next collection would walk
    them all, holding Python's lock for tens of ms, the UI thread's too.
    What is kept is still freed by reference counting; only a cycle among
    it would never be, and these are not in cycles.
    """
    gc.freeze()
