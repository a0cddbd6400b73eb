"""Sorting and filtering a million events without Qt (runs off the UI thread).

The events table shows a permutation of the store's rows (``numpy`` array
of source indices) computed here from key lists, because a sort proxy that
calls back into Python for every comparison is far too slow at this size.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from dacc_gui.events.model import KNOWN_TYPES, UsageEvent
from dacc_gui.common.cancel import Cancelled

COLUMNS = ("type", "eventDate", "target", "context", "result", "startDate", "aggregated", "id")
STEP = 50_000  # rows between progress reports / cancel checks


@dataclass(frozen=True)
class EventFilter:
    """What the events table shows; an empty filter shows everything."""

    types: frozenset[str] = field(default_factory=frozenset)
    flagged_only: bool = False
    date_from: date | None = None
    date_to: date | None = None
    aggregated: bool | None = None
    text: str = ""

    def is_empty(self) -> bool:
        return (not self.types and not self.flagged_only and self.date_from is None
                and self.date_to is None and self.aggregated is None and not self.text.strip())


def sort_keys(events: Sequence[UsageEvent], column: str) -> list:
    """One comparable key per event for ``column``."""
    if column == "eventDate" or column == "startDate":
        # ISO text sorts by time once 'T' and ' ' separators are made alike;
        # missing or non-text values sort first.
        return [v[:10] + v[11:] if isinstance(v, str) else "" for v in map(operator.attrgetter(column), events)]
    if column == "aggregated":
        return [e.aggregated for e in events]
    if column == "id":
        return [e.id or "" for e in events]
    return [v if isinstance(v, str) else ("" if v is None else str(v)) for v in map(operator.attrgetter(column), events)]


def _flagged(event: UsageEvent) -> bool:
    return event.problem() is not None


def make_predicate(flt: EventFilter) -> Callable[[UsageEvent], bool] | None:
    """A test for one event, or None when the filter keeps everything."""
    if flt.is_empty():
        return None
    tests: list[Callable[[UsageEvent], bool]] = []
    if flt.types:
        types = flt.types
        tests.append(lambda e: e.type in types)
    if flt.flagged_only:
        tests.append(lambda e: e.type not in KNOWN_TYPES or e.problem() is not None)
    if flt.date_from is not None or flt.date_to is not None:
        lo = flt.date_from.isoformat() if flt.date_from else "0000-00-00"
        hi = flt.date_to.isoformat() if flt.date_to else "9999-99-99"

        def in_range(e: UsageEvent) -> bool:
            v = e.eventDate
            return isinstance(v, str) and lo <= v[:10] <= hi and v[:4].isdigit()

        tests.append(in_range)
    if flt.aggregated is not None:
        want = flt.aggregated
        tests.append(lambda e: bool(e.aggregated) is want)
    words = flt.text.strip().lower().split()
    if words:
        searched = operator.attrgetter("id", "type", "eventDate", "target", "context", "result", "startDate")

        def has_text(e: UsageEvent) -> bool:
            hay = " ".join(str(v) for v in searched(e) if v is not None).lower()
            return all(w in hay for w in words)

        tests.append(has_text)
    if len(tests) == 1:
        return tests[0]

    def every(e: UsageEvent) -> bool:
        for test in tests:  # cheapest first, stops at the first miss
            if not test(e):
                return False
        return True

    return every


def view_rows(
    events: Sequence[UsageEvent],
    sort_column: str | None = None,
    descending: bool = False,
    flt: EventFilter | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> np.ndarray:
    """Source indices of the rows to show, sorted and filtered."""
    n = len(events)
    predicate = make_predicate(flt or EventFilter())
    if predicate is not None:
        kept: list[int] = []
        for start in range(0, n, STEP):
            _check(cancelled)
            if progress:
                progress(start, n)
            kept.extend(i for i in range(start, min(n, start + STEP)) if predicate(events[i]))
        rows = np.array(kept, dtype=np.int64)
    else:
        rows = np.arange(n, dtype=np.int64)
    if sort_column is None:
        return rows
    keys = sort_keys(events if predicate is None else [events[i] for i in kept], sort_column)
    _check(cancelled)
    return rows[argsort(keys, descending)]


def argsort(keys: list, descending: bool = False) -> np.ndarray:
    """A stable sort order of ``keys`` (ties keep their order both ways).

    numpy sorts without holding Python's lock, so the UI thread keeps
    running; ``sorted()`` would hold it for the whole sort. The keys become an
    array in chunks, for the same reason.
    """
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    chunks = [np.asarray(keys[i:i + STEP]) for i in range(0, n, STEP)]
    array = np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
    if not descending:
        return np.argsort(array, kind="stable")
    return (n - 1 - np.argsort(array[::-1], kind="stable"))[::-1]


def _check(cancelled: Callable[[], bool] | None) -> None:
    if cancelled is not None and cancelled():
        raise Cancelled()
