"""The events table: one ``QAbstractTableModel`` over the document's events.

A thin adapter (see Qt's model/view documentation): the rows it shows are a
permutation of the store's events (``numpy`` array of source indices),
computed off the UI thread by ``eventquery.view_rows`` when the sort or the
filter changes. ``data`` looks at one event and builds nothing else, so a
million rows cost only what is on screen. Edits from cells become commands
pushed to the document; the model only reflects what the document says
changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QDate, QDateTime, QModelIndex, QPersistentModelIndex, Qt, QTime, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from dacc_gui.events import edits
from dacc_gui.events.edits import WHOLE_ROW, Change
from dacc_gui.events.model import UsageEvent
from dacc_gui.ui.common.document import EventsDocument
from dacc_gui.events.query import COLUMNS, EventFilter, view_rows
from dacc_gui.ui.common.tasks import TaskRunner

SOURCE_ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the row's index in the store
EDITED_BRUSH = QBrush(QColor("#fff3c4"))
FLAGGED_BRUSH = QBrush(QColor("#fbe0e0"))
FLAGGED_COLOR = QBrush(QColor("#a61b1b"))
BOLD = QFont()
BOLD.setBold(True)

_Index = QModelIndex | QPersistentModelIndex
_BASE_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_COLUMN_FLAGS = [
    _BASE_FLAGS | Qt.ItemFlag.ItemIsUserCheckable if name == "aggregated"
    else _BASE_FLAGS | Qt.ItemFlag.ItemIsEditable if name in edits.EDITABLE_FIELDS
    else _BASE_FLAGS
    for name in COLUMNS
]


def to_qdatetime(moment: datetime) -> QDateTime:
    return QDateTime(QDate(moment.year, moment.month, moment.day),
                     QTime(moment.hour, moment.minute, moment.second, moment.microsecond // 1000))


class EventTableModel(QAbstractTableModel):
    """Rows: the events the current sort and filter show. Columns: ``COLUMNS``."""

    counts_changed = Signal(int, int)  # shown, total
    refused = Signal(str)  # an edit of a cell that could not be made, and why
    query_started = Signal()
    query_finished = Signal()

    def __init__(self, document: EventsDocument, runner: TaskRunner, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.runner = runner
        self._view = np.arange(len(document.events), dtype=np.int64)
        self._inverse: np.ndarray | None = None
        self.sort_column: str | None = None
        self.descending = False
        self.filter = EventFilter()
        self._query = None
        self._generation = 0
        document.changed.connect(self._on_changed)
        document.reloaded.connect(self._on_reloaded)

    # --- Qt model interface ---------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._view)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal:
                return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
            return str(section + 1)
        return None

    def event_at(self, row: int) -> UsageEvent:
        return self.document.events[int(self._view[row])]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if not (0 <= row < len(self._view) and 0 <= col < len(COLUMNS)):
            return None
        src = int(self._view[row])
        event = self.document.events[src]
        name = COLUMNS[col]
        if role == Qt.ItemDataRole.DisplayRole:
            if name == "aggregated":
                return None  # shown by the check box
            value = event.id if name == "id" else event.__dict__.get(name)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.EditRole:
            if name == "eventDate":
                moment = event.moment
                return to_qdatetime(moment) if moment else QDateTime.currentDateTime()
            if name == "aggregated":
                return bool(event.aggregated)
            value = event.id if name == "id" else event.__dict__.get(name)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.CheckStateRole and name == "aggregated":
            return Qt.CheckState.Checked if event.aggregated else Qt.CheckState.Unchecked
        if role == SOURCE_ROW_ROLE:
            return src
        if role in (Qt.ItemDataRole.FontRole, Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ToolTipRole,
                    Qt.ItemDataRole.ForegroundRole):
            edited = self.document.store.edited_fields(event)
            cell_edited = bool(edited) and (name in edited or WHOLE_ROW in edited)
            if role == Qt.ItemDataRole.FontRole:
                return BOLD if cell_edited else None
            problem = event.problem()
            if role == Qt.ItemDataRole.BackgroundRole:
                if cell_edited:
                    return EDITED_BRUSH
                return FLAGGED_BRUSH if problem else None
            if role == Qt.ItemDataRole.ForegroundRole:
                return FLAGGED_COLOR if problem else None
            tips = []
            if problem:
                tips.append(f"Used by no rule: {problem}")
            if cell_edited:
                tips.append("Added, not saved yet" if WHOLE_ROW in edited else "Edited, not saved yet")
            return "\n".join(tips) or None
        return None

    def multiData(self, index: _Index, span) -> None:  # noqa: N802, ANN001
        """Every role a delegate asks for, in one call into Python per cell.

        Qt would otherwise call ``data`` once per role (7 per cell); each call
        has to win Python's lock back from background work, so painting while
        a preview computes would crawl.
        """
        if not index.isValid():
            return
        data = self.data
        for role_data in span:
            value = data(index, role_data.role())
            if value is None:
                role_data.clearData()  # the span is reused from cell to cell
            else:
                role_data.setData(value)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        # Precomputed: Qt asks for flags often, and enum arithmetic is slow in Python.
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _COLUMN_FLAGS[index.column()]

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or not (0 <= index.row() < len(self._view)):
            return False
        name = COLUMNS[index.column()]
        src = int(self._view[index.row()])
        if name == "aggregated" and role == Qt.ItemDataRole.CheckStateRole:
            value = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
        elif role != Qt.ItemDataRole.EditRole or name not in edits.EDITABLE_FIELDS:
            return False
        if isinstance(value, QDateTime):
            value = value.toPython()
        try:
            command = edits.set_field(self.document.events, src, name, value)
        except edits.EditRefused as exc:
            self.refused.emit(str(exc))
            return False
        return self.document.push(command)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        name = COLUMNS[column] if 0 <= column < len(COLUMNS) else None
        self.set_query(name, order == Qt.SortOrder.DescendingOrder, self.filter)

    # --- rows shown ----------------------------------------------------------------------
    def set_filter(self, flt: EventFilter) -> None:
        self.set_query(self.sort_column, self.descending, flt)

    def set_query(self, sort_column: str | None, descending: bool, flt: EventFilter) -> None:
        """Sort and filter in the background; the table keeps its rows until done."""
        same = (sort_column, descending, flt) == (self.sort_column, self.descending, self.filter)
        self.sort_column, self.descending, self.filter = sort_column, descending, flt
        if same and self._query is None and len(self._view) == len(self.document.events) and flt.is_empty() \
                and sort_column is None:
            return
        self._requery()

    def _requery(self) -> None:
        if self._query is not None:
            self._query.cancel()
        self._generation += 1
        generation = self._generation
        events = list(self.document.events)  # a snapshot: edits may go on meanwhile
        structure = self.document.store.structure_version
        column, descending, flt = self.sort_column, self.descending, self.filter
        label = "Sorting and filtering events" if column and not flt.is_empty() else (
            f"Sorting events by {column}" if column else "Filtering events")

        def work(progress, cancelled):
            return view_rows(events, column, descending, flt, progress, cancelled)

        def done(rows: np.ndarray) -> None:
            if generation != self._generation:
                return
            self._query = None
            if structure != self.document.store.structure_version:
                self._requery()  # rows were added or removed meanwhile
                return
            self._set_view(rows)
            self.query_finished.emit()

        def ended() -> None:
            if generation == self._generation:
                self._query = None

        self.query_started.emit()
        task = self.runner.run(label, work, on_done=done, on_cancel=ended, on_error=lambda exc: ended(),
                               quiet=len(events) < 20_000)
        if task.running:
            self._query = task

    @property
    def busy(self) -> bool:
        return self._query is not None

    def _set_view(self, rows: np.ndarray) -> None:
        self.beginResetModel()
        self._view = rows
        self._inverse = None
        self.endResetModel()
        self._emit_counts()

    def _emit_counts(self) -> None:
        self.counts_changed.emit(len(self._view), len(self.document.events))

    @property
    def shown(self) -> int:
        return len(self._view)

    def source_rows(self, view_rows_: Any) -> list[int]:
        """Store indices of some table rows."""
        return self._view[np.asarray(view_rows_, dtype=np.int64)].tolist()

    def source_rows_of_ranges(self, ranges: list[tuple[int, int]]) -> list[int]:
        """Store indices of the rows in (top, bottom) ranges, in table order."""
        if not ranges:
            return []
        parts = [self._view[top:bottom + 1] for top, bottom in sorted(ranges)]
        return np.unique(np.concatenate(parts)).tolist() if len(parts) > 1 else parts[0].tolist()

    def view_rows_of(self, source_rows: Any) -> np.ndarray:
        """Table rows of some store indices (-1 for rows the filter hides)."""
        if self._inverse is None or len(self._inverse) != len(self.document.events):
            inverse = np.full(len(self.document.events), -1, dtype=np.int64)
            inverse[self._view] = np.arange(len(self._view), dtype=np.int64)
            self._inverse = inverse
        src = np.asarray(source_rows, dtype=np.int64)
        return self._inverse[src] if len(src) else src

    # --- following the document -------------------------------------------------------
    def _on_reloaded(self) -> None:
        self._generation += 1
        if self._query is not None:
            self._query.cancel()
            self._query = None
        self._set_view(np.arange(len(self.document.events), dtype=np.int64))
        if self.sort_column is not None or not self.filter.is_empty():
            self._requery()

    def _on_changed(self, change: Change) -> None:
        n_cols = len(COLUMNS)
        if change.kind == "fields" or change.kind == "context":
            if len(self._view):
                self.dataChanged.emit(self.index(0, 0), self.index(len(self._view) - 1, n_cols - 1))
            return
        rows = np.asarray(sorted(change.rows), dtype=np.int64)
        if change.kind == "removed":
            keep = ~np.isin(self._view, rows)
            view = self._view[keep]
            # Each surviving index moves down by the removed rows before it.
            view = view - np.searchsorted(rows, view)
            self._set_view(view)
        elif change.kind == "inserted":
            total = len(self.document.events)
            natural = self.sort_column is None and self.filter.is_empty()
            at_end = len(rows) and rows[0] == total - len(rows)
            if natural and not at_end:
                # Rows put back in the middle (undo of a delete): show them in place.
                self._set_view(np.arange(total, dtype=np.int64))
                return
            survivors = np.setdiff1d(np.arange(total, dtype=np.int64), rows, assume_unique=True)
            view = survivors[self._view] if len(self._view) else self._view
            # New rows show at the end, whatever the filter, so the user sees them.
            self.beginInsertRows(QModelIndex(), len(view), len(view) + len(rows) - 1)
            self._view = np.concatenate([view, rows])
            self._inverse = None
            self.endInsertRows()
            self._emit_counts()
