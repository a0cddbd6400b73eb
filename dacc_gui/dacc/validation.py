"""The DACC's checks of an incoming measure, shared by the preview and the receiver.

``validate_measure`` gives production's answer (``dacc_gui.dacc.production``:
the real DACC's steps in its order, its status and texts, 500s and silent
201s included), then adds lints the real DACC does not check, as warnings on
accepted measures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date
from collections.abc import Callable, Hashable
from typing import Any

from dacc_gui.dacc import postgres
from dacc_gui.dacc.measures import MeasureCatalog, load_catalog
from dacc_gui.dacc.production import Answer, answer_measure, is_plain_day, parse_date

ECOLYO = "ecolyo"

__all__ = ["Validation", "check_all", "check_measure", "flag_duplicates", "lint_measure", "parse_date",
           "validate_all", "validate_measure"]


@dataclass
class Validation:
    """What the DACC would answer, and what it would not tell."""

    status: int  # production's status: 201, 400 or 500
    error: str | None = None  # its error text; for a 201 that stores nothing, what happens
    why: str | None = None  # plain words: what was wrong, why production answers so
    stored: bool = True  # whether production keeps the measure
    not_stored_reason: str | None = None
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, answer: Answer) -> Validation:
        error = answer.error
        if answer.dropped:
            error = f"not stored: {answer.not_stored.detail}"
        return cls(
            answer.status, error, answer.why, answer.stored,
            answer.not_stored.reason if answer.not_stored else None,
        )

    @property
    def ok(self) -> bool:
        """Answered 201 and stored: what the sender wants."""
        return self.status == 201 and self.stored

    @property
    def level(self) -> str:
        """``ok``, ``warning`` or ``error``: one word for tables."""
        if not self.ok:
            return "error"
        return "warning" if self.warnings else "ok"

    @property
    def production_note(self) -> str | None:
        """Why production answers as it does, where its answer does not say (500s, silent 201s)."""
        return self.why if self.status == 500 or (self.status == 201 and not self.stored) else None

    def messages(self) -> list[str]:
        out = [self.error] if self.error else []
        if self.production_note and self.production_note != self.error:
            out.append(self.production_note)
        return out + self.warnings


def check_measure(measure: Any, catalog: MeasureCatalog | None = None) -> Validation:
    """Production's answer to a parsed measure; no lints."""
    return Validation.of(answer_measure(measure, catalog))


def lint_measure(measure: dict[str, Any], catalog: MeasureCatalog | None = None) -> list[str]:
    """Warnings on an accepted measure: what the real DACC lets through."""
    catalog = catalog or load_catalog()
    definition = catalog.get(measure["measureName"])
    warnings: list[str] = []
    period = definition.aggregationPeriod if definition else None
    start = str(measure.get("startDate"))
    if period:
        problem = _period_start_problem(start, period)
        if problem:
            warnings.append(problem)
    created_by = measure.get("createdBy")
    if created_by != ECOLYO:
        warnings.append(f"createdBy is {created_by!r}, not 'ecolyo'")
    for n in (1, 2, 3):
        group = measure.get(f"group{n}")
        if isinstance(group, dict):
            for key, val in group.items():
                if not isinstance(val, str):
                    warnings.append(f"group{n}.{key} is {type(val).__name__} {val!r}, not a string")
    value = measure.get("value")
    if isinstance(value, str):
        warnings.append("value is a string; the DACC accepts it only because float() parses it")
    decimals = _decimals_problem(value)
    if decimals:
        warnings.append(decimals)
    return warnings


