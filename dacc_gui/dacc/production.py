"""What the real DACC answers to ``POST /measure``, step by step as measured.

``answer_body(content_type, body)`` follows "What the real DACC does" in
``shared/spec/dacc-api.md`` (version 2) from step 2 on (the token is the HTTP
layer's): the first step that fails decides the answer, with the DACC's status
and ``error`` text (Python 3.8's wording where Python speaks). Each answer also
says in plain words what was wrong and why production answers so, and whether
production stores the measure: a 201 can store nothing (step 8).
``answer_measure(measure)`` starts at step 3, for a measure already parsed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from decimal import Decimal
from typing import Any

from dacc_gui.dacc import postgres
from dacc_gui.dacc.measures import MeasureCatalog, MeasureDefinition, load_catalog
from dacc_gui.dacc.postgres import NotStored, shown
from dateutil import parser as dateparser

# Flask's BadRequest, caught by the route's catch-all: a 500 that says 400.
BAD_REQUEST = (
    "400 Bad Request: The browser (or proxy) sent a request that this server could not understand."
)
OK = {"ok": True}

# Python 3.8's messages for ``body["measureName"]`` on what is not an object
# (3.11 says "string indices must be integers, not 'str'": the DACC runs 3.8).
_SUBSCRIPT_ERRORS = {
    type(None): "'NoneType' object is not subscriptable",
    list: "list indices must be integers or slices, not str",
    str: "string indices must be integers",
    bool: "'bool' object is not subscriptable",
    int: "'int' object is not subscriptable",
    float: "'float' object is not subscriptable",
}
_JSON_KIND = {type(None): "null", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}


@dataclass(frozen=True)
class StoredRow:
    """The ``raw_measure`` row production keeps: what its columns make of the measure."""

    measure_name: str
    value: Decimal  # rounded to 2 decimals; may be NaN
    start: datetime  # naive: an offset is dropped, not applied
    created_by: str | None
    groups: tuple[Any, Any, Any]

    @property
    def start_text(self) -> str:
        return self.start.isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Answer:
    """Production's answer to one body, and what it did with it."""

    status: int  # 201, 400 or 500
    error: str | None = None  # the ``error`` text of a 400 or 500
    why: str | None = None  # plain words: what was wrong, why production answers so
    not_stored: NotStored | None = None  # a 201 that stores nothing, and why
    row: StoredRow | None = None  # what is stored, on a real success
    measure: Any = None  # the parsed body (None when nothing was read)
    parsed: bool = False  # distinguishes a parsed JSON null from nothing read

    @property
    def stored(self) -> bool:
        return self.row is not None

    @property
    def body(self) -> dict[str, Any]:
        return OK if self.status == 201 else {"error": self.error}

    @property
    def dropped(self) -> bool:
        """Answered 201, but nothing stored."""
        return self.status == 201 and self.row is None


def parse_date(text: str) -> datetime:
    """dateutil's lenient parse, as the DACC does it, remembered for the day.

    The same few startDates come again and again (a night's measures share
    one); parsing is the costliest step of a check. Keyed by today's date
    too, since a part the text lacks defaults to today; a plain YYYY-MM-DD,
    what Ecolyo sends, lacks none, and is remembered by itself.
    """
    if is_plain_day(text):
        return _parse_day(text)
    return _parse_date_on(text, date.today())


def is_plain_day(text: str) -> bool:
    """YYYY-MM-DD in ASCII digits: a text that lacks no part of a date."""
    return (len(text) == 10 and text.isascii() and text[4] == "-" and text[7] == "-" and text[:4].isdigit()
            and text[5:7].isdigit() and text[8:].isdigit())


@lru_cache(maxsize=4096)
def _parse_day(text: str) -> datetime:
    return dateparser.parse(text)


@lru_cache(maxsize=4096)
def _parse_date_on(text: str, today: date) -> datetime:
    return dateparser.parse(text)


def _fail(status: int, error: str, why: str, parsed: bool = True) -> Answer:
    return Answer(status, error, why, parsed=parsed)


