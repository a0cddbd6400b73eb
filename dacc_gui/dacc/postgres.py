"""What PostgreSQL makes of a measure's fields when the real DACC inserts it.

The DACC hands the raw JSON values to its ``raw_measure`` table: ``value``
NUMERIC(12,2), ``start_date`` TIMESTAMP (without time zone), ``created_by``
and ``aggregation_period`` VARCHAR(100), ``group1..3`` JSONB. A value the
column refuses makes the insertion fail, and the DACC still answers 201
(spec, "What the real DACC does", step 8): each function here says what is
stored, or why nothing is.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from dateutil import parser as dateparser

CENT = Decimal("0.01")
NUMERIC_LIMIT = Decimal("1e10")  # NUMERIC(12,2) holds up to 9,999,999,999.99
VARCHAR_LIMIT = 100

# Two defaults that differ in year, month and day: a date part the text lacks
# comes out differently. Leap years and 31-day months, so no default is invalid.
_DEFAULT_A = datetime(2000, 1, 1)
_DEFAULT_B = datetime(2004, 3, 2)


@dataclass(frozen=True)
class NotStored:
    """Why PostgreSQL refuses the row: ``reason`` to count by, ``detail`` in plain words."""

    reason: str
    detail: str


def shown(value: Any, limit: int = 80) -> str:
    """A JSON value as the sender wrote it (``true``, ``"1_000"``), cut past ``limit``."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def exact_decimal(value: Any) -> Decimal:
    """The number psycopg2 hands PostgreSQL: an int as is, a float by its repr, a string as written."""
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return Decimal(repr(float(value)))  # digits float() reads that Decimal does not
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def round_numeric(number: Decimal) -> Decimal:
    """NUMERIC(12,2)'s rounding: 2 decimals, halves away from zero."""
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def numeric_12_2(value: Any) -> Decimal | NotStored:
    """The stored value (rounded; NaN stays NaN), for a value ``float()`` accepted."""
    if isinstance(value, bool):
        return NotStored(
            "value is a boolean",
            f"value {shown(value)} is a boolean: float() takes it, but PostgreSQL does not "
            "put a boolean in the NUMERIC(12,2) value column",
        )
    if isinstance(value, str) and "_" in value:
        return NotStored(
            "value has an underscore",
            f"value {shown(value)} has an underscore: Python's float() reads it, "
            "PostgreSQL's NUMERIC does not",
        )
    number = float(value)
    if math.isinf(number):
        return NotStored(
            "value is infinite",
            f"value {shown(value)} is infinite: NUMERIC(12,2) holds no infinity",
        )
    if math.isnan(number):
        return Decimal("NaN")  # NUMERIC takes NaN (spec: "NaN is stored as NaN")
    exact = exact_decimal(value)
    # Checked on the rounded value too: 9999999999.995 rounds to 10^10, which overflows.
    if abs(exact) >= NUMERIC_LIMIT or abs(round_numeric(exact)) >= NUMERIC_LIMIT:
        return NotStored(
            "value is 10^10 or more",
            f"value {shown(value)} is 10^10 or more in absolute value: more than "
            "NUMERIC(12,2) holds (numeric field overflow)",
        )
    return round_numeric(exact)


# Cached: a preview checks tens of thousands of indicators over a few hundred
# startDates, and dateutil takes 30 µs a text (twice).
@lru_cache(maxsize=4096)
def timestamp(text: str) -> datetime | NotStored:
    """The stored startDate (offset dropped, not applied), for a text dateutil read.

    PostgreSQL reads only ASCII digits and needs the year, the month and the
    day in the text itself, where dateutil fills what is missing from today.
    Open case: this is how the spec's examples ("10", "2022", "January 2022",
    fullwidth digits) are told apart; PostgreSQL's own parser was not measured
    beyond them.
    """
    if not text.isascii():
        return NotStored(
            "startDate is no PostgreSQL timestamp",
            f"startDate {shown(text)} has characters other than ASCII (fullwidth digits?): "
            "dateutil reads them, PostgreSQL's TIMESTAMP does not",
        )
    try:
        first = dateparser.parse(text, default=_DEFAULT_A)
        second = dateparser.parse(text, default=_DEFAULT_B)
    except (ValueError, OverflowError):
        first = second = None
    if first is None or second is None or first.date() != second.date():
        return NotStored(
            "startDate is no PostgreSQL timestamp",
            f"startDate {shown(text)} is no full date: dateutil fills the missing year, month "
            "or day from today, PostgreSQL's TIMESTAMP refuses it",
        )
    return first.replace(tzinfo=None)


def varchar_100(field: str, value: Any) -> NotStored | None:
    """None when the VARCHAR(100) column takes the value, else why not.

    Open case: only an object and a text over 100 characters are refused, as the
    spec says; a number, a boolean or a list is taken (as its text).
    """
    if isinstance(value, dict):
        return NotStored(
            f"{field} is an object",
            f"{field} is an object: psycopg2 cannot put it in the VARCHAR(100) {field} column",
        )
    if isinstance(value, str) and len(value) > VARCHAR_LIMIT:
        return NotStored(
            f"{field} is longer than 100 characters",
            f"{field} has {len(value)} characters: its column is VARCHAR(100)",
        )
    return None


def jsonb_group(n: int, group: dict) -> NotStored | None:
    """None when JSONB takes the group, else why not: a NUL in a value (at any depth).

    Open case: the spec names values; a NUL in a key is not checked.
    """
    for key, value in group.items():
        if _holds_nul(value):
            return NotStored(
                "a group value holds a NUL character",
                f"group{n}.{key} holds a NUL character (\\u0000): PostgreSQL's JSONB refuses it",
            )
    return None


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False
