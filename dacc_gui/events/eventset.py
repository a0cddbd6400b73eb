"""An ``EventSet``: the events of one source, with what could not be read.

Documents that are not events are kept aside with their position, so that
saving gives back every document that was read: nothing is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from dacc_gui import DEFAULT_DOCTYPE
from dacc_gui.events.context import UserContext
from dacc_gui.events.model import UsageEvent


class Shape(StrEnum):
    """The JSON shapes an export may have."""

    OWN = "own"  # {"events": [...], "context": {...}} (also the golden cases)
    ACH = "ach"  # {"<doctype>": [...]}
    ARRAY = "array"  # [...]
    ALL_DOCS = "all_docs"  # {"rows": [{"doc": ...}]}
    NORMAL_DOCS = "normal_docs"  # {"rows": [...], "total_rows": N, "bookmark": "..."}: the stack's _normal_docs
    FIND = "find"  # {"docs": [...]}
    JSONL = "jsonl"  # one document per line


@dataclass
class RejectedDocument:
    """A document that is not a usage event, kept to be written back as is."""

    index: int  # position among the documents of the source
    reason: str
    raw: Any
    doc_id: str | None = None

    def where(self) -> str:
        return f"document #{self.index}" + (f" (_id {self.doc_id!r})" if self.doc_id else "")

    def describe(self) -> str:
        return f"{self.where()}: {self.reason}"


@dataclass
class EventSet:
    """Events read from one source."""

    events: list[UsageEvent] = field(default_factory=list)
    context: UserContext | None = None
    shape: Shape = Shape.OWN
    doctype: str = DEFAULT_DOCTYPE
    rejected: list[RejectedDocument] = field(default_factory=list)
    # Top-level keys of the source other than the events (kept on save).
    extra: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def flagged(self) -> list[tuple[UsageEvent, str]]:
        """Events kept but used by no rule (unknown type, bad date)."""
        out = []
        for event in self.events:
            problem = event.problem()
            if problem:
                out.append((event, problem))
        return out

    def problems(self) -> list[str]:
        """Every document the rules cannot use, in words, with where it is."""
        lines = [r.describe() for r in self.rejected]
        for n, event in enumerate(self.events):
            problem = event.problem()
            if problem:
                lines.append(f"event {event.id or '#' + str(n)}: {problem} (kept, used by no rule)")
        return lines
