"""Moving usage events in time by whole days, each date kept in its own written style.

Used to bring the bundled sample (and generated users) to end yesterday, so
that tonight's preview has something to take.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from dacc_gui.events.context import UserContext
from dacc_gui.events.eventset import EventSet
from dacc_gui.events.model import UsageEvent, parse_event_date, rewrite_event_date


def shift_event(event: UsageEvent, delta: timedelta) -> UsageEvent:
    """The event with ``eventDate`` and ``startDate`` moved by ``delta``,
    each written in its own style; unparseable dates are left as they are."""
    changes: dict[str, Any] = {}
    moment = event.moment
    if moment is not None:
        changes["eventDate"] = rewrite_event_date(event.eventDate, moment + delta)
    started = parse_event_date(event.startDate)
    if started is not None:
        changes["startDate"] = rewrite_event_date(event.startDate, started + delta)
    return event.copy_with(**changes) if changes else event


def last_day(events: Sequence[UsageEvent]) -> date | None:
    days = [d for d in (e.day for e in events) if d is not None]
    return max(days) if days else None


def rebase(events: Sequence[UsageEvent], last: date) -> list[UsageEvent]:
    """The events moved by whole days so that the last event day is ``last``.

    Times of day and the written style are kept (``rewrite_event_date``);
    an event whose date does not parse is left as it is.
    """
    current = last_day(events)
    if current is None:
        return list(events)
    delta = timedelta(days=(last - current).days)
    return [shift_event(e, delta) for e in events]


def rebase_event_set(event_set: EventSet, last: date) -> EventSet:
    """The set rebased (see ``rebase``), its context moved along: the first
    connection date by the same days, monthly consumptions by as many months
    as the last day moved."""
    current = last_day(event_set.events)
    if current is None:
        return event_set
    events = rebase(event_set.events, last)
    context = event_set.context
    if context is not None:
        context = _shift_context(context, timedelta(days=(last - current).days),
                                 (last.year - current.year) * 12 + last.month - current.month)
    return EventSet(events=events, context=context, shape=event_set.shape, doctype=event_set.doctype,
                    rejected=list(event_set.rejected), extra=dict(event_set.extra), source=event_set.source)


def _shift_context(context: UserContext, delta: timedelta, months: int) -> UserContext:
    changes: dict[str, Any] = {}
    first = context.first_connection()
    if first is not None:
        changes["firstConnectionDate"] = rewrite_event_date(context.firstConnectionDate, first + delta)
    if months:
        changes["monthlyConsumption"] = {
            fluid: {_shift_month(m, months): v for m, v in per_month.items()}
            for fluid, per_month in context.monthlyConsumption.items()
        }
    return context.model_copy(update=changes)


def _shift_month(key: str, months: int) -> str:
    try:
        year, month = (int(p) for p in key.split("-"))
    except ValueError:
        return key
    n = year * 12 + month - 1 + months
    return f"{n // 12:04d}-{n % 12 + 1:02d}"
