"""The received requests as a Qt table: a list model appended as they arrive, and its filters.

``RecordListModel`` keeps the receiver's records in arrival order. New ones
are queued by :meth:`RecordListModel.add` and inserted together a moment
later (one ``beginInsertRows`` per burst), so that a thousand requests a
second keep the window fluid. It also keeps the summary counts as they come,
so they never need a query over the whole store.

The model also narrows the rows by status, measure and a text (found in the
path, the body, the error or the warnings), without a proxy model.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap

from dacc_gui.dacc.groups import groups_text, value_text
from dacc_gui.receiver import Kind, Record
from dacc_gui.receiver.filters import FILTERS, status_filter

RECORD_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = ("Time", "Path", "Status", "Measure", "startDate", "Value", "Groups", "Warnings")
BATCH_MS = 200  # new records wait at most this long to be shown together (5 repaints a second)

LEVEL_COLOURS = {"ok": "#2e9d43", "warning": "#d99a00", "error": "#c62828"}
STATUS_FILTERS = (("All", "all"), *((f.label, f.name) for f in FILTERS))

_icons: dict[str, QIcon] = {}


def level_icon(level: str) -> QIcon:
    """A filled dot in the level's colour (made once)."""
    if level not in _icons:
        pixmap = QPixmap(12, 12)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(QBrush(QColor(LEVEL_COLOURS[level])))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(1, 1, 10, 10)
        painter.end()
        _icons[level] = QIcon(pixmap)
    return _icons[level]


def time_text(received_at: str) -> str:
    """``2021-12-09 10:02:03.123`` (UTC, as stored) from the ISO reception time."""
    return received_at.replace("T", " ").rstrip("Z")


class Summary:
    """The receiver's summary counts, kept up to date record by record."""

    def __init__(self) -> None:
        self.reset()

    def reset(self, counts: dict[str, Any] | None = None) -> None:
        counts = counts or {}
        self.total = counts.get("total", 0)
        self.accepted = counts.get("accepted", 0)
        self.warnings = counts.get("warnings", 0)
        self.requests = counts.get("requests", 0)
        self.dropped = counts.get("dropped", 0)
        self.by_measure: Counter[str] = Counter()  # accepted measures per name
        # 201s of production that store nothing, by reason ("value true is a boolean"...)
        self.not_stored: Counter[str] = Counter(counts.get("notStoredReasons") or {})
        # Requests the HTTP layer refused before any record existed (a garbled request line...)
        self.http_refused = int(counts.get("httpRefused") or 0)

    @property
    def rejected(self) -> int:
        return self.total - self.accepted

    def add(self, record: Record) -> None:
        self.requests += 1
        if record.kind != Kind.MEASURE:
            return
        self.total += 1
        if record.accepted:
            self.accepted += 1
            if record.warnings:
                self.warnings += 1
        if record.dropped:
            self.not_stored[record.not_stored_reason or "not stored"] += 1
        name = record.measure_name
        if name and record.accepted and not record.dropped:
            self.by_measure[name] += 1

    def text(self) -> str:
        line = (f"{self.total:,} measure{'s' if self.total != 1 else ''} received: "
                f"{self.accepted:,} accepted ({self.warnings:,} with warnings), {self.rejected:,} rejected"
                f" · {self.requests:,} request{'s' if self.requests != 1 else ''} in all")
        dropped = sum(self.not_stored.values())
        if dropped:
            line += (f" · {dropped:,} that production answers 201 but does not store, so counted in no "
                     f"aggregate ({self.not_stored_text()})")
        if self.http_refused:
            line += f" · {self.http_refused:,} refused by the HTTP layer before any record (not listed)"
        if self.dropped:
            line += f" · {self.dropped:,} oldest dropped (record cap)"
        return line

    def not_stored_text(self, most: int = 3) -> str:
        """``value is a boolean: 3, startDate "2022" is no timestamp: 1``, the most frequent first."""
        parts = [f"{reason}: {n:,}" for reason, n in self.not_stored.most_common(most)]
        rest = len(self.not_stored) - most
        return ", ".join(parts) + (f", {rest} more reason{'s' if rest != 1 else ''}" if rest > 0 else "")


