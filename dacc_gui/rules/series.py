"""Chart data: the indicators of simulated nightly runs, shaped into plottable series.

The Charts tab draws what this module computes, so everything a chart shows
can be checked here without Qt: one series per measure and group-value
combination (dates sorted), the daily sum or mean of measures that send many
values a day, the number of indicators per measure per day, and the bars of
DACC aggregates (with the groups the DACC hides under its privacy threshold).

Only ``.indicators`` (and ``.run_date`` when present) of a run result are
read, so any object shaped like ``dacc_gui.rules.RunResult`` will do.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any, Literal, Protocol

from dacc_gui.rules.indicators import Indicator
from dacc_gui.dacc.measures import load_catalog

Groups = tuple[tuple[str, str] | None, ...]
DailyReduction = Literal["sum", "mean"]
Statistic = Literal["avg", "sum", "count", "countNotZero", "min", "max", "std"]

NO_GROUP_LABEL = "all"


def hidden_label(threshold: int | None = None) -> str:
    """Legend text of the aggregates the DACC hides under its privacy threshold."""
    if threshold is None:
        threshold = load_catalog().aggregationThreshold
    return f"hidden: fewer than {threshold} contributions"


class HasIndicators(Protocol):
    """What the charts need of a nightly run result."""

    indicators: list[Indicator]


# --- labels -----------------------------------------------------------------


def group_label(groups: Groups | None) -> str:
    """``device=mobile``; several groups joined with ``, ``; ``all`` for none."""
    parts = [f"{g[0]}={g[1]}" for g in (groups or ()) if g is not None]
    return ", ".join(parts) if parts else NO_GROUP_LABEL


def shared_groups(all_groups: Sequence[Groups]) -> tuple[tuple[str, str], ...]:
    """The group pairs every combination has in common (said once, not in each label)."""
    if len(all_groups) < 2:
        return ()
    first = all_groups[0]
    return tuple(
        g for n, g in enumerate(first)
        if g is not None and all(len(o) > n and o[n] == g for o in all_groups[1:])
    )


def short_label(groups: Groups | None, shared: Sequence[tuple[str, str]]) -> str:
    """A group label without the pairs shared by every series."""
    kept = tuple(g for g in (groups or ()) if g is not None and g not in shared)
    return group_label(kept) if kept else group_label(groups)


def parse_day(text: Any) -> dt.date | None:
    """The date of a ``YYYY-MM-DD`` start date (a longer ISO string is cut), or None."""
    if isinstance(text, dt.date):
        return text
    if not isinstance(text, str) or len(text) < 10:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    # bool is an int in Python, but a True value is no measurement to plot
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


# --- per-measure series -------------------------------------------------------


@dataclass(frozen=True)
class SeriesPoint:
    """One indicator as a point: its day, its value, and the run that sent it."""

    day: dt.date
    value: float
    run_date: dt.date | None = None


@dataclass
class Series:
    """The values of one measure for one group-value combination, by day."""

    measure: str
    groups: Groups
    points: list[SeriesPoint] = field(default_factory=list)

    @property
    def label(self) -> str:
        return group_label(self.groups)

    def days(self) -> list[dt.date]:
        """The distinct days of the series, in order."""
        return sorted({p.day for p in self.points})

    def has_repeated_days(self) -> bool:
        """True when some day holds more than one value (e.g. one per session)."""
        return len(self.days()) < len(self.points)

    def daily(self, how: DailyReduction) -> Series:
        """One point per day: the sum or the mean of that day's values."""
        by_day: dict[dt.date, list[float]] = defaultdict(list)
        for p in self.points:
            by_day[p.day].append(p.value)
        reduce = sum if how == "sum" else fmean
        return Series(
            self.measure,
            self.groups,
            [SeriesPoint(day, float(reduce(vals))) for day, vals in sorted(by_day.items())],
        )


@dataclass
class MeasureSeries:
    """All series of one measure, plus what could not be placed on a chart."""

    measure: str
    series: list[Series]
    unplotted: list[Indicator] = field(default_factory=list)

    @property
    def many_per_day(self) -> bool:
        """True for measures that send several values a day per group."""
        return measure_sends_many_per_day(self.measure) or any(
            s.has_repeated_days() for s in self.series
        )

    def point_count(self) -> int:
        return sum(len(s.points) for s in self.series)

    def shared_groups(self) -> tuple[tuple[str, str], ...]:
        """Group pairs common to every series (e.g. ``end_event=end_action``)."""
        return shared_groups([s.groups for s in self.series])

    def legend_labels(self) -> list[str]:
        """Series labels without what they all share, so a legend stays short."""
        shared = self.shared_groups()
        return [short_label(s.groups, shared) for s in self.series]


def measure_sends_many_per_day(measure: str) -> bool:
    """Measures computed per session or per event rather than counted per day.

    The definitions give them no aggregation period (``session-duration``,
    ``event-duration``, ``quiz-stars``); the data can reveal others.
    """
    definition = load_catalog().get(measure)
    return (
        definition is not None
        and definition.aggregationPeriod is None
        and definition.executionFrequency == "day"
    )


def all_indicators(results: Iterable[HasIndicators]) -> list[tuple[Indicator, dt.date | None]]:
    """Every indicator of every run, with the run date that produced it."""
    out = []
    for result in results:
        run_date = getattr(result, "run_date", None)
        for indicator in result.indicators:
            out.append((indicator, run_date))
    return out


@dataclass
class MeasureRun:
    """One run's indicators of one measure (what ``by_measure`` hands out)."""

    run_date: dt.date | None
    indicators: list[Indicator]


