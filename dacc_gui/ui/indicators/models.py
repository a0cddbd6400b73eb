"""Table models of the indicators preview: the indicators, and the skipped events.

Thin adapters over a ``preview.Preview``: a new preview replaces the rows
with one model reset.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QBrush, QColor

from dacc_gui.dacc.groups import group_text
from dacc_gui.rules.preview import Preview, PreviewRow
from dacc_gui.ui.common.table_model import RIGHT, RowTableModel

LEVEL_BRUSHES = {"ok": QBrush(QColor("#dff3df")), "warning": QBrush(QColor("#fff3c4")),
                 "error": QBrush(QColor("#fbe0e0"))}


class IndicatorTableModel(RowTableModel):
    """One row per indicator of every night of the preview."""

    columns = ("night", "measure", "startDate", "value", "group1", "group2", "group3", "validation", "rule source")

    def set_preview(self, preview: Preview) -> None:
        self.set_rows(preview.rows)

    def display(self, row: PreviewRow, col: int) -> Any:
        p = row.indicator
        column = self.columns[col]
        if column == "night":
            return row.run.run_date.isoformat()
        if column == "measure":
            return p.measureName
        if column == "startDate":
            return p.startDate
        if column == "value":
            return str(p.value)
        if column.startswith("group"):
            group = p.groups[int(column[-1]) - 1] if len(p.groups) >= int(column[-1]) else None
            return group_text({group[0]: group[1]}) if group else ""
        if column == "validation":
            return row.validation.level
        return p.rule.source_label if p.rule else ""

    def background(self, row: PreviewRow, col: int) -> Any:
        return LEVEL_BRUSHES.get(row.validation.level) if self.columns[col] == "validation" else None

    def tooltip(self, row: PreviewRow, col: int) -> Any:
        column = self.columns[col]
        if column == "validation":
            return "\n".join(row.validation.messages()) or "The DACC would accept it (201)."
        if column == "rule source" and row.indicator.rule:
            return row.indicator.rule.text
        return None

    def alignment(self, row: PreviewRow, col: int) -> Any:
        return RIGHT if self.columns[col] == "value" else None


class SkippedTableModel(RowTableModel):
    """Every event no rule could use, and why (per night): one (run, skipped) pair per row."""

    columns = ("night", "event", "reason")

    def set_preview(self, preview: Preview) -> None:
        self.set_rows(preview.skipped())

    def display(self, row: tuple[Any, Any], col: int) -> Any:
        run, skipped = row
        column = self.columns[col]
        if column == "night":
            return run.run_date.isoformat()
        if column == "event":
            return skipped.event_id
        return skipped.reason

    tooltip = display  # the reason is often longer than its column
