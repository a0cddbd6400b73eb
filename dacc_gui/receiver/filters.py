"""The status filters of the receiver's records, said once for SQL and for a record in hand.

The store filters its table with the SQL form; the app's live list filters
each record as it arrives with the Python form. Both are written side by
side here so that they cannot drift apart (a test runs every filter both
ways over the same records).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dacc_gui.receiver.records import Kind, Record


@dataclass(frozen=True)
class StatusFilter:
    name: str
    label: str  # as the app's filter list shows it
    sql: str
    params: tuple
    test: Callable[[Record], bool]


def _measure(record: Record) -> bool:
    return record.kind == Kind.MEASURE


FILTERS = (
    StatusFilter("accepted", "Accepted (201)", "kind = ? AND status = 201", (Kind.MEASURE,),
                 lambda r: _measure(r) and r.status == 201),
    StatusFilter("warning", "Accepted with warnings", "kind = ? AND status = 201 AND n_warnings > 0",
                 (Kind.MEASURE,), lambda r: _measure(r) and r.status == 201 and bool(r.warnings)),
    StatusFilter("not-stored", "Not stored by production",
                 "kind = ? AND production_status = 201 AND stored = 0", (Kind.MEASURE,),
                 lambda r: r.dropped),
    StatusFilter("rejected", "Rejected", "kind = ? AND status != 201", (Kind.MEASURE,),
                 lambda r: _measure(r) and r.status != 201),
    StatusFilter("error", "Errors (4xx/5xx)", "status >= 400", (), lambda r: r.status >= 400),
)
BY_NAME = {f.name: f for f in FILTERS}
ALIASES = {"warnings": "warning", "not_stored": "not-stored", "notstored": "not-stored"}


def status_filter(status: str | int) -> StatusFilter:
    """The filter named ``status`` (an HTTP status number filters on that status)."""
    text = str(status).strip().lower()
    text = ALIASES.get(text, text)
    if text in BY_NAME:
        return BY_NAME[text]
    if text.isdigit():
        code = int(text)
        return StatusFilter(text, f"HTTP {code}", "status = ?", (code,), lambda r: r.status == code)
    names = ", ".join(BY_NAME)
    raise ValueError(f"unknown status filter {status!r}: use {names} or an HTTP status")
