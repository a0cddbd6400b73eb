"""Indicators: what the nightly run POSTs to the DACC, and where each came from."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from dacc_gui.dacc.sending import measure_json

CREATED_BY = "ecolyo"
PAYLOAD_FIELDS = ("createdBy", "measureName", "startDate", "value", "group1", "group2", "group3")


class RuleSource(StrEnum):
    """Who says a rule is so: shown beside each indicator in the app."""

    ECOLYO_PAGE = "Ecolyo page"
    DACC_DEFINITIONS = "DACC definitions"
    ASSUMED = "assumed"


@dataclass(frozen=True)
class Rule:
    """A rule of the rulebook: its measure, its words, and its sources."""

    name: str
    measure: str
    text: str
    sources: tuple[RuleSource, ...]
    assumed_part: str = ""

    @property
    def source_label(self) -> str:
        label = " + ".join(s.value for s in self.sources)
        return f"{label} (assumed: {self.assumed_part})" if self.assumed_part else label


@dataclass
class Indicator:
    """One payload plus its provenance (the events behind it and the rule)."""

    measureName: str
    startDate: str
    value: int | float
    groups: tuple[tuple[str, str] | None, ...] = (None, None, None)
    rule: Rule | None = None
    event_ids: list[str] = field(default_factory=list)
    createdBy: str = CREATED_BY

    def payload(self) -> dict[str, Any]:
        """The exact JSON object Ecolyo posts, fields in the rulebook's order."""
        out: dict[str, Any] = {
            "createdBy": self.createdBy,
            "measureName": self.measureName,
            "startDate": self.startDate,
            "value": self.value,
        }
        for n, group in enumerate(self.groups, start=1):
            if group is not None:
                out[f"group{n}"] = {group[0]: group[1]}
        return out

    def payload_json(self) -> str:
        """The payload as the JSON string Ecolyo wraps in ``{"data": ...}``."""
        return measure_json(self.payload())

    def key(self) -> tuple:
        """Identity of a measure at the DACC: name, period and groups."""
        return (self.measureName, self.startDate, self.groups)


def payload_key(payload: dict[str, Any]) -> tuple:
    """The (measureName, startDate, groups) identity of a raw payload."""
    groups = []
    for n in (1, 2, 3):
        g = payload.get(f"group{n}")
        groups.append(json.dumps(g, sort_keys=True) if g is not None else None)
    return (payload.get("measureName"), payload.get("startDate"), tuple(groups))


def canonical(payload: dict[str, Any]) -> str:
    """A payload as a stable string, for comparing multisets of payloads."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))
