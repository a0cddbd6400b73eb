"""One small read-only table model: columns declared once, one object per row.

A subclass names its ``columns`` and says what a cell shows through a few
hooks (``display``, ``tooltip``, ``background``, ``foreground``, ``font``,
``alignment``, and ``role_data`` for its own roles), each given the row object
and the column number. The base answers the rest of Qt's questions (counts,
header, bounds) and hands the row object back under ``ROW_ROLE``. New rows
replace the old ones with one model reset.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the object behind a table row
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)  # numbers line up on the right

_HOOKS = {
    int(Qt.ItemDataRole.DisplayRole): "display",
    int(Qt.ItemDataRole.ToolTipRole): "tooltip",
    int(Qt.ItemDataRole.BackgroundRole): "background",
    int(Qt.ItemDataRole.ForegroundRole): "foreground",
    int(Qt.ItemDataRole.FontRole): "font",
    int(Qt.ItemDataRole.TextAlignmentRole): "alignment",
}


def italic() -> QFont:
    """The font of rows that are there but set apart (hidden groups, say)."""
    font = QFont()
    font.setItalic(True)
    return font


class RowTableModel(QAbstractTableModel):
    """A flat, read-only list of rows shown under fixed (or per-instance) columns."""

    columns: Sequence[str] = ()

    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.rows: list[Any] = []

    def set_rows(self, rows: Iterable[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Any:
        return self.rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self.columns):
            return self.columns[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not (index.isValid() and 0 <= index.row() < len(self.rows) and 0 <= index.column() < len(self.columns)):
            return None
        row = self.rows[index.row()]
        if role == ROW_ROLE:
            return row
        hook = _HOOKS.get(int(role))
        if hook is None:
            return self.role_data(row, index.column(), role)
        return getattr(self, hook)(row, index.column())

    # What a cell shows: subclasses override the ones they use.
    def display(self, row: Any, col: int) -> Any:
        return None

    def tooltip(self, row: Any, col: int) -> Any:
        return None

    def background(self, row: Any, col: int) -> Any:
        return None

    def foreground(self, row: Any, col: int) -> Any:
        return None

    def font(self, row: Any, col: int) -> Any:
        return None

    def alignment(self, row: Any, col: int) -> Any:
        return None

    def role_data(self, row: Any, col: int, role: int) -> Any:
        return None
