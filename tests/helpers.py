"""Small builders for rule tests: events are written the way Ecolyo writes them."""

from __future__ import annotations

from collections import Counter
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
