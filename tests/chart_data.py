"""Nightly run results built by hand for the chart tests and the screenshot.

Shaped like ``dacc_gui.rules.RunResult`` as far as the charts care: a run date
and a list of ``Indicator``s.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from dacc_gui.rules.indicators import Indicator


@dataclass
class FakeRun:
    run_date: dt.date
    indicators: list[Indicator] = field(default_factory=list)


def ind(measure: str, day: str, value, *groups) -> Indicator:
    padded = tuple(groups) + (None,) * (3 - len(groups))
    return Indicator(measureName=measure, startDate=day, value=value, groups=padded)


def sample_runs(first: dt.date = dt.date(2022, 3, 1), nights: int = 14, seed: int = 7) -> list[FakeRun]:
    """A fortnight of plausible nights: connections, pages, sessions, durations."""
    rnd = random.Random(seed)
    runs = []
    for n in range(nights):
        run_date = first + dt.timedelta(days=n + 1)
        day = (run_date - dt.timedelta(days=1)).isoformat()
        run = FakeRun(run_date)
        if n % 6 == 5:  # a quiet day: the user did not open the app
            run.indicators.append(ind("konnector-connected-daily", day, 1, ("categories", "electricity:gas")))
            runs.append(run)
            continue
        for device, mean in (("mobile", 3), ("desktop", 1)):
            count = max(0, int(rnd.gauss(mean, 1)))
            if count:
                run.indicators.append(ind("connection-count-daily", day, count, ("device", device)))
        for page in ("consumption", "challenges", "ecogestures"):
            if rnd.random() < 0.7:
                run.indicators.append(ind("navigation-count-daily", day, rnd.randint(1, 6), ("page", page)))
        for _ in range(rnd.randint(1, 4)):
            pages = rnd.choice(["1", "2", "4"])
            run.indicators.append(
                ind("session-duration", day, rnd.randint(20, 900),
                    ("number_pages", pages), ("session_type", "any"))
            )
        if rnd.random() < 0.5:
            run.indicators.append(
                ind("event-duration", day, rnd.randint(60, 3600),
                    ("start_event", "start_quiz"), ("end_event", "end_quiz"),
                    ("params", "QUIZ001:CHALLENGE0001"))
            )
        run.indicators.append(ind("konnector-connected-daily", day, 1, ("categories", "electricity:gas")))
        runs.append(run)
    return runs