def mimetype(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def answer_body(
    content_type: str | None, body: bytes, catalog: MeasureCatalog | None = None
) -> Answer:
    """Steps 2 to 9 for a request body and its Content-Type."""
    kind = mimetype(content_type)
    # Step 2. Spec as written: a type other than application/json reads as None
    # (Flask 2.0 would also take "application/<x>+json": not measured, not done).
    if kind != "application/json":
        said = f"the Content-Type is {kind}" if kind else "the request has no Content-Type"
        return answer_measure(
            None, catalog,
            none_because=f"{said}, not application/json, so Flask reads no JSON from the body (None)",
            parsed=False,
        )
    try:
        measure = json.loads(body)
    except RecursionError as exc:
        # The message is the same in 3.8: "... while decoding a JSON array|object ...".
        return _fail(
            500, str(exc),
            "the body is nested too deeply for Python's JSON parser: the RecursionError reaches "
            "the route's catch-all, which answers 500 with its message",
            parsed=False,
        )
    except ValueError as exc:  # JSON errors and UnicodeDecodeError alike
        what = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else f"not JSON ({exc})"
        return _fail(
            500, BAD_REQUEST,
            f"the body is {what}: Flask's 400 Bad Request is raised inside the route, whose "
            "catch-all answers 500 with its text",
            parsed=False,
        )
    return answer_measure(measure, catalog)


def answer_measure(
    measure: Any,
    catalog: MeasureCatalog | None = None,
    *,
    none_because: str | None = None,
    parsed: bool = True,
) -> Answer:
    """Steps 3 to 9 for a parsed body (``none_because``: why step 2 gave None)."""
    catalog = catalog or load_catalog()
    a = _steps(measure, catalog, none_because)
    # Made, not replace()d: a preview checks tens of thousands of measures.
    return Answer(a.status, a.error, a.why, a.not_stored, a.row, measure, parsed)


def _steps(measure: Any, catalog: MeasureCatalog, none_because: str | None) -> Answer:
    # Step 3: the route logs measure["measureName"] before any check.
    if not isinstance(measure, dict):
        return _not_subscriptable(measure, none_because)
    if "measureName" not in measure:
        return _fail(
            500, "'measureName'",
            "the measure has no measureName: production reads measureName (to log it) before "
            "any check, and the KeyError becomes a 500",
        )
    definition = find_definition(measure["measureName"], catalog)
    if isinstance(definition, Answer):
        return definition
    for step in (_value, _start_date, _groups):
        failed = step(measure, definition)
        if failed is not None:
            return failed
    return _insert(measure, definition)


def _not_subscriptable(measure: Any, none_because: str | None) -> Answer:
    kind = float if isinstance(measure, float) else type(measure)
    error = _SUBSCRIPT_ERRORS.get(kind, f"'{type(measure).__name__}' object is not subscriptable")
    what = none_because or f"the body is {_JSON_KIND.get(kind, 'not an object')}, not a JSON object"
    return _fail(
        500, error,
        f"{what}: production reads measureName from it before any check, and Python's "
        "TypeError becomes a 500",
    )


def _pg_type(value: Any) -> str:
    """The PostgreSQL type psycopg2 gives a measureName that is not text.

    Open case: the spec gives "integer" for a number; the other names follow
    psycopg2's adaptation (a float is numeric, a list an array).
    """
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "numeric"
    if value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return "integer[]"
    return "text[]"


def find_definition(name: Any, catalog: MeasureCatalog) -> MeasureDefinition | Answer:
    """Step 4: the definition of measureName, or production's answer without one."""
    if isinstance(name, str):
        found = catalog.get(name)
        if found is not None:
            return found
        return _fail(400, f"No measure definition found for: {name}", f"no definition is named {shown(name)}")
    if name is None:
        # Open case: SQLAlchemy compares with NULL (IS NULL), finds nothing: 400.
        return _fail(400, "No measure definition found for: None", "measureName is null: no definition matches")
    if isinstance(name, dict):
        return _fail(
            500, "(psycopg2.ProgrammingError) can't adapt type 'dict'",
            "measureName is an object: psycopg2 cannot put it in the definition lookup, and the "
            "error becomes a 500",
        )
    pg = _pg_type(name)
    return _fail(
        500, f"(psycopg2.errors.UndefinedFunction) operator does not exist: character varying = {pg}",
        f"measureName is {shown(name)}, not a string: PostgreSQL cannot compare it with the "
        "definitions' names, and the error becomes a 500",
    )


def _value(measure: dict, definition: MeasureDefinition) -> Answer | None:
    """Step 5: value given, and ``float(value)`` works."""
    if "value" not in measure:
        return _fail(400, "A value must be given", "the measure has no value")
    value = measure["value"]
    if value is None or isinstance(value, (list, dict)):
        kind = type(value).__name__
        return _fail(
            500, f"float() argument must be a string or a number, not '{kind}'",
            f"value is {shown(value) if value is None else ('a list' if kind == 'list' else 'an object')}: "
            "production's float(value) raises a TypeError, which becomes a 500 (a string that is no "
            "number gets the 400)",
        )
    try:
        float(value)
    except ValueError:
        return _fail(400, "value type is incorrect, it must be a number", f"value {shown(value)} is no number")
    except OverflowError as exc:
        # Open case: an integer too large for a float; Python's message, as the catch-all gives it.
        return _fail(500, str(exc), f"value {shown(value)} is too large for float(): the OverflowError becomes a 500")
    return None


def _start_date(measure: dict, definition: MeasureDefinition) -> Answer | None:
    """Step 6: startDate given, and dateutil's lenient parse reads it."""
    if "startDate" not in measure:
        return _fail(400, "startDate must be given", "the measure has no startDate")
    start = measure["startDate"]
    if not isinstance(start, str):
        return _fail(
            500, f"Parser must be a string or character stream, not {type(start).__name__}",
            f"startDate is {shown(start)}, not a string: dateutil raises a TypeError, which becomes a 500",
        )
    try:
        parse_date(start)
    except ValueError:
        return _fail(400, "startDate type is incorrect, it must be a date", f"dateutil cannot read startDate {shown(start)}")
    except Exception as exc:  # OverflowError for long digit strings: Python's message
        return _fail(
            500, str(exc),
            f"dateutil fails on startDate {shown(start)} with {type(exc).__name__}, which is no "
            "ValueError: the route's catch-all answers 500",
        )
    return None


def _describe_group(group: Any) -> str:
    if group is None:
        return "null"
    if isinstance(group, dict):
        return "an empty object"
    return f"{_JSON_KIND.get(type(group), 'not an object')} ({shown(group)})"


def _groups(measure: dict, definition: MeasureDefinition) -> Answer | None:
    """Step 7: the first key of each group present must be the definition's."""
    present = {n: measure[f"group{n}"] for n in (1, 2, 3) if f"group{n}" in measure}
    for n, group in present.items():
        # A boolean has no keys either: the same except branch as the spec's cases.
        if not isinstance(group, dict) or not group:
            return _fail(
                400, "groups format is incorrect",
                f"group{n} is {_describe_group(group)}: production takes the first key of each "
                "group present in the body, and it has none (even where the definition has no "
                f"group{n})",
            )
    for n, expected in zip((1, 2, 3), definition.group_keys()):
        got = next(iter(present[n])) if n in present else None
        if got != expected:
            wanted = f"the key {expected}" if expected else f"no group{n}"
            given = f"its first key is {got}" if got is not None else "it is absent"
            return _fail(
                400, f"Group{n} key does not match measure definition: {got}",
                f"{definition.name} wants {wanted} in group{n}; {given} (only the first key counts)",
            )
    return None


def _insert(measure: dict, definition: MeasureDefinition) -> Answer:
    """Step 8: the row PostgreSQL stores, or a 201 that stores nothing."""
    value = postgres.numeric_12_2(measure["value"])
    start = postgres.timestamp(measure["startDate"])
    problems = [p for p in (value, start) if isinstance(p, NotStored)]
    for field in ("createdBy", "aggregationPeriod"):
        problem = postgres.varchar_100(field, measure.get(field))
        if problem is not None:
            problems.append(problem)
    for n in (1, 2, 3):
        group = measure.get(f"group{n}")
        problem = postgres.jsonb_group(n, group) if isinstance(group, dict) else None
        if problem is not None:
            problems.append(problem)
    if problems:
        return Answer(
            201,
            why="production answers 201 but stores nothing: " + "; ".join(p.detail for p in problems)
            + ' (the insertion fails, the DACC prints "Error on measure insertion" and still answers 201)',
            not_stored=problems[0],
        )
    row = StoredRow(
        measure_name=definition.name,
        value=value,
        start=start,
        created_by=_text(measure.get("createdBy")),
        groups=tuple(measure.get(f"group{n}") for n in (1, 2, 3)),
    )
    return Answer(201, row=row)


def _text(value: Any) -> str | None:
    """What a VARCHAR column keeps of a value it takes."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
