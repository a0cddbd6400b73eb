"""Edits of a set of usage events, as commands with ``do`` and ``undo`` (Qt-free).

Every change a user makes to events or to the user context is one command
object: the desktop app wraps each in a ``QUndoCommand`` so that the Edit
menu can undo it, and a test can drive the same commands without Qt.

Commands work on an ``EventStore``. Field edits change the events in place
(a million events cannot be copied for every edit) and remember the old
values; rows are source indices into ``EventStore.events``. Building a
command (computing new dates for 100,000 events) is a pure function of the
events and may run off the UI thread; applying it is cheap.

The store also remembers which fields of which events were edited since the
last save, so the app can mark them.
"""

from __future__ import annotations

import itertools
import operator
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dacc_gui.events.context import UserContext
from dacc_gui.events.model import (
    UsageEvent, date_unreadable_reason, fields_sets_lacking, format_event_date, parse_event_date, replace_event_day,
    rewrite_event_date, write_field,
)

# The fields a user may edit in a table cell.
EDITABLE_FIELDS = ("type", "eventDate", "target", "context", "result", "startDate", "aggregated")
WHOLE_ROW = "*"  # the mark of an added event
UNITS = ("days", "hours", "minutes")
MINUS = "\u2212"  # the minus sign labels use ("by −1 day")


# --------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------
class EventStore:
    """The events being edited, their user context, and what changed since saving."""

    def __init__(self, events: Iterable[UsageEvent] = (), context: UserContext | None = None) -> None:
        self.events: list[UsageEvent] = list(events)
        self.context = context
        self.version = 0  # bumps on every change
        self.structure_version = 0  # bumps when rows are added or removed
        # One entry per applied edit since the last save: (field, ids of the
        # events, the events). Built and dropped with C-level calls only, since
        # an edit may touch a million events on the UI thread; the events are
        # kept alive so that their ids are never reused while marked.
        self._marks: list[tuple[str, set[int], list[UsageEvent]]] = []
        # Ids of every marked event, kept as edits come: the status bar asks
        # after each edit, and a union of every mark's ids costs a pass over all.
        self._edited_ids: set[int] = set()
        self.context_edited = False

    @classmethod
    def taking(cls, events: list[UsageEvent], context: UserContext | None = None) -> EventStore:
        """A store that edits ``events`` itself, not a copy: the caller gives the
        list up. (Copying a million references on the UI thread is 6 ms, and
        ten times that in memory not touched yet.)"""
        store = cls((), context)
        store.events = events
        return store

    def __len__(self) -> int:
        return len(self.events)

    # --- marks ---------------------------------------------------------------
    def edited_fields(self, event: UsageEvent) -> dict[str, int] | None:
        """The fields of ``event`` edited since the last save (with how many edits), or None."""
        key = id(event)
        out: dict[str, int] = {}
        for name, ids, _events in self._marks:
            if key in ids:
                out[name] = out.get(name, 0) + 1
        return out or None

    @property
    def edited_count(self) -> int:
        """How many events carry an edit not saved yet."""
        return len(self._edited_ids)

    def mark_saved(self) -> None:
        self._marks.clear()
        self._edited_ids = set()
        self.context_edited = False

    def unmark(self, events: list[UsageEvent], fields: tuple[str, ...]) -> None:
        """Forget the marks of these fields on these events (written elsewhere, e.g. to a Cozy)."""
        ids = set(map(id, events))
        if not ids:
            return
        for name, marked, _events in self._marks:
            if name in fields:
                marked -= ids
        self._edited_ids = set().union(*(marked for _n, marked, _e in self._marks))

    @property
    def has_marks(self) -> bool:
        """Some event carries an edit not saved yet."""
        return bool(self._edited_ids)

    def _mark(self, name: str, events: list[UsageEvent], ids: set[int] | None = None) -> tuple:
        entry = (name, ids if ids is not None else set(map(id, events)), events)
        self._marks.append(entry)
        self._edited_ids.update(entry[1])
        return entry

    def _unmark(self, entry: tuple | None) -> None:
        # Absent when the store was saved since the edit: nothing to unmark.
        for n, other in enumerate(self._marks):
            if other is entry:
                del self._marks[n]
                self._edited_ids = set().union(*(ids for _n, ids, _e in self._marks))
                return

    def _changed(self, structural: bool = False) -> None:
        self.version += 1
        if structural:
            self.structure_version += 1

    def changed_outside_commands(self) -> None:
        """Values changed in place by something other than a command (a save
        taking the server's revisions): the version moves, so that an edit
        prepared from the old values is prepared again."""
        self._changed()

    # --- lookups ---------------------------------------------------------------
    def index_of_ids(self, ids: Iterable[str]) -> list[int]:
        """Source indices of the events with these ids, in the store's order."""
        wanted = set(ids)
        if not wanted:
            return []
        return [n for n, e in enumerate(self.events) if e.id in wanted]

    def effective_context(self) -> UserContext:
        return self.context if self.context is not None else UserContext()


