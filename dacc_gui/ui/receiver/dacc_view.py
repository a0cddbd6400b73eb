"""The "as the DACC would show it" tab: ``/aggregate`` over what the receiver accepted.

Pick a measure and a period; the table and the chart show, per startDate and
group, what the DACC would publish (count, countNotZero, sum, min, max, avg,
std, quartiles when the measure has them). The groups with fewer
contributions than the privacy threshold, which the DACC keeps but never
publishes, are shown too, greyed and labelled "hidden: fewer than 5
contributions", so QA sees what is still missing. It follows new records.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QPushButton,
    QTableView, QVBoxLayout, QWidget,
)

from dacc_gui.dacc.measures import MeasureDefinition, load_catalog
from dacc_gui.receiver import AggregateQueryError
from dacc_gui.dacc.aggregate import timestamp
from dacc_gui.rules.series import hidden_label
from dacc_gui.ui.common.compact import compact_combo
from dacc_gui.ui.common.date_edit import DateEdit
from dacc_gui.ui.common import errors
from dacc_gui.ui.common.aggregate_chart import AggregateChart
from dacc_gui.ui.common.chart_style import HIDDEN_GREY
from dacc_gui.ui.receiver.controller import ReceiverController
from dacc_gui.ui.common.splitter import splitter
from dacc_gui.ui.common.table_model import RIGHT, RowTableModel, italic
from dacc_gui.ui.common.tasks import TaskRunner

STATISTICS = ("count", "countNotZero", "sum", "min", "max", "avg", "std")
QUARTILES = ("median", "firstQuartile", "thirdQuartile")
REFRESH_MS = 500  # new records: refresh at most this often


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def group_cell(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return "" if value is None else str(value)


def received_range(records) -> tuple[date, date] | None:  # noqa: ANN001
    """First and last startDate day of accepted records, or None."""
    days = []
    for record in records:
        if isinstance(record.measure, dict):
            ts = timestamp(record.measure.get("startDate"))
            if ts:
                days.append(date.fromisoformat(ts[:10]))
    return (min(days), max(days)) if days else None


class AggregateTableModel(RowTableModel):
    """Aggregate rows (``include_hidden``): published ones plain, hidden ones greyed."""

    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.columns: list[str] = []
        self.hidden_text = hidden_label()

    def set_rows(self, rows: list[dict[str, Any]], definition: MeasureDefinition | None) -> None:
        groups = [f"group{n}" for n in (1, 2, 3) if any(f"group{n}" in r for r in rows)
                  or (definition and getattr(definition, f"group{n}Key"))]
        stats = list(STATISTICS) + (list(QUARTILES) if definition and definition.withQuartiles else [])
        self.beginResetModel()
        self.rows = list(rows)
        self.columns = ["startDate", *groups, *stats, "published"]
        self.hidden_text = hidden_label(definition.aggregationThreshold if definition else None)
        self.endResetModel()

    def display(self, row: dict[str, Any], col: int) -> Any:
        column = self.columns[col]
        if column == "published":
            return self.hidden_text if row.get("hidden") else "published"
        if column == "startDate":
            return str(row.get("startDate", "")).removesuffix("T00:00:00")
        if column.startswith("group"):
            return group_cell(row.get(column))
        value = row.get(column)
        return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)

    def foreground(self, row: dict[str, Any], col: int) -> Any:
        return QBrush(QColor(HIDDEN_GREY)) if row.get("hidden") else None

    def font(self, row: dict[str, Any], col: int) -> Any:
        return italic() if row.get("hidden") else None

    def alignment(self, row: dict[str, Any], col: int) -> Any:
        return RIGHT if self.columns[col] in STATISTICS + QUARTILES else None

    def tooltip(self, row: dict[str, Any], col: int) -> Any:
        if not row.get("hidden"):
            return None
        return (f"{self.hidden_text}: the DACC keeps this group but does not publish it until "
                "enough users contribute to it")


class DaccView(QWidget):
    """Measure and period pickers, the aggregates as a table and as a chart."""

    def __init__(self, controller: ReceiverController, runner: TaskRunner,
                 today: Callable[[], date] = date.today, measure_counts: Callable[[], dict] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.runner = runner
        self.today = today
        self.measure_counts = measure_counts or (lambda: {})
        self.catalog = load_catalog()
        self.rows: list[dict[str, Any]] = []
        self._generation = 0
        self.stale = True
        self.model = AggregateTableModel(self)
        self._build()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh_if_shown)
        controller.records_received.connect(lambda _b: self._changed())
        controller.cleared.connect(self._changed)

    def _build(self) -> None:
        self.measure_combo = QComboBox()
        for name in self.catalog.names():
            self.measure_combo.addItem(name, name)
        today = self.today()
        self.start_date = DateEdit(_qdate(today - timedelta(days=30)))
        self.end_date = DateEdit(_qdate(today))
        for edit in (self.start_date, self.end_date):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.start_date.setToolTip("startDate from this day (included)")
        self.end_date.setToolTip("startDate up to this day (included; the DACC's endDate is the next day)")
        self.fit_button = QPushButton("Fit to received")
        self.fit_button.setToolTip("The period from the first to the last startDate received for this measure")
        self.refresh_button = QPushButton("Refresh")
        compact_combo(self.measure_combo, 20)
        # Two rows: the measure, then the period (one row was 800 pixels wide).
        bar = QVBoxLayout()
        first, second = QHBoxLayout(), QHBoxLayout()
        first.addWidget(QLabel("Measure"))
        first.addWidget(self.measure_combo)
        first.addStretch(1)
        second.addWidget(QLabel("startDate from"))
        second.addWidget(self.start_date)
        second.addWidget(QLabel("to"))
        second.addWidget(self.end_date)
        second.addWidget(self.fit_button)
        second.addWidget(self.refresh_button)
        second.addStretch(1)
        bar.addLayout(first)
        bar.addLayout(second)
        self.caption = QLabel()
        self.caption.setWordWrap(True)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.chart = AggregateChart()
        # The measure is picked above; the chart's own picker would only repeat it.
        self.chart.measure_combo.setVisible(False)
        for label in self.chart.findChildren(QLabel):
            if label.text() == "Measure:":
                label.setVisible(False)
        split = splitter(Qt.Orientation.Vertical, (self.table, 2), (self.chart, 3), sizes=(240, 460))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.caption)
        layout.addWidget(split, 1)

        self.measure_combo.currentIndexChanged.connect(lambda _i: self.fit_to_received())
        self.start_date.dateChanged.connect(lambda _d: self.refresh())
        self.end_date.dateChanged.connect(lambda _d: self.refresh())
        self.fit_button.clicked.connect(self.fit_to_received)
        self.refresh_button.clicked.connect(self.refresh)

    # --- choices --------------------------------------------------------------------
    @property
    def measure(self) -> str:
        return self.measure_combo.currentData()

    def select_measure(self, name: str, fit: bool = True) -> None:
        index = self.measure_combo.findData(name)
        if index < 0:
            raise KeyError(f"unknown measure {name!r}")
        if index == self.measure_combo.currentIndex():
            self.fit_to_received() if fit else self.refresh()
        else:
            self.measure_combo.setCurrentIndex(index)

    def set_period(self, first: date, last: date) -> None:
        """startDates from ``first`` to ``last``, both included."""
        for edit, day in ((self.start_date, first), (self.end_date, last)):
            edit.blockSignals(True)
            edit.setDate(_qdate(day))
            edit.blockSignals(False)
        self.refresh()

    def period(self) -> tuple[date, date]:
        return self.start_date.date().toPython(), self.end_date.date().toPython()

    def pick_received_measure(self) -> None:
        """Show the measure with the most accepted records (when the tab opens)."""
        counts = self.measure_counts()
        if counts:
            self.select_measure(max(counts, key=counts.get))

    # --- computing ------------------------------------------------------------------
    def fit_to_received(self) -> None:
        """Set the period to what was received for the measure (in the background)."""
        measure = self.measure
        store = self.controller.store

        def work(_p, _c):
            return received_range(store.records(status="accepted", measure=measure))

        def done(found) -> None:
            if measure != self.measure:
                return
            if found:
                self.set_period(*found)
            else:
                self.refresh()

        self.runner.run(f"Finding the {measure} startDates", work, on_done=done, quiet=True)

    def _changed(self) -> None:
        self.stale = True
        self._timer.start()

    def _refresh_if_shown(self) -> None:
        if self.isVisible():
            self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802, ANN001
        super().showEvent(event)
        if self.stale:
            if not self.rows:
                self.pick_received_measure()
            self.refresh()

    def refresh(self) -> None:
        """Ask the receiver for the aggregates, hidden groups included (off the UI thread)."""
        self.stale = False
        measure = self.measure
        first, last = self.period()
        if last < first:
            self.caption.setText(f"The period ends ({last}) before it starts ({first}): pick a later end.")
            return
        core = self.controller.core
        definition = self.catalog.get(measure)
        self._generation += 1
        generation = self._generation

        def work(_p, _c):
            return core.aggregate(measure, first.isoformat(), (last + timedelta(days=1)).isoformat(),
                                  include_hidden=True)

        def done(rows) -> None:
            if generation == self._generation:
                self.show_rows(rows, definition, first, last)

        def failed(exc: BaseException) -> None:
            if generation != self._generation:
                return
            if isinstance(exc, AggregateQueryError):
                self.caption.setText(f"The DACC would refuse this query: {exc}")
            else:
                errors.show_exception(self, "The aggregates could not be computed", exc)

        self.runner.run(f"Aggregating {measure}", work, on_done=done, on_error=failed, quiet=True)

    def show_rows(self, rows: list[dict[str, Any]], definition: MeasureDefinition | None,
                  first: date, last: date) -> None:
        self.rows = rows
        self.model.set_rows(rows, definition)
        self.chart.set_aggregates(rows)
        hidden = sum(1 for r in rows if r.get("hidden"))
        published = len(rows) - hidden
        threshold = definition.aggregationThreshold if definition else self.catalog.aggregationThreshold
        name = self.measure
        if not rows:
            self.caption.setText(f"No accepted {name} measure with a startDate from {first} to {last}: "
                                 "/aggregate would answer an empty list.")
            return
        self.caption.setText(
            f"<b>{name}</b>, startDate {first} to {last}: /aggregate would publish {published:,} "
            f"group{'s' if published != 1 else ''}; {hidden:,} more "
            f"{'are' if hidden != 1 else 'is'} kept but hidden (fewer than {threshold} contributions), "
            "shown greyed here.")

    def hidden_rows(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r.get("hidden")]
