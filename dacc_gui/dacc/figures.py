"""The statistics the DACC keeps per group, computed and stored as PostgreSQL does.

A group's figures over its raw values (``of_values``: the aggregation query),
a later pass merged into stored figures (``merged``: the DACC's partial
aggregate, spec "Aggregation"), and the NUMERIC(12,2) rounding every saved
figure gets (``Figures.rounded``). Values are Decimals with 2 decimals, as the
raw column keeps them; NaN follows PostgreSQL (greater than every number, and
it makes sums and averages NaN).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from decimal import Decimal, localcontext
from typing import Any

from dacc_gui.dacc.postgres import NUMERIC_LIMIT, round_numeric

_PRECISION = 50  # numeric arithmetic is exact for these sizes; 50 digits is plenty


class NumericOverflow(ArithmeticError):
    """A figure NUMERIC(12,2) cannot hold: PostgreSQL's "numeric field overflow"."""


@dataclass(frozen=True)
class Figures:
    count: int
    count_not_zero: int
    sum: Decimal
    min: Decimal
    max: Decimal
    avg: Decimal
    std: Decimal
    median: Decimal | None = None
    first_quartile: Decimal | None = None
    third_quartile: Decimal | None = None

    def rounded(self, limit: bool = True) -> Figures:
        """As saved in NUMERIC(12,2) columns; raises NumericOverflow past 10^10 (unless not ``limit``)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Decimal) and not value.is_nan():
                value = round_numeric(value)
                if limit and abs(value) >= NUMERIC_LIMIT:
                    raise NumericOverflow(f"{f.name} {value} is 10^10 or more")
            out[f.name] = value
        return Figures(**out)

    def to_json(self) -> dict[str, Any]:
        """camelCase numbers as the DACC's JSON gives them; absent quartiles left out."""
        names = {"count_not_zero": "countNotZero", "first_quartile": "firstQuartile", "third_quartile": "thirdQuartile"}
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            out[names.get(f.name, f.name)] = float(value) if isinstance(value, Decimal) else value
        return out


def _nan(values: list[Decimal]) -> bool:
    return any(v.is_nan() for v in values)


def _ordered(values: list[Decimal]) -> list[Decimal]:
    """PostgreSQL's order: NaN after every number."""
    return sorted(values, key=lambda v: (v.is_nan(), 0 if v.is_nan() else v))


def percentile_cont(values: list[Decimal], fraction: float) -> Decimal:
    """PostgreSQL's ``percentile_cont`` (in double precision, saved by its repr)."""
    ordered = [float(v) for v in _ordered(values)]
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    result = ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return Decimal(repr(result)) if math.isfinite(result) else Decimal("NaN")


def quartiles(values: list[Decimal]) -> dict[str, Decimal]:
    return {
        "median": percentile_cont(values, 0.5),
        "first_quartile": percentile_cont(values, 0.25),
        "third_quartile": percentile_cont(values, 0.75),
    }


def of_values(values: list[Decimal], with_quartiles: bool) -> Figures:
    """A group's figures over its raw values, exact (not yet rounded)."""
    count = len(values)
    ordered = _ordered(values)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        if _nan(values):
            total = avg = std = Decimal("NaN")
        else:
            total = sum(values, Decimal(0))
            avg = total / count
            # Sample standard deviation; PostgreSQL's stddev of one value is NULL, coalesced to 0.
            std = (sum((v - avg) ** 2 for v in values) / (count - 1)).sqrt() if count > 1 else Decimal(0)
    numbers = [v for v in ordered if not v.is_nan()]
    return Figures(
        count=count,
        count_not_zero=sum(1 for v in values if v.is_nan() or v != 0),  # count(nullif(value, 0))
        sum=total,
        min=numbers[0] if numbers else Decimal("NaN"),
        max=ordered[-1],
        avg=avg,
        std=std,
        **(quartiles(values) if with_quartiles else {}),
    )


def merged(stored: Figures, new: Figures, all_values: list[Decimal] | None) -> Figures:
    """A pass's new figures merged into the stored (rounded) ones, as the DACC merges them.

    Counts and sums add, min and max combine, ``avg = (stored sum + new sum) /
    count``, and ``std`` is the pooled standard deviation of the two groups:
    with n1, m1, s1 stored and n2, m2, s2 new and M the merged avg,
    ((n1-1)·s1² + (n2-1)·s2² + n1·(m1-M)² + n2·(m2-M)²) / (n1+n2-1), its
    square root taken in double precision (Python's ``math.sqrt``). Quartiles
    are recomputed from ``all_values``, the group's raw values.
    """
    count = stored.count + new.count
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        total = stored.sum + new.sum
        avg = total / count
        if avg.is_nan() or stored.std.is_nan() or new.std.is_nan():
            std = Decimal("NaN")
        else:
            n1, n2 = stored.count, new.count
            variance = (
                (n1 - 1) * stored.std**2 + (n2 - 1) * new.std**2
                + n1 * (stored.avg - avg) ** 2 + n2 * (new.avg - avg) ** 2
            ) / (n1 + n2 - 1)
            std = Decimal(repr(math.sqrt(variance)))
    both = [stored.min, new.min]
    numbers = [v for v in both if not v.is_nan()]
    out = replace(
        stored,
        count=count,
        count_not_zero=stored.count_not_zero + new.count_not_zero,
        sum=total,
        min=min(numbers) if numbers else Decimal("NaN"),
        max=_ordered([stored.max, new.max])[-1],
        avg=avg,
        std=std,
    )
    if all_values is not None:
        out = replace(out, **quartiles(all_values))
    return out
