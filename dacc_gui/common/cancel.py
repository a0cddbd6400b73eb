"""The one exception long work raises when the user cancels it.

Loading, simulating nights, reading a Cozy and sending indicators all check a
``cancelled()`` callback and raise this, so the app's task runner has one
thing to catch.

``release`` empties what cancelled work had built, a slice at a time: freeing
a million parsed documents in one go takes Python's lock for half a second,
which the window would wait for before it could say "cancelled".
"""

from __future__ import annotations

from collections.abc import MutableSequence
from typing import Any

RELEASE_STEP = 5_000  # objects freed between two chances for other threads to run


class Cancelled(Exception):
    """The user cancelled a long piece of work."""


def release(*lists: MutableSequence[Any]) -> None:
    """Empty these lists from the end, a slice at a time (see the module doc)."""
    for items in lists:
        while items:
            del items[-RELEASE_STEP:]
