"""The DACC's checks of an incoming measure, shared by the preview and the receiver.

``validate_measure`` applies the real DACC's checks in its order (first
failure wins, same messages as cozy/DACC's ``check_incoming_raw_measure``),
says what production would have answered where it differs from a clean 400
(a ``null`` value crashes the real server: 500), then adds lints the real
DACC does not check, as warnings on accepted measures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from dateutil import parser as dateparser

from dacc_gui.dacc.measures import MeasureCatalog, load_catalog

ECOLYO = "ecolyo"


@dataclass
class Validation:
    """What the DACC would answer, and what it would not tell."""

    status: int  # what the receiver answers: 201 or 400
    error: str | None = None
    production_status: int | None = None  # set where production answers otherwise
    production_body: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == 201

    @property
    def level(self) -> str:
        """``ok``, ``warning`` or ``error``: one word for tables."""
        if not self.ok:
            return "error"
        return "warning" if self.warnings else "ok"

    @property
    def production_note(self) -> str | None:
        if self.production_status is None:
            return None
        return f"production would answer {self.production_status}" + (
            f": {self.production_body}" if self.production_body else ""
        )

    def messages(self) -> list[str]:
        out = [self.error] if self.error else []
        if self.production_note:
            out.append(self.production_note)
        return out + self.warnings


def parse_date(text: str) -> datetime:
    """dateutil's lenient parse, as the DACC does it, remembered for the day.

    The same few startDates come again and again (a night's measures share
    one); parsing is the costliest step of a check. Keyed by today's date
    too, since a part the text lacks defaults to today.
    """
    return _parse_date_on(text, date.today())


@lru_cache(maxsize=4096)
def _parse_date_on(text: str, today: date) -> datetime:
    return dateparser.parse(text)


def _reject(message: str, production_status: int | None = None, production_body: str | None = None) -> Validation:
    return Validation(400, message, production_status, production_body)


def _crash(message: str, python_error: str) -> Validation:
    # The real server's float()/parse() raise TypeError here, which its
    # route turns into a 500 with the Python message.
    return _reject(message, 500, json.dumps({"error": python_error}))


def check_measure(measure: Any, catalog: MeasureCatalog | None = None) -> Validation:
    """The real DACC's checks, in its order; no lints."""
    catalog = catalog or load_catalog()
    # 1. the body is not empty
    if measure is None:
        return _reject("The measure cannot be empty")
    if not isinstance(measure, dict):
        if isinstance(measure, (list, str)):
            return _reject("A measure name must be given")
        return _crash("A measure name must be given", f"argument of type '{type(measure).__name__}' is not iterable")
    # 2. measureName is given
    if "measureName" not in measure:
        return _reject("A measure name must be given")
    name = measure["measureName"]
    # 3. a definition exists
    definition = catalog.get(name) if isinstance(name, str) else None
    if definition is None:
        return _reject(f"No measure definition found for: {name}")
    # 4. value is given and float(value) works
    if "value" not in measure:
        return _reject("A value must be given")
    value = measure["value"]
    if value is None or isinstance(value, (dict, list)):
        kind = "NoneType" if value is None else type(value).__name__
        return _crash(
            "value type is incorrect, it must be a number",
            f"float() argument must be a string or a real number, not '{kind}'",
        )
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return _reject("value type is incorrect, it must be a number")
    # 5. startDate is given and parses (leniently, as dateutil does)
    if "startDate" not in measure:
        return _reject("A start date must be given")
    start = measure["startDate"]
    if not isinstance(start, str):
        return _crash(
            "startDate type is incorrect, it must be a date",
            f"Parser must be a string or character stream, not {type(start).__name__}",
        )
    try:
        parse_date(start)
    except (ValueError, OverflowError):
        return _reject("startDate type is incorrect, it must be a date")
    # 6. groups: absent or an object whose first key is the definition's
    groups = [measure.get(f"group{n}") for n in (1, 2, 3)]
    if any(g is not None and (not isinstance(g, dict) or not g) for g in groups):
        return _reject("groups format is incorrect")
    for group, expected in zip(groups, definition.group_keys()):
        got = next(iter(group)) if group else None
        if got != expected:
            return _reject(f"Group key does not match measure definition: {got}")
    return Validation(201)


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
    if isinstance(measure.get("value"), str):
        warnings.append("value is a string; the DACC accepts it only because float() parses it")
    return warnings


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


def _duplicate_message(measure: dict[str, Any], catalog: MeasureCatalog) -> str:
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
    result = check_measure(measure, catalog)
    if result.ok:
        result.warnings = lint_measure(measure, catalog)
        if seen is not None:
            key = duplicate_key(measure)
            if key in seen:
                result.warnings.append(_duplicate_message(measure, catalog or load_catalog()))
            seen.add(key)
    return result


def validate_all(measures: list[Any], catalog: MeasureCatalog | None = None) -> list[Validation]:
    """Each measure of a set, duplicates within the set included."""
    seen: set[str] = set()
    return [validate_measure(m, catalog, seen) for m in measures]