def by_measure(results: Iterable[HasIndicators]) -> dict[str, list[MeasureRun]]:
    """The runs split per measure in one pass, so that drawing a measure reads
    only its own indicators (a year of nights holds a hundred thousand)."""
    out: dict[str, list[MeasureRun]] = {}
    for result in results:
        run_date = getattr(result, "run_date", None)
        split: dict[str, list[Indicator]] = {}
        for indicator in result.indicators:
            split.setdefault(indicator.measureName, []).append(indicator)
        for name, indicators in split.items():
            out.setdefault(name, []).append(MeasureRun(run_date, indicators))
    return out


def measure_names(results: Iterable[HasIndicators]) -> list[str]:
    """Measures present in the results, in the catalog's order, unknown ones last."""
    return in_catalog_order({ind.measureName for ind, _ in all_indicators(results)})


def in_catalog_order(present: Iterable[str]) -> list[str]:
    """Measure names in the catalog's order, unknown ones last."""
    present = set(present)
    catalog_order = [n for n in load_catalog().names() if n in present]
    return catalog_order + sorted(present - set(catalog_order))


def _groups_sort_key(groups: Groups) -> tuple:
    return tuple(("", "") if g is None else (g[0], g[1]) for g in groups)


def series_for(results: Iterable[HasIndicators], measure: str) -> MeasureSeries:
    """One series per group-value combination of ``measure``, points sorted by day.

    Points of the same day keep the order of the runs (then of the indicators),
    so repeated values stay in the order they were sent. Indicators whose date or
    value cannot be plotted are kept aside in ``unplotted`` rather than dropped.
    """
    by_groups: dict[Groups, list[SeriesPoint]] = defaultdict(list)
    unplotted: list[Indicator] = []
    for indicator, run_date in all_indicators(results):
        if indicator.measureName != measure:
            continue
        day, value = parse_day(indicator.startDate), _number(indicator.value)
        if day is None or value is None:
            unplotted.append(indicator)
            continue
        groups = tuple(indicator.groups) if indicator.groups else (None, None, None)
        by_groups[groups].append(SeriesPoint(day, value, run_date))
    series = [
        Series(measure, groups, sorted(points, key=lambda p: p.day))  # stable sort
        for groups, points in sorted(by_groups.items(), key=lambda kv: _groups_sort_key(kv[0]))
    ]
    return MeasureSeries(measure, series, unplotted)


# --- summary: indicators per measure per day ----------------------------------


@dataclass
class DailyCounts:
    """Number of indicators per measure per day (days without any are included)."""

    days: list[dt.date]
    counts: dict[str, list[int]]  # measure -> one count per day, aligned with days

    @property
    def measures(self) -> list[str]:
        return list(self.counts)

    def total(self) -> int:
        return sum(sum(c) for c in self.counts.values())

    def count(self, measure: str, day: dt.date) -> int:
        if measure not in self.counts or day not in self.days:
            return 0
        return self.counts[measure][self.days.index(day)]


def daily_counts(results: Iterable[HasIndicators]) -> DailyCounts:
    """Count the indicators per measure and start date, over a continuous day range.

    The range runs from the first to the last start date so that a night that
    sent nothing shows as a gap, not as a missing column.
    """
    results = list(results)
    tally: dict[str, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for indicator, _ in all_indicators(results):
        day = parse_day(indicator.startDate)
        if day is not None:
            tally[indicator.measureName][day] += 1
    all_days = {d for per_day in tally.values() for d in per_day}
    if not all_days:
        return DailyCounts([], {})
    first, last = min(all_days), max(all_days)
    days = [first + dt.timedelta(n) for n in range((last - first).days + 1)]
    order = [m for m in measure_names(results) if m in tally]
    return DailyCounts(days, {m: [tally[m].get(d, 0) for d in days] for m in order})


# --- DACC aggregates -----------------------------------------------------------


@dataclass(frozen=True)
class AggregateBar:
    """One DACC aggregate as a bar: period, group combination, chosen statistic."""

    measure: str
    period: str
    label: str
    value: float | None
    hidden: bool
    count: int | None = None


def aggregate_groups(row: dict[str, Any]) -> Groups:
    """``group1..3`` of an aggregate row (dicts of one key, or None) as group pairs."""
    out: list[tuple[str, str] | None] = []
    for n in (1, 2, 3):
        g = row.get(f"group{n}")
        if isinstance(g, dict) and g:
            key, value = next(iter(g.items()))
            out.append((str(key), str(value)))
        else:
            out.append(None)
    return tuple(out)


def aggregate_bars(
    rows: Sequence[dict[str, Any]], statistic: Statistic = "avg", measure: str | None = None
) -> list[AggregateBar]:
    """Bars of one statistic per period and group, sorted by period then group.

    A hidden aggregate (fewer contributions than the threshold) keeps whatever
    value the row carries, often none: the chart draws it greyed either way.
    """
    bars = []
    for row in rows:
        name = str(row.get("measureName", ""))
        if measure is not None and name != measure:
            continue
        count = row.get("count")
        bars.append(
            AggregateBar(
                measure=name,
                period=str(row.get("startDate", ""))[:10],
                label=group_label(aggregate_groups(row)),
                value=_number(row.get(statistic)),
                hidden=bool(row.get("hidden", False)),
                count=count if isinstance(count, int) and not isinstance(count, bool) else None,
            )
        )
    bars.sort(key=lambda b: (b.period, b.label))
    return bars


def aggregate_measures(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Measure names of aggregate rows, in the catalog's order, unknown ones last."""
    present = {str(r.get("measureName", "")) for r in rows}
    catalog_order = [n for n in load_catalog().names() if n in present]
    return catalog_order + sorted(present - set(catalog_order))
