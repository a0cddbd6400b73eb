"""Collecting indicators and skipped events while the rules run."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from dacc_gui.rules.indicators import Indicator, Rule

Group = tuple[str, str] | None
Groups = tuple[Group, Group, Group]


@dataclass
class Skipped:
    """An event a rule could not use, and why."""

    event_id: str
    reason: str
    index: int

    def to_json(self) -> dict[str, str]:
        return {"eventId": self.event_id, "reason": self.reason}


class Counter:
    """Counts per key, keeping the events behind each count, in the order the
    keys first appeared; ``groups(key)`` is the groups a key is sent with.

    The rules add to ``counts`` themselves (``counts.setdefault(key,
    []).append(event_id)``): half a million events, no call each, and a key
    of plain values hashes faster than its groups would.
    """

    def __init__(self, rule: Rule, start_date: str, groups: Callable[[Any], Groups]) -> None:
        self.rule = rule
        self.start_date = start_date
        self.groups = groups
        self.counts: dict[Hashable, list[str]] = {}

    def indicators(self) -> list[Indicator]:
        return [
            Indicator(self.rule.measure, self.start_date, len(ids), self.groups(key), self.rule, ids)
            for key, ids in self.counts.items()
        ]


class SkipList:
    """Reasons per event: one entry per event, its reasons joined."""

    def __init__(self) -> None:
        self._reasons: dict[int, list[str]] = {}
        self._ids: dict[int, str] = {}
        # One object per distinct text: a hundred thousand skips say a few
        # dozen things, and a pickle then writes each once.
        self._texts: dict[str, str] = {}

    def add(self, index: int, event_id: str, reason: str) -> None:
        reason = self._texts.setdefault(reason, reason)
        reasons = self._reasons.get(index)
        if reasons is None:
            self._reasons[index] = [reason]
            self._ids[index] = event_id
        elif reason not in reasons:
            reasons.append(reason)

    def items(self) -> list[Skipped]:
        ids, reasons = self._ids, self._reasons
        return [Skipped(ids[i], r[0] if len(r) == 1 else "; ".join(r), i) for i, r in
                ((i, reasons[i]) for i in sorted(reasons))]


def g(key: str, value: str) -> tuple[str, str]:
    """One group: ``{key: value}``."""
    return (key, value)
