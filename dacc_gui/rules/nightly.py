"""The nightly run of Ecolyo's aggregatorUsageEvents service (rulebook section 3).

A run on date R: the consent gate, the daily part for every pending day
before R, ``konnector-connected-daily`` once, the monthly part on the
monthly analysis day (or always, with the date protection off), then the
events taken are marked aggregated. Runs are pure: the events given are
never modified; a result says which ones the run would mark.
"""

from __future__ import annotations

import logging
from operator import attrgetter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dacc_gui.events.context import UserContext
from dacc_gui.events.model import UsageEvent
from dacc_gui.rules.indicators import Indicator
from dacc_gui.rules import catalog as R
from dacc_gui.rules.accumulate import Skipped, SkipList, g
from dacc_gui.rules.daily import compute_day
from dacc_gui.rules.monthly import compute_month
from dacc_gui.common.cancel import Cancelled
from dacc_gui.rules.timeline import Entry, Timeline

Progress = Callable[[int, int], None]


log = logging.getLogger(__name__)
_index = attrgetter("index")
_id = attrgetter("id")


@dataclass
class RunResult:
    """What one night would send, skip and mark aggregated."""

    run_date: date
    indicators: list[Indicator] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    aggregated: list[str] = field(default_factory=list)
    aggregated_indices: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    consent_blocked: bool = False
    monthly_ran: bool = False
    monthly_held_back: bool = False
    monthly_analysis_day: int = 3

    def payloads(self) -> list[dict[str, Any]]:
        return [i.payload() for i in self.indicators]

    def to_json(self) -> dict[str, Any]:
        """One entry of the ``compute`` output."""
        return {
            "runDate": self.run_date.isoformat(),
            "indicators": self.payloads(),
            "skipped": [s.to_json() for s in self.skipped],
            "aggregated": list(self.aggregated),
        }


@dataclass
class NightlyRun:
    """One night's run for a run date and a user context."""

    run_date: date
    context: UserContext = field(default_factory=UserContext)
    ignore_monthly_date_protection: bool = False

    def apply(self, events: list[UsageEvent]) -> RunResult:
        return simulate(events, self.context, self.run_date, self.run_date, self.ignore_monthly_date_protection)[0]


def monthly_due(run_date: date, context: UserContext, ignore_protection: bool) -> bool:
    """The service's date protection: monthly indicators only on the analysis day."""
    return ignore_protection or run_date.day == context.monthlyAnalysisDay


def simulate(
    events: list[UsageEvent],
    context: UserContext | None,
    first: date,
    last: date,
    ignore_monthly_date_protection: bool = False,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    timeline: Timeline | None = None,
) -> list[RunResult]:
    """Nights ``first``..``last`` in order, each seeing the flags the previous
    ones left. Every pending day is computed once over the whole range.

    ``timeline``: one already built of ``events`` (the preview's worker keeps
    one from a preview to the next)."""
    context = context or UserContext()
    if last < first:
        raise ValueError(f"the range ends ({last}) before it starts ({first})")
    if timeline is None:
        timeline = Timeline(events, cancelled)
    elif timeline.events is not events:
        raise ValueError("the timeline given was built of other events")
    nights = (last - first).days + 1
    results: list[RunResult] = []
    done_days = 0  # pending days already taken by an earlier night
    for n in range(nights):
        if cancelled is not None and cancelled():
            raise Cancelled()
        run_date = first + timedelta(days=n)
        result = RunResult(run_date, monthly_analysis_day=context.monthlyAnalysisDay)
        results.append(result)

        add = result.indicators.extend
        if not context.daccConsent:
            # The gate: nothing sent, nothing marked; later nights see the same.
            result.consent_blocked = True
            if progress is not None:
                progress(n + 1, nights)
            continue
        days = timeline.days_before(run_date)
        skips = SkipList()
        taken: list[Entry] = []
        for day in days[done_days:]:
            if cancelled is not None and cancelled():
                raise Cancelled()
            entries = timeline.pending_by_day[day]
            add(compute_day(day, entries, timeline, skips))
            taken.extend(entries)
        done_days = max(done_days, len(days))
        for flagged in timeline.flagged_pending:
            if flagged.day is None or flagged.day < run_date:
                skips.add(flagged.index, flagged.id, f"{flagged.reason}: kept, used by no rule, never marked aggregated")
        result.skipped = skips.items()
        # In input order, as the entries name them (C-level loops: half a million of them).
        taken.sort(key=_index)
        result.aggregated_indices = list(map(_index, taken))
        result.aggregated = list(map(_id, taken))
        add(_connected(run_date, context))
        if monthly_due(run_date, context, ignore_monthly_date_protection):
            result.monthly_ran = True
            add(compute_month(run_date, context, timeline, result.notes))
        else:
            result.monthly_held_back = True
        if progress is not None:
            progress(n + 1, nights)
    log.debug("%d night(s) %s..%s over %d events: %d indicators", nights, first, last, len(events),
              sum(len(r.indicators) for r in results))
    return results


def _connected(run_date: date, context: UserContext) -> list[Indicator]:
    """konnector-connected-daily: once per run, for the day before it."""
    fluids = context.ordered_fluids()
    if not fluids:
        return []
    day = (run_date - timedelta(days=1)).isoformat()
    groups = (g("categories", ":".join(fluids)), None, None)
    return [Indicator(R.KONNECTOR_CONNECTED_DAILY.measure, day, 1, groups, R.KONNECTOR_CONNECTED_DAILY)]
