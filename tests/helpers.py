"""Small builders for rule tests: events are written the way Ecolyo writes them."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from dacc_gui.events.model import UsageEvent
from dacc_gui.rules.indicators import canonical

_counter = 0


def ev(type_: str, when: str, **fields: Any) -> UsageEvent:
    """An event of ``type_`` at ``when`` ('2022-03-09T07:00'), pending unless said."""
    global _counter
    _counter += 1
    doc: dict[str, Any] = {"_id": fields.pop("_id", f"ev{_counter}"), "type": type_}
    doc["eventDate"] = when if len(when) != 16 else when + ":00.000Z"
    doc.update(fields)
    doc.setdefault("aggregated", False)
    return UsageEvent.from_document(doc)


def payload_multiset(payloads: list[dict]) -> Counter:
    return Counter(canonical(p) for p in payloads)


def of_measure(result, measure: str) -> list[dict]:
    return [p for p in result.payloads() if p["measureName"] == measure]


# --- payloads computed by hand, never by the rules under test -------------------------------

_DATA = Path(__file__).parent / "data"
EXPECTED = _DATA / "expected"  # fixtures for the nights the end-to-end, compare and service tests run


def golden_payloads(name: str = "01-one-day") -> list[dict]:
    """The hand-computed indicators of a golden case, in the case's order."""
    return json.loads((_DATA / "golden" / f"{name}.json").read_text())["expected"]["indicators"]


def expected_payloads(name: str) -> list[dict]:
    """The hand-computed indicators of a fixture in tests/data/expected/."""
    return json.loads((EXPECTED / f"{name}.json").read_text())["indicators"]