@dataclass
class Change:
    """What a command changed, so that views can refresh only that."""

    kind: str  # "fields", "inserted", "removed" or "context"
    rows: Sequence[int] = ()  # source indices (after insertion; before removal)
    field: str | None = None


class EditRefused(ValueError):
    """An edit that cannot be made; the message says why, for the user."""


class Command:
    """One user edit: ``do`` then ``undo`` give back the store as it was."""

    label: str = ""
    note: str = ""  # what the edit left alone and why, for the user ("" when nothing)

    def do(self, store: EventStore) -> Change:  # pragma: no cover - interface
        raise NotImplementedError

    def undo(self, store: EventStore) -> Change:  # pragma: no cover - interface
        raise NotImplementedError


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------
class SetField(Command):
    """Set one field of some events to new values (one value per row)."""

    def __init__(self, label: str, name: str, rows: Sequence[int], values: Sequence[Any]) -> None:
        if len(rows) != len(values):
            raise ValueError("one value per row")
        self.label = label
        self.field = name
        self.rows = list(rows)
        self.values = list(values)
        self._old: list[Any] = []
        self._unset: list[set] = []  # fields sets that lacked the field
        self._targets: list[UsageEvent] = []
        self._ids: set[int] = set()
        self._prepared_at = -1
        self._mark: tuple | None = None

    def prepare(self, store: EventStore) -> None:
        """Read what ``do`` needs (old values, ...); may run off the UI thread."""
        version = store.version
        name = self.field
        self._targets = list(map(store.events.__getitem__, self.rows))
        self._old = list(map(operator.attrgetter(name), self._targets))
        self._unset = fields_sets_lacking(self._targets, name)
        self._ids = set(map(id, self._targets))
        self._prepared_at = version

    def do(self, store: EventStore) -> Change:
        # In place, past the event's setattr (no validation, no copy). This
        # runs on the UI thread for up to a million events, so what can be
        # read beforehand is (``prepare``) and the rest are C-level maps.
        if self._prepared_at != store.version:
            self.prepare(store)
        name = self.field
        list(map(write_field, self._targets, itertools.repeat(name), self.values))
        for fs in self._unset:
            fs.add(name)
        self._mark = store._mark(name, self._targets, self._ids)
        store._changed()
        return Change("fields", self.rows, name)

    def undo(self, store: EventStore) -> Change:
        # The stack undoes in order: the store is as ``do`` left it.
        name = self.field
        list(map(write_field, self._targets, itertools.repeat(name), self._old))
        for fs in self._unset:
            fs.discard(name)
        store._unmark(self._mark)
        store._changed()
        self._prepared_at = store.version  # redo starts from this very state
        return Change("fields", self.rows, name)


