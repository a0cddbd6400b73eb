"""Table models of the indicators preview: the indicators, and the skipped events.

Thin adapters over a ``preview.Preview``: a new preview replaces the rows
with one model reset.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from dacc_gui.ui.preview import Preview, PreviewRow, group_text

_Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the PreviewRow / (run, skipped) behind a row
LEVEL_BRUSHES = {"ok": QBrush(QColor("#dff3df")), "warning": QBrush(QColor("#fff3c4")),
                 "error": QBrush(QColor("#fbe0e0"))}


class _PreviewModel(QAbstractTableModel):
    columns: tuple[str, ...] = ()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self.columns):
            return self.columns[section]
        return None

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def _valid(self, index: _Index) -> bool:
        return index.isValid() and 0 <= index.row() < len(self._rows) and 0 <= index.column() < len(self.columns)


class IndicatorTableModel(_PreviewModel):
    """One row per indicator of every night of the preview."""

    columns = ("night", "measure", "startDate", "value", "group1", "group2", "group3", "validation", "rule source")

    def set_preview(self, preview: Preview) -> None:
        self.beginResetModel()
        self._rows = list(preview.rows)
        self.endResetModel()

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self._valid(index):
            return None
        row: PreviewRow = self._rows[index.row()]
        col = self.columns[index.column()]
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            p = row.indicator
            if col == "night":
                return row.run.run_date.isoformat()
            if col == "measure":
                return p.measureName
            if col == "startDate":
                return p.startDate
            if col == "value":
                return str(p.value)
            if col.startswith("group"):
                group = p.groups[int(col[-1]) - 1] if len(p.groups) >= int(col[-1]) else None
                return group_text({group[0]: group[1]}) if group else ""
            if col == "validation":
                return row.validation.level
            if col == "rule source":
                return p.rule.source_label if p.rule else ""
        if role == Qt.ItemDataRole.BackgroundRole and col == "validation":
            return LEVEL_BRUSHES.get(row.validation.level)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == "validation":
                return "\n".join(row.validation.messages()) or "The DACC would accept it (201)."
            if col == "rule source" and row.indicator.rule:
                return row.indicator.rule.text
        if role == Qt.ItemDataRole.TextAlignmentRole and col == "value":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class SkippedTableModel(_PreviewModel):
    """Every event no rule could use, and why (per night)."""

    columns = ("night", "event", "reason")

    def set_preview(self, preview: Preview) -> None:
        self.beginResetModel()
        self._rows = preview.skipped()
        self.endResetModel()

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self._valid(index):
            return None
        run, skipped = self._rows[index.row()]
        col = self.columns[index.column()]
        if role == ROW_ROLE:
            return self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if col == "night":
                return run.run_date.isoformat()
            if col == "event":
                return skipped.event_id
            return skipped.reason
        return None
