"""Table model of a comparison (``dacc_gui.compare.comparison.Comparison``), and its category filter.

A thin adapter: a new comparison replaces the rows with one model reset.
The filter is a proxy, so that sorting and filtering leave the rows alone.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor

from dacc_gui.compare.comparison import CATEGORY_HELP, ORDER, Category, Comparison, Row
from dacc_gui.compare.report import row_title
from dacc_gui.dacc.groups import groups_text
from dacc_gui.ui.common.table_model import RIGHT, Index, RowTableModel

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


class CompareTableModel(RowTableModel):
    """One row per compared payload (or pair of payloads)."""

    columns = COLUMNS

    def set_comparison(self, comparison: Comparison | None) -> None:
        self.set_rows(comparison.rows if comparison is not None else [])

    def display(self, row: Row, col: int) -> Any:
        return self._text(row, COLUMNS[col])

    def role_data(self, row: Row, col: int, role: int) -> Any:
        if role != SORT_ROLE:
            return None
        column = COLUMNS[col]
        if column == "category":
            return ORDER.index(row.category)
        if column == "status":
            return row.received.status if row.received else -1
        return self._text(row, column)

    def background(self, row: Row, col: int) -> Any:
        return CATEGORY_BRUSHES[row.category] if COLUMNS[col] == "category" else None

    def foreground(self, row: Row, col: int) -> Any:
        return WARNING_BRUSH if COLUMNS[col] == "notes" and row.warnings else None

    def tooltip(self, row: Row, col: int) -> Any:
        tip = [f"{row.category.label}: {CATEGORY_HELP[row.category]}"]
        if row.differences:
            tip.append("Differs in: " + ", ".join(row.differences))
        tip += [f"⚠ {w}" for w in row.warnings]
        return "\n".join(tip)

    def alignment(self, row: Row, col: int) -> Any:
        return RIGHT if COLUMNS[col] in ("expected", "received", "status") else None

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
            return groups_text(row.payload)
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

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: N802
        if self.category is None:
            return True
        model = self.sourceModel()
        return model.row_at(source_row).category is self.category
