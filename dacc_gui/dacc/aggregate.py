"""The DACC's aggregates computed live, in one pass, over what production stored.

The real DACC keeps each raw measure with ``value`` as NUMERIC(12,2) and
``startDate`` as a TIMESTAMP (``dacc.production``: a measure it would not store
is not here), groups by (createdBy, startDate, group1, group2, group3) and
gives, per group, ``count``, ``countNotZero``, ``sum``, ``min``, ``max``, ``avg``,
``std`` (sample; 0 for one value) and, when the definition has
``withQuartiles``, ``median``, ``firstQuartile`` and ``thirdQuartile``
(``dacc.figures``). Groups under the definition's ``aggregationThreshold`` are
hidden. This is the "live" view: production's own view is the merged result of
its aggregation passes (``receiver.passes``).

Dates: the stored startDate is a naive timestamp (an offset is dropped);
``2021-12-08`` and ``2021-12-08T00:00:00`` are the same group,
``2021-12-08T10:00`` another. A query's ``startDate`` (inclusive) and
``endDate`` (exclusive) are parsed leniently (dateutil), a bare date meaning
its midnight. Groups compare as JSON objects (key order does not matter, as
with JSONB).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from dacc_gui.dacc.figures import of_values
from dacc_gui.dacc.measures import MeasureDefinition
from dacc_gui.dacc.production import StoredRow, parse_date

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


def group_text(group: Any) -> str | None:
    """A group as canonical JSON (JSONB equality ignores key order)."""
    if group is None:
        return None
    return json.dumps(group, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def created_by_text(created_by: Any) -> str | None:
    if created_by is None or isinstance(created_by, str):
        return created_by
    return json.dumps(created_by, ensure_ascii=False)


COLUMNS = ("created_by", "start_ts", "g1", "g2", "g3", "value")


def stored_columns(row: StoredRow | None) -> dict[str, Any]:
    """What the aggregation needs of the row production stores (all None: nothing stored).

    The value goes as its text where it is NaN: SQLite would turn a NaN REAL into NULL.
    """
    if row is None:
        return dict.fromkeys(COLUMNS)
    g1, g2, g3 = (group_text(g) for g in row.groups)
    value = "NaN" if row.value.is_nan() else float(row.value)
    return {"created_by": row.created_by, "start_ts": row.start_text, "g1": g1, "g2": g2, "g3": g3, "value": value}


def value_of(column: Any) -> Decimal:
    """A stored value column back as production's NUMERIC(12,2) Decimal."""
    if isinstance(column, str):
        return Decimal(column)  # "NaN"
    return Decimal(repr(float(column))).quantize(_CENT)


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


def aggregate_rows(
    rows: list[tuple[str | None, str, str | None, str | None, str | None, float | None]],
    definition: MeasureDefinition,
    include_hidden: bool = False,
) -> list[dict[str, Any]]:
    """Aggregates of (created_by, start_ts, g1, g2, g3, value) rows of one measure.

    Only groups with ``count >= aggregationThreshold``, as the real DACC; with
    ``include_hidden`` the others too, marked ``"hidden": True``.
    """
    groups: dict[tuple, list[Decimal]] = {}
    for created_by, start_ts, g1, g2, g3, value in rows:
        values = groups.setdefault((created_by, start_ts, g1, g2, g3), [])
        if value is not None:  # COUNT(value) skips what is not a number
            values.append(value_of(value))
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
        item.update(of_values(values, definition.withQuartiles).rounded(limit=False).to_json())
        if include_hidden:
            item["hidden"] = hidden
        results.append(item)
    return results