def _decimals_problem(value: Any) -> str | None:
    """A value with more than 2 decimals: NUMERIC(12,2) rounds it."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        exact = postgres.exact_decimal(value)
    except (ValueError, OverflowError, ArithmeticError):
        return None
    if not exact.is_finite() or exact.as_tuple().exponent >= -2:
        return None
    stored = postgres.round_numeric(exact) if abs(exact) < postgres.NUMERIC_LIMIT else None
    if stored is None or exact == stored:
        return None
    return f"value {postgres.shown(value)} has more than 2 decimals: production stores {stored} (NUMERIC(12,2))"


def _period_start_problem(start: str, period: str) -> str | None:
    try:
        parsed = parse_date(start)
    except (ValueError, OverflowError):
        return None
    has_time = len(start.strip()) > 10
    if has_time:
        return f"startDate {start!r} has a time part; the {period} period starts at a day"
    day = parsed.date()
    if period == "month" and day.day != 1:
        return f"startDate {start} is not the start of its month period ({day.replace(day=1)})"
    if period == "year" and (day.month, day.day) != (1, 1):
        return f"startDate {start} is not the start of its year period ({date(day.year, 1, 1)})"
    if period == "week" and day.weekday() != 0:
        return f"startDate {start} is not the start of its week period (a Monday)"
    return None


def duplicate_key(measure: dict[str, Any]) -> str:
    """The (measureName, startDate, groups) a measure is counted under."""
    parts = [measure.get("measureName"), measure.get("startDate")]
    parts += [measure.get(f"group{n}") for n in (1, 2, 3)]
    return json.dumps(parts, sort_keys=True, default=str)


def duplicate_message(measure: dict[str, Any], catalog: MeasureCatalog) -> str:
    """The warning of a measure received twice (also given by a store that finds it so at commit)."""
    text = "duplicate: the same measure, startDate and groups were already received"
    definition = catalog.get(measure["measureName"])
    if definition is not None and definition.aggregationPeriod is None:
        # One value per session/quiz/end event: several per day are normal.
        return text + f" (normal for {definition.name}, which sends one value per occurrence)"
    return text + " (events not marked aggregated?)"


def validate_measure(
    measure: Any,
    catalog: MeasureCatalog | None = None,
    seen: set[str] | None = None,
) -> Validation:
    """Checks, then lints; with ``seen`` also flags a measure received twice."""
    return validation_of(answer_measure(measure, catalog), catalog, seen)


def validation_of(answer: Answer, catalog: MeasureCatalog | None = None, seen: set[str] | None = None) -> Validation:
    """A production answer with the lints of a 201, and duplicates among stored
    measures (``seen`` holds the ``duplicate_key`` of each)."""
    result = Validation.of(answer)
    if answer.status == 201:
        result.warnings = lint_measure(answer.measure, catalog)
        if seen is not None:
            _note_duplicate(result, answer.measure, seen, duplicate_key, catalog)
    return result


def _note_duplicate(result: Validation, measure: dict[str, Any], seen: set,
                    key: Callable[[dict[str, Any]], Hashable], catalog: MeasureCatalog | None) -> None:
    if not result.stored:
        return  # what production did not store is no duplicate
    k = key(measure)
    if k in seen:
        result.warnings.append(duplicate_message(measure, catalog or load_catalog()))
    seen.add(k)


def validate_all(measures: list[Any], catalog: MeasureCatalog | None = None) -> list[Validation]:
    """Each measure of a set, duplicates within the set included."""
    return flag_duplicates(measures, check_all(measures, catalog), catalog)


def check_all(measures: list[Any], catalog: MeasureCatalog | None = None) -> list[Validation]:
    """Each measure of a set, duplicates aside: a set may be checked a piece
    at a time, then ``flag_duplicates`` in its order."""
    catalog = catalog or load_catalog()
    return [_as_sent(m, catalog) or validation_of(answer_measure(m, catalog), catalog) for m in measures]


_GROUPS = ("group1", "group2", "group3")
_VALUE_LIMIT = 10 ** 10  # NUMERIC(12,2): an integer below it in absolute value is stored as is


def _as_sent(measure: Any, catalog: MeasureCatalog) -> Validation | None:
    """The check of a measure shaped as the rulebook sends it, in a few
    lookups: a known measureName, an integer value, a plain YYYY-MM-DD
    startDate, ``createdBy`` ecolyo, no aggregationPeriod, and each group the
    definition's key with a text value. On such a measure no step of
    production's can fail but the date's, and the only lint left is the
    period's. None for anything else: the full steps check it.

    A preview checks tens of thousands of these: the full steps take 14 µs
    each. A property test holds this equal to them wherever it answers.
    """
    if type(measure) is not dict or measure.get("createdBy") != ECOLYO or "aggregationPeriod" in measure:
        return None
    name, value, start = measure.get("measureName"), measure.get("value"), measure.get("startDate")
    if type(name) is not str or type(value) is not int or type(start) is not str:
        return None
    definition = catalog.get(name)
    if definition is None or not -_VALUE_LIMIT < value < _VALUE_LIMIT:
        return None
    for key, expected in zip(_GROUPS, definition.group_keys()):
        group = measure.get(key, measure)  # the measure itself: no such key
        if group is measure:
            if expected is not None:
                return None
        elif (type(group) is not dict or len(group) != 1 or expected not in group
              or type(group[expected]) is not str or "\x00" in group[expected]):
            return None
    day = _plain_day(start, definition.aggregationPeriod)
    if day is None:
        return None
    return Validation(201, warnings=list(day))


@lru_cache(maxsize=4096)
def _plain_day(start: str, period: str | None) -> tuple[str, ...] | None:
    """The period lint (as a tuple) of a plain YYYY-MM-DD startDate that
    dateutil reads; None for any other text."""
    if not is_plain_day(start):
        return None  # a text that lacks a part: dateutil fills it from today, so not remembered
    try:
        parse_date(start)
    except Exception:  # noqa: BLE001 - whatever production answers to it, the full steps say
        return None
    # PostgreSQL's timestamp takes it too: it refuses only a text that lacks
    # a part, or one not in ASCII (``postgres.timestamp``).
    problem = _period_start_problem(start, period) if period else None
    return (problem,) if problem else ()


def flag_duplicates(measures: list[Any], checks: list[Validation],
                    catalog: MeasureCatalog | None = None) -> list[Validation]:
    """The duplicate warnings of a set ``check_all`` checked, added in place."""
    seen: set = set()
    for measure, result in zip(measures, checks, strict=True):
        if result.status == 201:
            _note_duplicate(result, measure, seen, _set_key, catalog)
    return checks


def _set_key(measure: dict[str, Any]) -> Hashable:
    """``duplicate_key`` for a set's own duplicates, without JSON where every part
    is text (what the rulebook sends): equal where the JSON texts are equal.

    A key of text parts and one of JSON never meet: JSON keys are strings, these
    tuples. And a measure with a part other than text has no text-only twin,
    since JSON writes a string with quotes and nothing else so.
    """
    parts = [measure.get("measureName"), measure.get("startDate")]
    for n in (1, 2, 3):
        group = measure.get(f"group{n}")
        if group is None:
            parts.append(None)
        elif type(group) is dict and all(type(k) is str and type(v) is str for k, v in group.items()):
            parts.append(tuple(sorted(group.items())))
        else:
            return duplicate_key(measure)
    if type(parts[0]) is not str or type(parts[1]) is not str:
        return duplicate_key(measure)
    return tuple(parts)