class InsertEvents(Command):
    """Add events at the end of the store."""

    def __init__(self, label: str, events: Sequence[UsageEvent]) -> None:
        self.label = label
        self.new_events = list(events)
        self._start = 0
        self._mark: tuple | None = None

    def do(self, store: EventStore) -> Change:
        self._start = len(store.events)
        store.events.extend(self.new_events)
        self._mark = store._mark(WHOLE_ROW, self.new_events)
        store._changed(structural=True)
        return Change("inserted", range(self._start, self._start + len(self.new_events)))

    def undo(self, store: EventStore) -> Change:
        rows = range(self._start, self._start + len(self.new_events))
        del store.events[self._start:]
        store._unmark(self._mark)
        store._changed(structural=True)
        return Change("removed", rows)


class DeleteEvents(Command):
    """Remove events; undo puts them back at their place."""

    def __init__(self, label: str, rows: Iterable[int]) -> None:
        self.label = label
        self.rows = sorted(set(rows))
        self._removed: list[UsageEvent] = []

    def do(self, store: EventStore) -> Change:
        events = store.events
        self._removed = [events[r] for r in self.rows]
        gone = set(self.rows)
        store.events[:] = [e for n, e in enumerate(events) if n not in gone]
        store._changed(structural=True)
        return Change("removed", self.rows)

    def undo(self, store: EventStore) -> Change:
        old = store.events
        out: list[UsageEvent] = []
        it = iter(old)
        for row, event in zip(self.rows, self._removed):
            # Rows are sorted, so each goes back after the survivors before it.
            out.extend(itertools.islice(it, row - len(out)))
            out.append(event)
        out.extend(it)
        store.events[:] = out
        store._changed(structural=True)
        return Change("inserted", self.rows)


class SetContext(Command):
    """Replace the user context."""

    def __init__(self, label: str, new: UserContext | None, old: UserContext | None) -> None:
        self.label = label
        self.new = new
        self.old = old
        self._old_edited = False

    def do(self, store: EventStore) -> Change:
        self._old_edited = store.context_edited
        store.context = self.new
        store.context_edited = True
        store._changed()
        return Change("context")

    def undo(self, store: EventStore) -> Change:
        store.context = self.old
        store.context_edited = self._old_edited
        store._changed()
        return Change("context")


# --------------------------------------------------------------------------
# Builders: pure functions of the events that return a command (or None
# when there is nothing to do). They may run off the UI thread.
# --------------------------------------------------------------------------
def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def signed_amount(amount: int, unit: str) -> str:
    """``−1 day``, ``+3 hours``: the amount of a shift, in words."""
    sign = MINUS if amount < 0 else "+"
    word = unit[:-1] if abs(amount) == 1 else unit
    return f"{sign}{abs(amount):,} {word}"


# Why a date edit leaves an event alone, in the words of the message.
NO_DATE = "no eventDate"
UNREADABLE = "an eventDate that cannot be read as a date (YYYY-MM-DD, optionally followed by a time)"
OUT_OF_RANGE = "a new date that would fall outside the years 1 to 9999"


def _why_left(text: Any) -> str:
    if text is None:
        return NO_DATE
    return UNREADABLE if parse_event_date(text) is None else OUT_OF_RANGE


def left_alone_note(events: Sequence[UsageEvent], left: Sequence[int]) -> str:
    """How many events a date edit left as they were, and why (one sentence per reason)."""
    by_reason: dict[str, list[int]] = {}
    for row in left:
        by_reason.setdefault(_why_left(events[row].eventDate), []).append(row)
    sentences = []
    for reason, rows in by_reason.items():
        were = "it was" if len(rows) == 1 else "they were"
        sentence = f"{plural(len(rows), 'event')} left as {were}: {reason}"
        if reason != NO_DATE:
            shown = ", ".join(repr(events[r].eventDate) for r in rows[:3])
            sentence += f" ({shown}{', …' if len(rows) > 3 else ''})"
        sentences.append(sentence + ".")
    return " ".join(sentences)


