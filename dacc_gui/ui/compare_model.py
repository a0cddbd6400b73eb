"""Table model of a comparison (``dacc_gui.compare.Comparison``), and its category filter.

A thin adapter: a new comparison replaces the rows with one model reset.
The filter is a proxy, so that sorting and filtering leave the rows alone.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor

from dacc_gui.compare import CATEGORY_HELP, ORDER, Category, Comparison, Row
from dacc_gui.compare_report import group_text, row_title

_Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the compare.Row behind a table row
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
CATEGORY_BRUSHES = {
    Category.MATCHED: QBrush(QColor("#dff3df")),
    Category.MISSING: QBrush(QColor("#fbe0e0")),
    Category.UNEXPECTED: QBrush(QColor("#ffe9cc")),
    Category.DIFFERENT: QBrush(QColor("#ece0fb")),
}
WARNING_BRUSH = QBrush(QColor("#8a4b00"))
COLUMNS = ("category", "measure", "startDate", "groups", "expected", "received", "run date", "received at",
           "status", "notes")


def _value(item: Any) -> str:
    if item is None:
        return ""
    if item.payload is None:
        return "(no measure)"
    return json.dumps(item.payload.get("value"), ensure_ascii=False)


class CompareTableModel(QAbstractTableModel):
    """One row per compared payload (or pair of payloads)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []

    def set_comparison(self, comparison: Comparison | None) -> None:
        self.beginResetModel()
        self._rows = list(comparison.rows) if comparison is not None else []
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def row_at(self, row: int) -> Row:
        return self._rows[row]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not (index.isValid() and 0 <= index.row() < len(self._rows) and 0 <= index.column() < len(COLUMNS)):
            return None
        row = self._rows[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == SORT_ROLE:
            if column == "category":
                return ORDER.index(row.category)
            if column == "status":
                return row.received.status if row.received else -1
            return self._text(row, column)
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.BackgroundRole and column == "category":
            return CATEGORY_BRUSHES[row.category]
        if role == Qt.ItemDataRole.ForegroundRole and column == "notes" and row.warnings:
            return WARNING_BRUSH
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = [f"{row.category.label}: {CATEGORY_HELP[row.category]}"]
            if row.differences:
                tip.append("Differs in: " + ", ".join(row.differences))
            tip += [f"⚠ {w}" for w in row.warnings]
            return "\n".join(tip)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in ("expected", "received", "status"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _text(row: Row, column: str) -> str:
        p = row.payload or {}
        if column == "category":
            return row.category.label
        if column == "measure":
            return str(p.get("measureName", "")) if row.payload is not None else row_title(row)
        if column == "startDate":
            return str(p.get("startDate", ""))
        if column == "groups":
            return group_text(row.payload)
        if column == "expected":
            return _value(row.expected)
        if column == "received":
            return _value(row.received)
        if column == "run date":
            return row.expected.run_date if row.expected else ""
        if column == "received at":
            return row.received.received_at if row.received else ""
        if column == "status":
            return str(row.received.status) if row.received and row.received.status else ""
        if column == "notes":
            notes = ([f"differs in {', '.join(row.differences)}"] if row.differences else []) + row.warnings
            return "; ".join(notes)
        return ""


class CategoryFilter(QSortFilterProxyModel):
    """Shows one category (or all), sorts on ``SORT_ROLE``."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.category: Category | None = None
        self.setSortRole(SORT_ROLE)

    def set_category(self, category: Category | None) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.10+: invalidateFilter is deprecated
            self.beginFilterChange()
            self.category = category
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.category = category
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:  # noqa: N802
        if self.category is None:
            return True
        model = self.sourceModel()
        return model.row_at(source_row).category is self.category
