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
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QPushButton,
    QTableView, QVBoxLayout, QWidget,
)

from dacc_gui.dacc.measures import MeasureDefinition, load_catalog
from dacc_gui.receiver import AggregateQueryError
from dacc_gui.dacc.aggregate import timestamp
from dacc_gui.ui.common.compact import compact_combo
from dacc_gui.ui.common.date_edit import DateEdit
from dacc_gui.ui.common import errors
from dacc_gui.ui.common.aggregate_chart import AggregateChart
from dacc_gui.ui.common.aggregate_table import AggregateTableModel
from dacc_gui.ui.receiver.controller import ReceiverController
from dacc_gui.ui.common.splitter import splitter
from dacc_gui.ui.common.tasks import TaskRunner

REFRESH_MS = 500  # new records: refresh at most this often


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def received_range(records) -> tuple[date, date] | None:  # noqa: ANN001
    """First and last startDate day of accepted records, or None."""
    days = []
    for record in records:
        if isinstance(record.measure, dict):
            ts = timestamp(record.measure.get("startDate"))
            if ts:
                days.append(date.fromisoformat(ts[:10]))
    return (min(days), max(days)) if days else None


class DaccView(QWidget):
    """Measure and period pickers, the aggregates as a table and as a chart."""

    def __init__(self, controller: ReceiverController, runner: TaskRunner,
                 today: Callable[[], date] = date.today, measure_counts: Callable[[], dict] | None = None,
                 summary: Callable[[], Any] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.runner = runner
        self.today = today
        self.measure_counts = measure_counts or (lambda: {})
        self.summary = summary or (lambda: None)  # the Receiver tab's counts: what production did not store
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
        controller.switched.connect(self._changed)

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
        self.view_combo = QComboBox()
        self.view_combo.addItem("Live: everything received", "live")
        self.view_combo.addItem("As production shows it: its aggregation passes", "production")
        self.view_combo.setToolTip(
            "Live recomputes the aggregates over every measure production would have stored. Production "
            "aggregates only in its passes (a cron, on each measure's executionFrequency) and shows what the "
            "last pass saved, rounded to 2 decimals.")
        compact_combo(self.view_combo, 20)
        self.pass_button = QPushButton("Run an aggregation pass")
        self.pass_button.setToolTip("Aggregate what arrived since the last pass, as production's cron does "
                                    "(forced, whatever the executionFrequency)")
        self.pass_label = QLabel()
        self.pass_label.setWordWrap(True)
        compact_combo(self.measure_combo, 20)
        # Three rows: the measure, the period, the view (one row was 800 pixels wide).
        bar = QVBoxLayout()
        first, second, third = QHBoxLayout(), QHBoxLayout(), QHBoxLayout()
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
        third.addWidget(QLabel("View"))
        third.addWidget(self.view_combo)
        third.addWidget(self.pass_button)
        third.addWidget(self.pass_label, 1)
        bar.addLayout(first)
        bar.addLayout(second)
        bar.addLayout(third)
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
        self.view_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.pass_button.clicked.connect(self.run_pass)

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

        view = self.view

        def work(_p, _c):
            rows = core.aggregate(measure, first.isoformat(), (last + timedelta(days=1)).isoformat(),
                                  include_hidden=True, view=view)
            return rows, core.aggregation_status()

        def done(result) -> None:
            if generation == self._generation:
                rows, status = result
                self.show_pass_status(status)
                self.show_rows(rows, definition, first, last)

        def failed(exc: BaseException) -> None:
            if generation != self._generation:
                return
            if isinstance(exc, AggregateQueryError):
                self.caption.setText(f"The DACC would refuse this query: {exc}")
            else:
                errors.show_exception(self, "The aggregates could not be computed", exc)

        self.runner.run(f"Aggregating {measure}", work, on_done=done, on_error=failed, quiet=True)

    @property
    def view(self) -> str:
        """``live`` or ``production`` (see the View picker)."""
        return self.view_combo.currentData()

    def set_view(self, view: str) -> None:
        self.view_combo.setCurrentIndex(self.view_combo.findData(view))

    def run_pass(self):  # noqa: ANN201
        """Production's aggregation pass now, off the UI thread; then the production view."""
        core = self.controller.core
        self.pass_button.setEnabled(False)

        def done(outcomes) -> None:
            self.pass_button.setEnabled(True)
            ran = [o for o in outcomes if o.ran]
            failed = [o for o in ran if not o.ok]
            text = (f"Aggregation pass: {sum(o.raw_rows for o in ran):,} new measures into "
                    f"{sum(o.groups for o in ran):,} groups")
            if failed:
                text += " · failed for " + ", ".join(f"{o.measure_name} ({o.error})" for o in failed)
            self.pass_label.setToolTip(text)
            if self.view != "production":
                self.set_view("production")  # refreshes
            else:
                self.refresh()

        def failed(exc: BaseException) -> None:
            self.pass_button.setEnabled(True)
            errors.show_exception(self, "The aggregation pass did not run", exc,
                                  "The records are untouched; try again.")

        return self.runner.run("Running an aggregation pass", lambda _p, _c: core.run_aggregation(),
                               on_done=done, on_error=failed)

    def show_pass_status(self, status: dict[str, Any]) -> None:
        last = status.get("lastPassAt")
        self.pass_label.setText(f"Last pass: {last.replace('T', ' ').rstrip('Z')} UTC" if last
                                else "No aggregation pass yet: the production view is empty until one runs")

    def show_rows(self, rows: list[dict[str, Any]], definition: MeasureDefinition | None,
                  first: date, last: date) -> None:
        self.rows = rows
        self.model.set_rows(rows, definition)
        self.chart.set_aggregates(rows)
        hidden = sum(1 for r in rows if r.get("hidden"))
        published = len(rows) - hidden
        threshold = definition.aggregationThreshold if definition else self.catalog.aggregationThreshold
        name = self.measure
        source = ("Live, over every measure production would store" if self.view == "live"
                  else "As production's aggregation passes saved it")
        closed = ""
        if definition is not None and not definition.accessApp:
            closed = (f" The real /aggregate answers 403 for {name} (accessApp false): only Metabase, reading "
                      "the aggregation table, sees these figures.")
        left_out = self.summary()
        if left_out is not None and left_out.not_stored:
            closed += (f" Left out everywhere: {sum(left_out.not_stored.values()):,} measures production answers "
                       f"201 but does not store ({left_out.not_stored_text()}).")
        if not rows:
            where = ("no accepted measure production would store" if self.view == "live"
                     else "nothing aggregated by a pass yet")
            self.caption.setText(f"{source}: {where} for {name} with a startDate from {first} to {last}: "
                                 f"/aggregate would answer an empty list.{closed}")
            return
        self.caption.setText(
            f"{source}. <b>{name}</b>, startDate {first} to {last}: /aggregate would publish {published:,} "
            f"group{'s' if published != 1 else ''}; {hidden:,} more "
            f"{'are' if hidden != 1 else 'is'} kept but hidden (fewer than {threshold} contributions), "
            f"shown greyed here.{closed}")

    def hidden_rows(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r.get("hidden")]
