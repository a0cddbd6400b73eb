"""Expected against received: did the service send exactly what it should have?

Expected indicators come from the rulebook's nightly runs (``RunResult``s),
each keeping where it came from (run date, rule, events). Received ones are
the receiver's records of measure posts. The comparison sorts every payload
into one of four categories:

- **matched**: expected and received, same value;
- **missing**: expected, not received;
- **unexpected**: received, not expected (a duplicate beyond what was
  expected, or a post whose body holds no measure at all);
- **different**: same measureName, startDate and groups, but another value
  (or another ``createdBy``, which the DACC aggregates by too).

What counts as received: every POST the receiver recorded as a measure
request, whatever it answered. The question is what the service *sent*: a
measure the receiver refused (400, an injected fault, a wrong token) was
still sent, so it is compared, and its answer is noted as a warning. A
request refused before the receiver parsed its body (a fault, a token) is
read from the body the same way the receiver reads it.

Both sides are multisets: an indicator expected twice and received once is
one matched and one missing. Within one (measureName, startDate, groups)
key, identical payloads pair first, then equal values, then whatever is
left pairs in order (expected order, reception order) as "different", and
only the rest is missing or unexpected. Values compare as floats, since the
DACC stores ``float(value)``; a difference of JSON type (``"1"`` for ``1``)
is a warning, not a difference.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from dacc_gui.common.jsontext import json_type
from dacc_gui.rules.indicators import canonical, payload_key


class Category(StrEnum):
    MATCHED = "matched"
    MISSING = "missing"
    UNEXPECTED = "unexpected"
    DIFFERENT = "different"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS = {
    Category.MATCHED: "Matched",
    Category.MISSING: "Missing",
    Category.UNEXPECTED: "Unexpected",
    Category.DIFFERENT: "Different value",
}
CATEGORY_HELP = {
    Category.MATCHED: "expected and received with the same value",
    Category.MISSING: "expected, not received",
    Category.UNEXPECTED: "received, not expected",
    Category.DIFFERENT: "same measure, startDate and groups, another value",
}
ORDER = (Category.MISSING, Category.UNEXPECTED, Category.DIFFERENT, Category.MATCHED)


@dataclass
class ExpectedItem:
    """One payload the nightly run would send, and where it comes from."""

    index: int
    payload: dict[str, Any]
    run_date: str = ""
    rule: str = ""
    rule_text: str = ""
    rule_source: str = ""
    event_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "runDate": self.run_date,
            "payload": self.payload,
            "rule": self.rule,
            "ruleSource": self.rule_source,
            "events": list(self.event_ids),
        }


@dataclass
class ReceivedItem:
    """One measure post the receiver recorded; ``payload`` is None when its body held no measure."""

    index: int
    payload: dict[str, Any] | None
    record_id: int | None = None
    received_at: str = ""
    status: int = 0
    path: str = ""
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    body: str = ""
    problem: str | None = None  # why no payload could be read

    @property
    def accepted(self) -> bool:
        return self.status == 201

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "recordId": self.record_id,
            "receivedAt": self.received_at,
            "path": self.path,
            "status": self.status,
            "error": self.error,
            "warnings": list(self.warnings),
            "payload": self.payload,
            **({"body": self.body, "problem": self.problem} if self.payload is None else {}),
        }


@dataclass
class Row:
    """One line of the comparison: a pair, or one side alone."""

    category: Category
    expected: ExpectedItem | None = None
    received: ReceivedItem | None = None
    differences: list[str] = field(default_factory=list)  # fields that differ (value, createdBy)
    warnings: list[str] = field(default_factory=list)

    @property
    def payload(self) -> dict[str, Any] | None:
        """The payload that names this row: the expected one, else the received one."""
        if self.expected is not None:
            return self.expected.payload
        return self.received.payload if self.received is not None else None

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category.value,
            "expected": self.expected.index if self.expected is not None else None,
            "received": self.received.index if self.received is not None else None,
            "recordId": self.received.record_id if self.received is not None else None,
            "measureName": (self.payload or {}).get("measureName"),
            "startDate": (self.payload or {}).get("startDate"),
            "expectedValue": self.expected.payload.get("value") if self.expected is not None else None,
            "receivedValue": self.received.payload.get("value")
            if self.received is not None and self.received.payload is not None else None,
            "differences": list(self.differences),
            "warnings": list(self.warnings),
        }


@dataclass
class Comparison:
    """Every row of a comparison, with both sides and what was compared."""

    rows: list[Row]
    expected: list[ExpectedItem]
    received: list[ReceivedItem]
    expected_from: str = ""  # e.g. "the preview for run date 2021-12-09"
    received_from: str = ""  # e.g. "received since 2021-12-09 10:00:00 UTC"

    def counts(self) -> dict[str, int]:
        out = {c.value: 0 for c in Category}
        for row in self.rows:
            out[row.category.value] += 1
        return out

    def of(self, category: Category) -> list[Row]:
        return [r for r in self.rows if r.category is category]

    @property
    def warned(self) -> int:
        return sum(1 for r in self.rows if r.warnings)

    @property
    def ok(self) -> bool:
        """Exactly what was expected was sent: nothing missing, unexpected or different."""
        counts = self.counts()
        return not (counts["missing"] or counts["unexpected"] or counts["different"])

    @property
    def verdict(self) -> str:
        """The answer to "did the service send exactly what it should have?", in one line."""
        counts = self.counts()
        n_expected = len(self.expected)
        if self.ok:
            if not n_expected:
                return "Nothing to compare: nothing was expected and nothing was received."
            text = f"Yes: the service sent exactly the {_n(n_expected, 'expected indicator')}."
            if self.warned:
                text = text[:-1] + f" ({self.warned} with warnings)."
            return text
        parts = [f"{counts[c.value]} {word}" for c, word in (
            (Category.MISSING, "missing"), (Category.UNEXPECTED, "unexpected"),
            (Category.DIFFERENT, "with a different value")) if counts[c.value]]
        return f"No: {', '.join(parts)} ({counts['matched']} of {n_expected} expected matched)."

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "ok": self.ok,
            "counts": self.counts(),
            "expectedFrom": self.expected_from,
            "receivedFrom": self.received_from,
            "expected": [e.to_json() for e in self.expected],
            "received": [r.to_json() for r in self.received],
            "rows": [r.to_json() for r in self.rows],
        }


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# --- the two sides ------------------------------------------------------------------------

def expected_from_results(results: Iterable[Any]) -> list[ExpectedItem]:
    """The payloads of nightly runs (``RunResult``s), in run order, with their provenance."""
    out: list[ExpectedItem] = []
    for result in results:
        day = result.run_date.isoformat()
        for indicator in result.indicators:
            rule = indicator.rule
            out.append(ExpectedItem(
                index=len(out),
                payload=indicator.payload(),
                run_date=day,
                rule=rule.name if rule else "",
                rule_text=rule.text if rule else "",
                rule_source=rule.source_label if rule else "",
                event_ids=list(indicator.event_ids),
            ))
    return out


def expected_from_payloads(payloads: Iterable[dict[str, Any]]) -> list[ExpectedItem]:
    """Bare payloads as expected items (no provenance)."""
    return [ExpectedItem(index=n, payload=p) for n, p in enumerate(payloads)]


def received_from_records(records: Iterable[Any]) -> list[ReceivedItem]:
    """The measure posts among receiver records (``dacc_gui.receiver.Record``), oldest first.

    Queries (``/aggregate``, ``/status``), unknown paths and other methods are
    not posts of measures and are left out.
    """
    out: list[ReceivedItem] = []
    for record in records:
        if record.kind != "measure" or record.method != "POST":
            continue
        measure, problem = _measure_of(record)
        out.append(ReceivedItem(
            index=len(out),
            payload=measure if isinstance(measure, dict) else None,
            record_id=record.id,
            received_at=record.received_at,
            status=record.status,
            path=record.path,
            error=record.error,
            warnings=list(record.warnings),
            body=record.body_text,
            problem=problem if not isinstance(measure, dict) else None,
        ))
    return out


def received_from_payloads(payloads: Iterable[Any]) -> list[ReceivedItem]:
    """Bare payloads as received items (accepted, no record)."""
    return [
        ReceivedItem(index=n, payload=p if isinstance(p, dict) else None, status=201,
                     body="" if isinstance(p, dict) else json.dumps(p, ensure_ascii=False),
                     problem=None if isinstance(p, dict) else "not a measure object")
        for n, p in enumerate(payloads)
    ]


def _measure_of(record: Any) -> tuple[Any, str | None]:
    """The measure a record carries: parsed by the receiver, else read from its body."""
    if record.has_measure:
        return record.measure, None if isinstance(record.measure, dict) else "the measure is not a JSON object"
    # Refused before parsing (a token, an injected fault): read it as the receiver would have.
    try:
        outer = json.loads(record.body)
        if record.path.startswith("/measure"):
            measure = outer
        elif isinstance(outer, dict) and isinstance(outer.get("data"), str):
            measure = json.loads(outer["data"])
        else:
            return None, record.error or 'the body has no "data" string'
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, record.error or "the body is not JSON"
    if not isinstance(measure, dict):
        return None, "the measure is not a JSON object"
    return measure, None


# --- values ----------------------------------------------------------------------------------

def as_number(value: Any) -> float | None:
    """The value as the DACC stores it (``float(value)``), or None if it is no number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def values_equal(a: Any, b: Any) -> bool:
    """Equal as the DACC would store them: 1 == 1.0 == "1"; otherwise equal as JSON."""
    fa, fb = as_number(a), as_number(b)
    if fa is not None and fb is not None:
        return fa == fb or (math.isnan(fa) and math.isnan(fb))
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _pair_notes(expected: dict[str, Any], received: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(fields that differ, warnings) of a pair sharing a key."""
    differences: list[str] = []
    warnings: list[str] = []
    e_value, r_value = expected.get("value"), received.get("value")
    if not values_equal(e_value, r_value):
        differences.append("value")
    elif json_type(e_value) != json_type(r_value):
        warnings.append(
            f"value sent as {json_type(r_value)} {json.dumps(r_value)} where the rulebook gives "
            f"{json_type(e_value)} {json.dumps(e_value)} (the DACC stores both as {as_number(r_value)!r})")
    if expected.get("createdBy") != received.get("createdBy"):
        differences.append("createdBy")
    key_fields = {"value", "createdBy", "measureName", "startDate", "group1", "group2", "group3"}
    for name in sorted((set(expected) | set(received)) - key_fields):
        if name not in received:
            warnings.append(f"field {name!r} expected but not sent")
        elif name not in expected:
            warnings.append(f"field {name!r} sent but not expected")
        elif expected[name] != received[name]:
            warnings.append(f"field {name!r} differs")
    return differences, warnings


def _received_warnings(item: ReceivedItem) -> list[str]:
    """What the receiver said of a post, worth seeing beside the comparison."""
    out = []
    if item.status != 201:
        out.append(f"the receiver answered {item.status}" + (f": {item.error}" if item.error else ""))
    out.extend(f"receiver: {w}" for w in item.warnings)
    return out


# --- the comparison ---------------------------------------------------------------------------

def compare(
    expected: list[ExpectedItem],
    received: list[ReceivedItem],
    expected_from: str = "",
    received_from: str = "",
) -> Comparison:
    """Classify both sides (see the module doc for the rules)."""
    by_key: dict[tuple, list[ReceivedItem]] = defaultdict(list)
    unreadable: list[ReceivedItem] = []
    for item in received:
        if item.payload is None:
            unreadable.append(item)
        else:
            by_key[_key(item.payload)].append(item)

    expected_by_key: dict[tuple, list[ExpectedItem]] = defaultdict(list)
    for item in expected:
        expected_by_key[_key(item.payload)].append(item)

    pair_of: dict[int, Row] = {}  # expected index -> its row
    used: set[int] = set()  # received indices already paired
    for key, wanted in expected_by_key.items():
        candidates = by_key.get(key, [])
        # Identical payloads first, then equal values, then the rest in order.
        for same in (_identical, _same_value, _any):
            for exp in wanted:
                if exp.index in pair_of:
                    continue
                for rec in candidates:
                    if rec.index not in used and same(exp.payload, rec.payload):
                        used.add(rec.index)
                        pair_of[exp.index] = _pair(exp, rec)
                        break

    rows: list[Row] = []
    for exp in expected:
        rows.append(pair_of.get(exp.index) or Row(Category.MISSING, expected=exp))
    for rec in received:
        if rec.index in used:
            continue
        warnings = _received_warnings(rec)
        if rec.payload is None:
            warnings.insert(0, f"no measure could be read from this post: {rec.problem}")
        else:
            duplicate = any(r.index in used for r in by_key.get(_key(rec.payload), []))
            if duplicate:
                warnings.insert(0, "sent more times than expected")
        rows.append(Row(Category.UNEXPECTED, received=rec, warnings=warnings))
    return Comparison(rows, expected, received, expected_from, received_from)


def _key(payload: dict[str, Any]) -> tuple:
    return payload_key(payload)


def _identical(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return canonical(a) == canonical(b)


def _same_value(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return values_equal(a.get("value"), b.get("value")) and a.get("createdBy") == b.get("createdBy")


def _any(_a: dict[str, Any], _b: dict[str, Any]) -> bool:
    return True


def _pair(exp: ExpectedItem, rec: ReceivedItem) -> Row:
    differences, warnings = _pair_notes(exp.payload, rec.payload or {})
    category = Category.DIFFERENT if differences else Category.MATCHED
    return Row(category, expected=exp, received=rec, differences=differences,
               warnings=warnings + _received_warnings(rec))
