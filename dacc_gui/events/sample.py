"""The bundled sample: a few weeks of one user's usage, moved to end yesterday.

Qt-free. The sample ships in ``dacc_gui/events/sample.json``; opening it
rebases its dates so that the newest day is yesterday, so that tonight's
preview (run date today) has something to take.
"""

from __future__ import annotations

from datetime import date, timedelta
from importlib import resources

from dacc_gui.events.model import parse_event_date, rewrite_event_date
from dacc_gui.events.eventset import EventSet
from dacc_gui.events.loader import LoadError, parse_events

SAMPLE = "sample.json"


def sample_text() -> str:
    ref = resources.files("dacc_gui.events").joinpath(SAMPLE)
    if not ref.is_file():
        raise LoadError("The bundled sample (dacc_gui/events/sample.json) is missing from this installation.")
    return ref.read_text("utf-8")


def load_sample(today: date | None = None, progress=None, cancelled=None) -> EventSet:
    """The sample's events, rebased to end the day before ``today``."""
    event_set = parse_events(sample_text(), progress=progress, cancelled=cancelled, name="the bundled sample")
    event_set.source = "bundled sample"
    yesterday = (today or date.today()) - timedelta(days=1)
    return rebase(event_set, yesterday)


def rebase(event_set: EventSet, last: date) -> EventSet:
    """``event_set`` moved by whole days so that its newest event day is ``last``."""
    try:
        from dacc_gui.simulation.generator import rebase_event_set  # moves the context's dates too
    except ImportError:
        rebase_event_set = None
    if rebase_event_set is not None:
        rebased = rebase_event_set(event_set, last)
        rebased.source = event_set.source
        return rebased
    days = [m.date() for m in (parse_event_date(e.eventDate) for e in event_set.events) if m]
    if not days:
        return event_set
    delta = timedelta(days=(last - max(days)).days)
    events = []
    for event in event_set.events:
        changes = {}
        for name in ("eventDate", "startDate"):
            moment = parse_event_date(getattr(event, name))
            if moment is not None:
                changes[name] = rewrite_event_date(getattr(event, name), moment + delta)
        events.append(event.copy_with(**changes) if changes else event)
    event_set.events = events
    return event_set