class RecordListModel(QAbstractTableModel):
    """Received records, oldest first, appended in bursts, filtered in place.

    The rows are the records that pass the filters (status, measure, text).
    Each record's cells are worked out once, when it arrives, and ``multiData``
    answers every role of a cell in one call: painting must not call into
    Python once per role, as the receiver's threads compete for Python's lock.
    """

    counts_changed = Signal()

    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.records: list[Record] = []
        self.summary = Summary()
        self.status = "all"
        self.measure: str | None = None
        self.text = ""
        self._cells: list[tuple] = []  # per record: the display text of each column
        self._shown: list[int] = []  # indices into records, of the rows
        self._pending: list[Record] = []
        self._known_ids: set[int] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(BATCH_MS)
        self._timer.timeout.connect(self.flush)

    # --- filling -------------------------------------------------------------------
    def add(self, records: list[Record]) -> None:
        """Queue new records; they show within ``BATCH_MS``."""
        self._pending.extend(records)
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Take in what is queued now; the rows that pass the filters are inserted in one step."""
        self._timer.stop()
        batch = [r for r in self._pending if r.id is None or r.id not in self._known_ids]
        self._pending = []
        if not batch:
            return
        first_index = len(self.records)
        self.records.extend(batch)
        self._cells.extend(_cells(r) for r in batch)
        self._known_ids.update(r.id for r in batch if r.id is not None)
        for record in batch:
            self.summary.add(record)
        shown = [first_index + n for n, r in enumerate(batch) if self._passes(r)]
        if shown:
            first = len(self._shown)
            self.beginInsertRows(QModelIndex(), first, first + len(shown) - 1)
            self._shown.extend(shown)
            self.endInsertRows()
        self.counts_changed.emit()

    def load(self, records: list[Record], summary: dict[str, Any] | None = None) -> None:
        """Start over with the store's records (at start-up or after a clear)."""
        self._timer.stop()
        known = {r.id for r in records}
        newest = max(known, default=0) or 0
        # Arrived while the store was being read: keep those the read did not see.
        late = [r for r in self.records + self._pending if r.id is not None and r.id > newest]
        self.beginResetModel()
        self.records = list(records)
        self._cells = [_cells(r) for r in self.records]
        self._known_ids = known
        self._pending = []
        self._shown = self._matching()
        self.summary.reset(summary)
        self.summary.by_measure = Counter(r.measure_name for r in records if r.accepted and not r.dropped and r.measure_name)
        self.endResetModel()
        self.counts_changed.emit()
        if late:
            self.add(late)

    def clear(self) -> None:
        """Forget every record (the store was emptied)."""
        self._pending = []
        self.records = []
        self.load([], None)

    # --- filters ----------------------------------------------------------------------
    def set_filters(self, status: str | None = None, measure: str | None = None, text: str | None = None) -> None:
        """Change the filters given (``None``: keep); ``measure=""`` means every measure."""
        if status is not None:
            self.status = status or "all"
        if measure is not None:
            self.measure = measure or None
        if text is not None:
            self.text = text.strip().lower()
        self.beginResetModel()
        self._shown = self._matching()
        self.endResetModel()
        self.counts_changed.emit()

    def _passes(self, record: Record) -> bool:
        return matches(record, self.status, self.measure, self.text)

    def _matching(self) -> list[int]:
        if self.status == "all" and not self.measure and not self.text:
            return list(range(len(self.records)))
        return [n for n, r in enumerate(self.records) if self._passes(r)]

    @property
    def total(self) -> int:
        """Every record, shown or not."""
        return len(self.records)

    def record(self, row: int) -> Record:
        return self.records[self._shown[row]]

    def shown_records(self) -> list[Record]:
        return [self.records[n] for n in self._shown]

    # --- Qt model -------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._shown):
            return None
        n = self._shown[index.row()]
        role = int(role)
        if role == _RECORD:
            return self.records[n]
        if role == _TOOLTIP:
            return self._tooltip(self.records[n], index.column())
        return self._cell_role(n, index.column(), role)

    def _cell_role(self, n: int, column: int, role: int):  # noqa: ANN202
        """What painting asks (display, icon, alignment), with ints: enum compares are slow."""
        if role == _DISPLAY:
            return self._cells[n][column]
        if role == _DECORATION:
            return level_icon(self.records[n].level) if column == 2 else None
        if role == _ALIGNMENT:
            return _RIGHT if column == 5 else None
        return None

    @staticmethod
    def _tooltip(record: Record, column: int) -> str | None:
        if column == 2:
            return record.error or record.production_note or ("accepted" if record.accepted else record.response[:200])
        if column == 7 and record.warnings:
            return "\n".join(record.warnings)
        return None

    def multiData(self, index: QModelIndex | QPersistentModelIndex, span) -> None:  # noqa: N802, ANN001
        """Every role a delegate asks for, in one call into Python per cell."""
        row = index.row()
        if not 0 <= row < len(self._shown):
            return
        n, column = self._shown[row], index.column()
        cell_role = self._cell_role
        for role_data in span:
            value = cell_role(n, column, role_data.role())
            if value is None:
                role_data.clearData()  # the span is reused from cell to cell
            else:
                role_data.setData(value)


_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_RECORD = int(RECORD_ROLE)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def _cells(record: Record) -> tuple:
    return tuple(cell_text(record, column) for column in range(len(COLUMNS)))


def cell_text(record: Record, column: int) -> str:
    """What a column shows of a record."""
    measure = record.measure if isinstance(record.measure, dict) else None
    if column == 0:
        return time_text(record.received_at)
    if column == 1:
        return f"{record.method} {record.path}"
    if column == 2:
        return str(record.status) + (" ⚠" if record.production_note else "")
    if column == 3:
        return record.measure_name or ("" if record.kind == Kind.MEASURE else record.kind)
    if column == 4:
        return value_text(measure["startDate"]) if measure and "startDate" in measure else ""
    if column == 5:
        return value_text(measure["value"]) if measure and "value" in measure else ""
    if column == 6:
        return groups_text(measure)
    if column == 7:
        n = len(record.warnings)
        return f"{n} warning{'s' if n != 1 else ''}" if n else ""
    return ""


def matches(record: Record, status: str, measure: str | None, text: str) -> bool:
    """Whether a record passes the filters (``text`` already lower case)."""
    if status != "all" and not _status_matches(record, status):
        return False
    if measure and record.measure_name != measure:
        return False
    if text:
        haystack = " ".join((record.path, record.body_text, record.error or "", " ".join(record.warnings),
                             str(record.status), record.production_note or "")).lower()
        if text not in haystack:
            return False
    return True


def _status_matches(record: Record, status: str) -> bool:
    """The store's status filters (``Store.records(status=...)``), on one record."""
    return status_filter(status).test(record)