def _refuse_or(command: SetField | None, events: Sequence[UsageEvent], left: list[int]) -> SetField | None:
    """The command with its note; when every event was left alone, the refusal with the reason."""
    note = left_alone_note(events, left) if left else ""
    if command is None:
        if note:
            raise EditRefused(f"Nothing changed: {note[0].lower()}{note[1:]}")
        return None
    command.note = note
    return command


def shifted_date_text(text: Any, delta: timedelta, _day_cache: dict | None = None) -> str | None:
    """``text`` moved by ``delta``, written in its own style; None if it is not
    a date the rules can read (or the new one would leave the calendar)."""
    moment = parse_event_date(text)
    if moment is None:
        return None
    if delta.seconds == 0 and delta.microseconds == 0:
        # Whole days: only the date part changes, every other character is
        # kept (dates repeat a lot: the new date of each is computed once).
        cache = _day_cache if _day_cache is not None else {}
        old_day = moment.date()
        new_day = cache.get(old_day)
        if new_day is None:
            try:
                new_day = cache[old_day] = old_day + delta
            except OverflowError:
                return None
        if len(text) == 24 and text[10] == "T" and text[4] == "-":  # Ecolyo's own style: the date leads
            return new_day.isoformat() + text[10:]
        return replace_event_day(text, new_day)
    try:
        moved = moment + delta
    except OverflowError:
        return None
    return rewrite_event_date(text, moved)


