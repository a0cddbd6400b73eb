"""Events indexed once for the rules: parsed times, pending events by day,
and the few facts of the whole history that the rules look up.

Built once per computation, so a range of nights costs about one pass over
the events, never a rescan per night.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from operator import attrgetter

from dacc_gui.common.cancel import Cancelled
from dacc_gui.events.model import KNOWN_TYPES, UsageEvent, event_id, parse_event_date
from dacc_gui.rules import event_types as T

FIRST_CONNECTION = "firstConnection"
# The types whose already aggregated events still count (the monthly part's
# history, the first connection and the first challenge).
HISTORY_TYPES = frozenset((T.CONNECTION, T.CHALLENGE_LAUNCH, T.PROFILE_SET, T.REPORT_FROM, T.KONNECTOR_ATTEMPT))


@dataclass(slots=True)
class Entry:
    """A usable event: its position in the input, its id, and its time as written."""

    index: int
    event: UsageEvent
    moment: datetime
    id: str

    @property
    def day(self) -> date:
        return self.moment.date()


@dataclass(slots=True)
class Flagged:
    """A pending event no rule may use (unknown type, bad date)."""

    index: int
    id: str
    reason: str
    day: date | None  # None: the date does not parse, so no night ever takes it


class Timeline:
    """What the nightly runs need to know about a list of events."""

    def __init__(self, events: list[UsageEvent], cancelled: Callable[[], bool] | None = None) -> None:
        self.events = events
        self.pending_by_day: dict[date, list[Entry]] = defaultdict(list)
        self.flagged_pending: list[Flagged] = []
        self.first_challenge: Entry | None = None
        self.first_connection: Entry | None = None
        # History used by the monthly part (aggregated events included), by time.
        self.connections: list[Entry] = []
        self.profiles: list[Entry] = []
        self.reports: list[Entry] = []
        self.attempts: dict[str, list[Entry]] = {}
        self.attempts_without_slug: list[Entry] = []

        attempts: dict[str, list[Entry]] = defaultdict(list)
        pending = self.pending_by_day
        # One pass over a million events: the loop's body is kept to what each needs.
        for index, event in enumerate(events):
            if cancelled is not None and index % 65536 == 0 and cancelled():
                raise Cancelled()
            etype = event.type
            aggregated = event.aggregated
            if aggregated and etype not in HISTORY_TYPES:
                continue  # sent already, and no rule looks back at its type: not even parsed
            moment = parse_event_date(event.eventDate) if etype in KNOWN_TYPES else None
            if moment is None:
                if not aggregated:
                    problem = event.problem() or "unusable event"
                    day = event.day if etype not in KNOWN_TYPES else None
                    self.flagged_pending.append(Flagged(index, event_id(event, index), problem, day))
                continue
            entry = Entry(index, event, moment, event_id(event, index))
            if not aggregated:
                pending[moment.date()].append(entry)
            if etype in HISTORY_TYPES:
                self._note_history(entry, etype, attempts)
        # By time; equal times keep the input order: every list was filled in
        # that order and the sort is stable (by time alone: a third faster than
        # by (time, index) tuples).
        for entries in pending.values():
            entries.sort(key=_moment)
        for slug, entries in attempts.items():
            entries.sort(key=_moment)
            self.attempts[slug] = entries
        for history in (self.connections, self.profiles, self.reports):
            history.sort(key=_moment)
        self.days = sorted(self.pending_by_day)

    def _note_history(self, entry: Entry, etype: str, attempts: dict[str, list[Entry]]) -> None:
        if etype == T.CONNECTION:
            self.connections.append(entry)
            if entry.event.result == FIRST_CONNECTION and _earlier(entry, self.first_connection):
                self.first_connection = entry
        elif etype == T.CHALLENGE_LAUNCH:
            if _earlier(entry, self.first_challenge):
                self.first_challenge = entry
        elif etype == T.PROFILE_SET:
            self.profiles.append(entry)
        elif etype == T.REPORT_FROM:
            self.reports.append(entry)
        elif etype == T.KONNECTOR_ATTEMPT:
            slug = entry.event.target
            if isinstance(slug, str) and slug:
                attempts[slug].append(entry)
            else:
                self.attempts_without_slug.append(entry)

    @staticmethod
    def between(history: list[Entry], first: date | None, last: date) -> list[Entry]:
        """The entries of a time-sorted history whose day is in [first, last]."""
        lo = 0 if first is None else bisect_left(history, first, key=lambda e: e.moment.date())
        hi = bisect_right(history, last, key=lambda e: e.moment.date())
        return history[lo:hi]

    def days_before(self, run_date: date) -> list[date]:
        """Pending days strictly before the run date, oldest first."""
        return self.days[: bisect_left(self.days, run_date)]


_order = attrgetter("moment", "index")  # which of two entries comes first
_moment = attrgetter("moment")  # a C-level key, for sorts of a million entries


def _earlier(entry: Entry, current: Entry | None) -> bool:
    return current is None or _order(entry) < _order(current)


__all__ = ["Entry", "Flagged", "Timeline", "event_id"]
