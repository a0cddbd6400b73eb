"""The indicators preview as data (Qt-free): runs, validations, and their exports.

``compute_preview`` runs the rulebook over a snapshot of the events (off the
UI thread) and checks every payload as the DACC would; the result is what
the Indicators tab and the charts show, and what "Export" writes: JSON in the
``compute`` command's shape, or CSV.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dacc_gui.dacc.groups import group_text
from dacc_gui.events.context import UserContext
from dacc_gui.events.model import UsageEvent
from dacc_gui.rules.indicators import Indicator
from dacc_gui.rules import RunResult, simulate
from dacc_gui.rules.series import MeasureRun, by_measure
from dacc_gui.rules.timeline import Timeline
from dacc_gui.dacc.validation import Validation, validate_all

CSV_FIELDS = ("runDate", "measureName", "startDate", "value", "group1", "group2", "group3",
              "validation", "messages", "ruleSource", "events")


@dataclass
class PreviewRow:
    """One indicator of one night, with what the DACC would say of it."""

    run: RunResult
    indicator: Indicator
    validation: Validation


@dataclass
class Preview:
    """Every night of a preview, flattened for tables."""

    results: list[RunResult] = field(default_factory=list)
    rows: list[PreviewRow] = field(default_factory=list)
    ignore_monthly_date_protection: bool = False
    version: int = -1  # the store version it was computed from
    # The indicators split per measure for the charts, made with the rest off the UI thread.
    by_measure: dict[str, list[MeasureRun]] | None = None
    # Every (run, skipped event) pair, made off the UI thread too: a million
    # events can leave a hundred thousand.
    skipped_rows: list[tuple[RunResult, Any]] | None = None

    @property
    def consent_blocked(self) -> bool:
        return any(r.consent_blocked for r in self.results)

    @property
    def monthly_held_back(self) -> bool:
        """No night of the range ran the monthly part because of the date protection."""
        return bool(self.results) and not any(r.monthly_ran for r in self.results) and any(
            r.monthly_held_back for r in self.results)

    def skipped(self) -> list[tuple[RunResult, Any]]:
        if self.skipped_rows is not None:
            return self.skipped_rows
        return [(r, s) for r in self.results for s in r.skipped]

    def notes(self) -> list[str]:
        out = []
        for r in self.results:
            out.extend(f"{r.run_date.isoformat()}: {n}" for n in r.notes)
        return out

    def aggregated_indices(self) -> list[int]:
        seen: set[int] = set()
        for r in self.results:
            seen.update(r.aggregated_indices)
        return sorted(seen)

    def to_json(self) -> dict[str, Any]:
        """The ``compute`` command's output."""
        return {"runs": [r.to_json() for r in self.results]}

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_FIELDS)
        for row in self.rows:
            p = row.indicator.payload()
            writer.writerow([
                row.run.run_date.isoformat(), p["measureName"], p["startDate"], p["value"],
                *(group_text(p.get(f"group{n}")) for n in (1, 2, 3)),
                row.validation.level, " | ".join(row.validation.messages()),
                row.indicator.rule.source_label if row.indicator.rule else "", len(row.indicator.event_ids),
            ])
        return out.getvalue()


def compute_preview(
    events: list[UsageEvent],
    context: UserContext,
    first: date,
    last: date | None = None,
    ignore_monthly_date_protection: bool = False,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    timeline: Timeline | None = None,
) -> Preview:
    """Simulate nights ``first``..``last`` (just ``first`` without a range end)."""
    last = last or first
    results = simulate(events, context, first, last, ignore_monthly_date_protection, progress, cancelled, timeline)
    rows = []
    for result in results:
        validations = night_checks(result.indicators)
        rows.extend(PreviewRow(result, ind, check) for ind, check in zip(result.indicators, validations))
    preview = Preview(results, rows, ignore_monthly_date_protection, by_measure=by_measure(results))
    preview.skipped_rows = preview.skipped()
    return preview


def night_checks(indicators: list[Indicator]) -> list[Validation]:
    """What the DACC would say of each of a night's indicators (duplicates within the night included)."""
    return validate_all([i.payload() for i in indicators])


def dumps_json(preview: Preview) -> str:
    return json.dumps(preview.to_json(), ensure_ascii=False, indent=2) + "\n"
