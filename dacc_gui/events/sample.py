"""The bundled sample: a few weeks of one user's usage, moved to end yesterday.

Qt-free. The sample ships in ``dacc_gui/events/sample.json``; opening it
rebases its dates so that the newest day is yesterday, so that tonight's
preview (run date today) has something to take.
"""

from __future__ import annotations

from datetime import date, timedelta
from importlib import resources

from dacc_gui.events.eventset import EventSet
from dacc_gui.events.loader import LoadError, parse_events
from dacc_gui.events.rebase import rebase_event_set

SAMPLE = "sample.json"


def sample_text() -> str:
    ref = resources.files("dacc_gui.events").joinpath(SAMPLE)
    if not ref.is_file():
        raise LoadError("The bundled sample (dacc_gui/events/sample.json) is missing from this installation.")
    return ref.read_text("utf-8")


def read_sample(progress=None, cancelled=None) -> EventSet:
    """The sample's events as shipped."""
    event_set = parse_events(sample_text(), progress=progress, cancelled=cancelled, name="the bundled sample")
    event_set.source = "bundled sample"
    return event_set


def load_sample(today: date | None = None, progress=None, cancelled=None) -> EventSet:
    """The sample's events (and context), rebased to end the day before ``today``."""
    event_set = read_sample(progress, cancelled)
    yesterday = (today or date.today()) - timedelta(days=1)
    rebased = rebase_event_set(event_set, yesterday)
    rebased.source = event_set.source
    return rebased