def shift_dates(events: Sequence[UsageEvent], rows: Sequence[int], amount: int, unit: str) -> SetField | None:
    """Shift the ``eventDate`` of some events by ``amount`` days, hours or minutes.

    Events whose date cannot be read are left as they are (not counted in the
    label); the command's ``note`` says how many and why. When every event
    is left alone, ``EditRefused`` says why.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}")
    if amount == 0:
        return None
    delta = timedelta(**{unit: amount})
    cache: dict[date, date] = {}
    kept_rows, values, left = [], [], []
    for row in rows:
        new = shifted_date_text(events[row].eventDate, delta, cache)
        if new is None:
            left.append(row)
        else:
            kept_rows.append(row)
            values.append(new)
    command = None
    if kept_rows:
        label = f"Shift {plural(len(kept_rows), 'event')} by {signed_amount(amount, unit)}"
        command = SetField(label, "eventDate", kept_rows, values)
    return _refuse_or(command, events, left)


def move_to_day(events: Sequence[UsageEvent], rows: Sequence[int], day: date, label: str | None = None) -> SetField | None:
    """Move events to ``day``, each keeping its time of day and its written style.

    The date is found by reading the value as the rules do, never at a fixed
    place; events whose date cannot be read are left as they are (the
    command's ``note``, or ``EditRefused`` when none could move).
    """
    kept_rows, values, left = [], [], []
    for row in rows:
        text = events[row].eventDate
        moment = parse_event_date(text)
        if moment is None:
            left.append(row)
            continue
        if moment.date() == day:
            continue
        values.append(replace_event_day(text, day))
        kept_rows.append(row)
    command = None
    if kept_rows:
        label = label or f"Move {plural(len(kept_rows), 'event')} to {day.isoformat()}"
        command = SetField(label.format(n=plural(len(kept_rows), "event")), "eventDate", kept_rows, values)
    return _refuse_or(command, events, left)


def move_to_yesterday(events: Sequence[UsageEvent], rows: Sequence[int], today: date) -> SetField | None:
    """The Ecolyo page's recipe: today's clicks become yesterday's, so tonight's run takes them."""
    day = today - timedelta(days=1)
    return move_to_day(events, rows, day, label=f"Move {{n}} to yesterday ({day.isoformat()})")


def set_event_date(events: Sequence[UsageEvent], row: int, moment: datetime) -> SetField | None:
    """Set one event's ``eventDate``, written in the style of its old value.

    Refused (``EditRefused``, with the reason) when the old value cannot be
    read: its style is unknown, and what is there is kept for the user to see.
    """
    event = events[row]
    why = date_unreadable_reason(event.eventDate)
    if why is not None:
        raise EditRefused(f"The eventDate of {describe(event, row)} was left as it is: {why}.")
    new = rewrite_event_date(event.eventDate, moment)
    if new == event.eventDate:
        return None
    return SetField(f"Set eventDate of {describe(event, row)} to {new.strip()}", "eventDate", [row], [new])


def set_field(events: Sequence[UsageEvent], row: int, name: str, value: Any) -> SetField | None:
    """Set one cell (type, target, context, result, startDate, aggregated)."""
    if name not in EDITABLE_FIELDS:
        raise ValueError(f"{name} cannot be edited")
    event = events[row]
    if name == "eventDate" and isinstance(value, datetime):
        return set_event_date(events, row, value)
    if name == "aggregated":
        value = bool(value)
    elif value == "" and name != "type":
        value = None  # an emptied cell is an absent value
    if getattr(event, name) == value:
        return None
    shown = "empty" if value is None else repr(value) if not isinstance(value, bool) else str(value).lower()
    return SetField(f"Set {name} of {describe(event, row)} to {shown}", name, [row], [value])


def toggle_aggregated(events: Sequence[UsageEvent], rows: Sequence[int]) -> SetField | None:
    rows = list(rows)
    if not rows:
        return None
    values = [not events[r].aggregated for r in rows]
    return SetField(f"Toggle aggregated of {plural(len(rows), 'event')}", "aggregated", rows, values)


def mark_aggregated(events: Sequence[UsageEvent], rows: Sequence[int], what: str) -> SetField | None:
    """Set ``aggregated`` on the events a run took (those not set yet)."""
    rows = [r for r in rows if not events[r].aggregated]
    if not rows:
        return None
    return SetField(f"Mark {plural(len(rows), 'event')} aggregated ({what})", "aggregated", rows, [True] * len(rows))


def describe(event: UsageEvent, row: int) -> str:
    return f"event {event.id}" if event.id else f"event #{row + 1}"


def unique_id(base: str, taken: set[str]) -> str:
    for n in itertools.count(1):
        candidate = f"{base}-copy{n if n > 1 else ''}"
        if candidate not in taken:
            taken.add(candidate)
            return candidate
    raise AssertionError("unreachable")


def duplicate_events(events: Sequence[UsageEvent], rows: Sequence[int]) -> InsertEvents | None:
    """Copies of some events, with new ids and no ``_rev`` (they are new documents)."""
    rows = list(rows)
    if not rows:
        return None
    taken = {e.id for e in events if e.id}
    copies = []
    for row in rows:
        doc = events[row].to_document()
        doc.pop("_rev", None)
        doc["_id"] = unique_id(events[row].id or "event", taken)
        copies.append(UsageEvent.from_document(doc))
    return InsertEvents(f"Duplicate {plural(len(rows), 'event')}", copies)


def new_event(moment: datetime, type: str = "NavigationEvent", **fields: Any) -> InsertEvents:
    """One new event at ``moment`` (other fields given as keyword arguments)."""
    doc: dict[str, Any] = {"_id": f"new-{uuid.uuid4().hex[:12]}", "type": type, "eventDate": format_event_date(moment)}
    for key in ("target", "context", "result", "startDate"):
        if fields.get(key) not in (None, ""):
            doc[key] = fields[key]
    doc["aggregated"] = bool(fields.get("aggregated", False))
    event = UsageEvent.from_document(doc)
    return InsertEvents(f"Add {type} on {moment:%Y-%m-%d %H:%M}", [event])


def delete_events(rows: Sequence[int]) -> DeleteEvents | None:
    rows = sorted(set(rows))
    if not rows:
        return None
    return DeleteEvents(f"Delete {plural(len(rows), 'event')}", rows)


def set_context(old: UserContext | None, new: UserContext) -> SetContext | None:
    if old == new:
        return None
    return SetContext("Edit the user context", new, old)
