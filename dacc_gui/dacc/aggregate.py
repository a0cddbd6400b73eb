"""The real DACC's aggregates, computed over what the receiver accepted.

The real DACC stores each raw measure with ``value`` as NUMERIC(12,2) and
``startDate`` as a TIMESTAMP, then groups by (createdBy, startDate, group1,
group2, group3) and returns, per group, ``count``, ``countNotZero``, ``sum``,
``min``, ``max``, ``avg``, ``std`` (sample; 0 for one value) and, when the
definition has ``withQuartiles``, ``median``, ``firstQuartile`` and
``thirdQuartile`` (continuous percentiles). Groups with fewer than the
definition's ``aggregationThreshold`` contributions are not returned.

Dates: a measure's ``startDate`` string is parsed leniently (dateutil, as the
DACC's check does) into a naive timestamp (an offset is dropped, as a
TIMESTAMP column drops it); ``2021-12-08`` and ``2021-12-08T00:00:00`` are
the same group, ``2021-12-08T10:00`` another. The request's ``startDate``
(inclusive) and ``endDate`` (exclusive) are parsed the same way, a bare date
meaning its midnight, and compared with those timestamps. Groups compare as
JSON objects (key order does not matter, as with JSONB). Values are rounded to
2 decimals on the way in and the statistics to 2 decimals on the way out, as
the NUMERIC(12,2) columns do; a value ``float()`` accepts but that is not
finite (``"nan"``, ``"1e999"``) counts for nothing.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from dacc_gui.dacc.measures import MeasureDefinition
from dacc_gui.dacc.validation import parse_date

_CENT = Decimal("0.01")


class AggregateQueryError(ValueError):
    """A bad /aggregate query: the message is the real DACC's."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def timestamp(text: Any) -> str | None:
    """A startDate as the sortable naive timestamp text the store keeps, or None."""
    if not isinstance(text, str):
        return None
    return _timestamp_on(text, date.today())


@lru_cache(maxsize=4096)
def _timestamp_on(text: str, today: date) -> str | None:
    try:
        parsed = parse_date(text)
    except (ValueError, OverflowError):
        return None
    return parsed.replace(tzinfo=None).isoformat(timespec="microseconds")


def rounded_value(value: Any) -> float | None:
    """The value as NUMERIC(12,2) would keep it; None when not a finite number."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(number):
        return None
    if number.is_integer():  # the usual case: nothing to round
        return number
    return float(Decimal(repr(number)).quantize(_CENT, rounding=ROUND_HALF_UP))


def group_text(group: Any) -> str | None:
    """A group as canonical JSON (JSONB equality ignores key order)."""
    if group is None:
        return None
    return json.dumps(group, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def created_by_text(created_by: Any) -> str | None:
    if created_by is None or isinstance(created_by, str):
        return created_by
    return json.dumps(created_by, ensure_ascii=False)


def storage_columns(measure: dict[str, Any]) -> dict[str, Any]:
    """What the aggregation needs of an accepted measure, as the store keeps it."""
    return {
        "created_by": created_by_text(measure.get("createdBy")),
        "start_ts": timestamp(measure.get("startDate")),
        "g1": group_text(measure.get("group1")),
        "g2": group_text(measure.get("group2")),
        "g3": group_text(measure.get("group3")),
        "value": rounded_value(measure.get("value")),
    }


@dataclass(frozen=True)
class Query:
    measure_name: str
    start: str  # timestamp text, inclusive
    end: str  # timestamp text, exclusive
    created_by: str | None = None


def parse_query(params: Any, definitions: dict[str, MeasureDefinition]) -> Query:
    """The real DACC's ``check_restitution_params``, in its order and words."""
    if params is None or params == {}:
        raise AggregateQueryError("The params cannot be empty")
    if not isinstance(params, dict):
        raise AggregateQueryError("The params must be a JSON object")
    if "measureName" not in params:
        raise AggregateQueryError("A measure name must be given")
    name = params["measureName"]
    if not isinstance(name, str) or name not in definitions:
        raise AggregateQueryError(f"No measure definition found for: {name}")
    bounds = []
    for key in ("startDate", "endDate"):
        if key not in params:
            raise AggregateQueryError(f"{key} must be given")
        ts = timestamp(params[key])
        if ts is None:
            raise AggregateQueryError(f"{key} type is incorrect, it must be a date")
        bounds.append(ts)
    created_by = params.get("createdBy")
    return Query(name, bounds[0], bounds[1], created_by_text(created_by))


def percentile_cont(values: list[float], fraction: float) -> float:
    """PostgreSQL's ``percentile_cont``: linear interpolation between ranks."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _money(x: float) -> float:
    return float(Decimal(repr(x)).quantize(_CENT, rounding=ROUND_HALF_UP))


def group_statistics(values: list[float], with_quartiles: bool) -> dict[str, Any]:
    """count, countNotZero, sum, min, max, avg, std (and quartiles) of one group."""
    count = len(values)
    total = math.fsum(values)
    out: dict[str, Any] = {
        "sum": _money(total),
        "count": count,
        "countNotZero": sum(1 for v in values if v != 0),
        "min": min(values),
        "max": max(values),
        "avg": _money(total / count),
        "std": _money(statistics.stdev(values)) if count > 1 else 0.0,
    }
    if with_quartiles:
        out["median"] = _money(percentile_cont(values, 0.5))
        out["firstQuartile"] = _money(percentile_cont(values, 0.25))
        out["thirdQuartile"] = _money(percentile_cont(values, 0.75))
    return out


def aggregate_rows(
    rows: list[tuple[str | None, str, str | None, str | None, str | None, float | None]],
    definition: MeasureDefinition,
    include_hidden: bool = False,
) -> list[dict[str, Any]]:
    """Aggregates of (created_by, start_ts, g1, g2, g3, value) rows of one measure.

    Only groups with ``count >= aggregationThreshold``, as the real DACC; with
    ``include_hidden`` the others too, marked ``"hidden": True``.
    """
    groups: dict[tuple, list[float]] = {}
    for created_by, start_ts, g1, g2, g3, value in rows:
        values = groups.setdefault((created_by, start_ts, g1, g2, g3), [])
        if value is not None:  # COUNT(value) skips what is not a number
            values.append(value)
    threshold = definition.aggregationThreshold
    results = []
    for key in sorted(groups, key=lambda k: (k[1], k[0] or "", k[2] or "", k[3] or "", k[4] or "")):
        values = groups[key]
        hidden = len(values) < threshold
        if not values or (hidden and not include_hidden):
            continue
        created_by, start_ts, g1, g2, g3 = key
        item: dict[str, Any] = {"measureName": definition.name}
        if created_by is not None:
            item["createdBy"] = created_by
        item["startDate"] = datetime.fromisoformat(start_ts).isoformat()
        for n, text in ((1, g1), (2, g2), (3, g3)):
            if text is not None:
                item[f"group{n}"] = json.loads(text)
        item.update(group_statistics(values, definition.withQuartiles))
        if include_hidden:
            item["hidden"] = hidden
        results.append(item)
    return results
