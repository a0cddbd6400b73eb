"""Events indexed once for the rules: parsed times, pending events by day,
and the few facts of the whole history that the rules look up.

Built once per computation, so a range of nights costs about one pass over
the events, never a rescan per night. The preview's worker keeps one from a
preview to the next and updates it with the rows edited since: a
shift of a tenth of a million events files that tenth again, not the million.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable
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
# The histories kept in time order (equal times: input order).
HISTORIES = ("connections", "launches", "profiles", "reports")


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


class _Filing:
    """Entries of some events, filed by what the rules look up, in input order."""

    def __init__(self) -> None:
        self.pending: dict[date, list[Entry]] = defaultdict(list)
        self.flagged: list[Flagged] = []
        self.connections: list[Entry] = []
        self.launches: list[Entry] = []
        self.profiles: list[Entry] = []
        self.reports: list[Entry] = []
        self.attempts: dict[str, list[Entry]] = defaultdict(list)
        self.attempts_without_slug: list[Entry] = []

    def file(self, indexed: Iterable[tuple[int, UsageEvent]], cancelled: Callable[[], bool] | None) -> None:
        pending, flagged = self.pending, self.flagged
        histories = {T.CONNECTION: self.connections, T.CHALLENGE_LAUNCH: self.launches,
                     T.PROFILE_SET: self.profiles, T.REPORT_FROM: self.reports}
        # One pass over a million events: the loop's body is kept to what each needs.
        for index, event in indexed:
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
                    flagged.append(Flagged(index, event_id(event, index), problem, day))
                continue
            entry = Entry(index, event, moment, event_id(event, index))
            if not aggregated:
                pending[moment.date()].append(entry)
            if etype in HISTORY_TYPES:
                if etype == T.KONNECTOR_ATTEMPT:
                    slug = event.target
                    if isinstance(slug, str) and slug:
                        self.attempts[slug].append(entry)
                    else:
                        self.attempts_without_slug.append(entry)
                else:
                    histories[etype].append(entry)

    def sort(self) -> None:
        """By time; equal times keep the input order: every list was filled in
        that order and the sort is stable (by time alone: a third faster than
        by (time, index) tuples)."""
        for entries in self.pending.values():
            entries.sort(key=_moment)
        for entries in self.attempts.values():
            entries.sort(key=_moment)
        for name in HISTORIES:
            getattr(self, name).sort(key=_moment)


class Timeline:
    """What the nightly runs need to know about a list of events."""

    def __init__(self, events: list[UsageEvent], cancelled: Callable[[], bool] | None = None) -> None:
        self.events = events
        filing = _Filing()
        filing.file(enumerate(events), cancelled)
        filing.sort()
        self.pending_by_day: dict[date, list[Entry]] = filing.pending
        self.flagged_pending: list[Flagged] = filing.flagged
        # History used by the monthly part (aggregated events included), by time.
        self.connections: list[Entry] = filing.connections
        self.launches: list[Entry] = filing.launches
        self.profiles: list[Entry] = filing.profiles
        self.reports: list[Entry] = filing.reports
        self.attempts: dict[str, list[Entry]] = dict(filing.attempts)  # slugs in the order they first appear
        self.attempts_without_slug: list[Entry] = filing.attempts_without_slug  # input order
        self._settle()

    def update(self, rows: Iterable[int]) -> None:
        """The events at ``rows`` were edited (in place, or replaced at the same
        positions): their entries are filed again, every other one stays.

        The result is the timeline a fresh build of the edited events gives.
        Not cancellable: it takes a fraction of a fresh build, and a timeline
        left half updated would be wrong.
        """
        changed = set(rows)
        if not changed:
            return
        events = self.events
        filing = _Filing()
        filing.file(((i, events[i]) for i in sorted(changed)), None)
        filing.sort()  # so that each list below merges two sorted runs

        pending = self.pending_by_day
        for day in list(pending):
            kept = _without(pending[day], changed)
            if kept:
                pending[day] = kept
            else:
                del pending[day]
        for day, added in filing.pending.items():
            pending[day] = _in_time_order(pending.get(day, []) + added)
        for name in HISTORIES:
            setattr(self, name, _in_time_order(_without(getattr(self, name), changed) + getattr(filing, name)))
        attempts = {slug: _without(entries, changed) for slug, entries in self.attempts.items()}
        for slug, added in filing.attempts.items():
            attempts[slug] = _in_time_order(attempts.get(slug, []) + added)
        # Slugs in the order a fresh build finds them: by their first event in the input.
        self.attempts = {slug: attempts[slug] for slug in
                         sorted((s for s in attempts if attempts[s]), key=lambda s: min(e.index for e in attempts[s]))}
        self.attempts_without_slug = sorted(_without(self.attempts_without_slug, changed)
                                            + filing.attempts_without_slug, key=_index)
        self.flagged_pending = sorted(_without(self.flagged_pending, changed) + filing.flagged, key=_index)
        self._settle()

    def _settle(self) -> None:
        """What follows from the lists: the pending days, the first connection and challenge."""
        self.days = sorted(self.pending_by_day)
        self.first_challenge: Entry | None = self.launches[0] if self.launches else None
        self.first_connection: Entry | None = next(
            (e for e in self.connections if e.event.result == FIRST_CONNECTION), None)

    @staticmethod
    def between(history: list[Entry], first: date | None, last: date) -> list[Entry]:
        """The entries of a time-sorted history whose day is in [first, last]."""
        lo = 0 if first is None else bisect_left(history, first, key=lambda e: e.moment.date())
        hi = bisect_right(history, last, key=lambda e: e.moment.date())
        return history[lo:hi]

    def days_before(self, run_date: date) -> list[date]:
        """Pending days strictly before the run date, oldest first."""
        return self.days[: bisect_left(self.days, run_date)]


_order = attrgetter("moment", "index")  # time, then input order
_moment = attrgetter("moment")  # a C-level key, for sorts of a million entries
_index = attrgetter("index")


def _without(items: list, rows: set[int]) -> list:
    return [item for item in items if item.index not in rows]


def _in_time_order(entries: list[Entry]) -> list[Entry]:
    entries.sort(key=_order)
    return entries


__all__ = ["Entry", "Flagged", "Timeline", "event_id"]
