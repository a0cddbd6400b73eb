"""The Compare tab: what the preview expects against what the receiver got.

Expected is the Indicators tab's preview (its run date or range, mirrored
here); received is what the app's receiver recorded, everything or since a
time (by default since "Run Ecolyo's service" last started). A verdict line
answers "did the service send exactly what it should have?", a table lists
every row (filter by category), the two payloads of the selected row sit
side by side with their differences highlighted, and "Export report…"
writes HTML or Markdown with the JSON beside it.

Reading the records and comparing run off the UI thread (``window.runner``);
new records refresh the comparison a moment after they arrive.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDateTime, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton,
    QTextEdit, QVBoxLayout, QWidget,
)

from dacc_gui.compare.comparison import CATEGORY_HELP, ORDER, Category, Comparison, Row, compare, expected_from_results, \
    received_from_records
from dacc_gui.compare.report import highlighted_lines, pretty, provenance, write_report
from dacc_gui.ui.common.date_edit import DateEdit, DateTimeEdit
from dacc_gui.ui.common import errors
from dacc_gui.ui.compare.model import CategoryFilter, CompareTableModel
from dacc_gui.ui.common.settings import Settings
from dacc_gui.ui.common.splitter import splitter
from dacc_gui.ui.common.table_model import ROW_ROLE
from dacc_gui.ui.common.table_view import table_view
from dacc_gui.ui.common.tasks import TaskRunner

REFRESH_DELAY_MS = 400  # records come in bursts: one refresh per burst
VERDICT_STYLE = {
    True: "QLabel { background: #dff3df; border: 1px solid #7cbf7c; padding: 6px; font-weight: bold; }",
    False: "QLabel { background: #fbe0e0; border: 1px solid #d98080; padding: 6px; font-weight: bold; }",
    None: "QLabel { background: #f0f0f0; border: 1px solid #c8c8c8; padding: 6px; }",
}
DIFF_BACKGROUND = "#ffe08a"
REPORT_FILTERS = {"HTML report (*.html)": "html", "Markdown report (*.md)": "md"}


def utc_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def payload_html(text: str, differing: list[str]) -> str:
    """A payload for a QTextEdit, its differing fields on a yellow background."""
    lines = [f'<span style="background:{DIFF_BACKGROUND}">{html.escape(line)}</span>' if hit else html.escape(line)
             for line, hit in highlighted_lines(text, differing)]
    return "<pre>" + "\n".join(lines) + "</pre>"


class CompareView(QWidget):
    """The Compare tab."""

    status = Signal(str)
    run_service_requested = Signal()
    comparison_changed = Signal(object)  # a Comparison

    def __init__(self, indicators_view: Any, runner: TaskRunner, settings: Settings,
                 controller: Callable[[], Any] = lambda: None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.indicators_view = indicators_view
        self.runner = runner
        self.settings = settings
        self._controller_of = controller
        self._controller: Any = None
        self.comparison: Comparison | None = None
        self._since: datetime | None = None
        self._generation = 0
        self._stale = True
        self._task: Any = None  # the refresh being read, if any
        self.model = CompareTableModel(self)
        self.proxy = CategoryFilter(self)
        self.proxy.setSourceModel(self.model)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self._build()
        self._mirror_run_options()
        indicators_view.preview_changed.connect(lambda _p: self.schedule())
        self._show_detail(None)

    # --- layout -------------------------------------------------------------------------
    def _build(self) -> None:
        iv = self.indicators_view
        self.run_date = DateEdit(iv.run_date.date())
        self.range_check = QCheckBox("nights up to")
        self.range_end = DateEdit(iv.range_end.date())
        for edit in (self.run_date, self.range_end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.run_date.setToolTip("The Indicators tab's run date: changing it here changes it there")
        self.expected_label = QLabel()
        self.expected_label.setWordWrap(True)
        expected = QHBoxLayout()
        expected.addWidget(QLabel("<b>Expected</b>: the preview for run date"))
        expected.addWidget(self.run_date)
        expected.addWidget(self.range_check)
        expected.addWidget(self.range_end)
        expected.addWidget(self.expected_label, 1)

        self.received_mode = QComboBox()
        self.received_mode.addItems(["Everything received", "Received since"])
        self.since_edit = DateTimeEdit(QDateTime.currentDateTime())
        self.since_edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        self.since_edit.setCalendarPopup(True)
        self.since_edit.setToolTip("Local time; set to when “Run Ecolyo's service” last started")
        self.since_edit.setEnabled(False)
        self.refresh_button = QPushButton("Refresh")
        self.receiver_label = QLabel()
        self.receiver_label.setWordWrap(True)
        received = QHBoxLayout()
        received.addWidget(QLabel("<b>Received</b>:"))
        received.addWidget(self.received_mode)
        received.addWidget(self.since_edit)
        received.addWidget(self.refresh_button)
        received.addWidget(self.receiver_label, 1)
        self.received_mode.currentIndexChanged.connect(self._mode_changed)
        self.since_edit.dateTimeChanged.connect(self._since_edited)
        self.refresh_button.clicked.connect(self.refresh)

        self.verdict_label = QLabel()
        self.verdict_label.setWordWrap(True)
        self.verdict_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.category_combo = QComboBox()
        self.category_combo.currentIndexChanged.connect(self._category_changed)
        self.export_button = QPushButton("Export report…")
        self.export_button.clicked.connect(self.ask_export)
        self.run_service_button = QPushButton("Run Ecolyo's service…")
        self.run_service_button.clicked.connect(self.run_service_requested.emit)
        filters = QHBoxLayout()
        filters.addWidget(QLabel("Show"))
        filters.addWidget(self.category_combo)
        filters.addStretch(1)
        filters.addWidget(self.run_service_button)
        filters.addWidget(self.export_button)

        self.table = table_view(self.proxy, (100, 200, 90, 190, 70, 70, 85, 170, 50), single=True)
        self.table.setSortingEnabled(True)
        # Problems first: missing, unexpected, different, matched (a stable sort keeps the run's order within).
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._on_current(cur))

        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.expected_text = QTextEdit()
        self.received_text = QTextEdit()
        self.expected_title = QLabel("<b>Expected</b>")
        self.received_title = QLabel("<b>Received</b>")
        sides = QHBoxLayout()
        for title, text in ((self.expected_title, self.expected_text), (self.received_title, self.received_text)):
            text.setReadOnly(True)
            text.setFont(mono)
            text.setLineWrapMode(QTextEdit.LineWrapMode.NoWrap)
            column = QVBoxLayout()
            title.setWordWrap(True)
            column.addWidget(title)
            column.addWidget(text, 1)
            sides.addLayout(column, 1)
        self.notes_label = QLabel()
        self.notes_label.setWordWrap(True)
        self.notes_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        detail = QWidget()
        dl = QVBoxLayout(detail)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addLayout(sides, 1)
        dl.addWidget(self.notes_label)

        split = splitter(Qt.Orientation.Vertical, (self.table, 3), (detail, 2))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(expected)
        layout.addLayout(received)
        layout.addWidget(self.verdict_label)
        layout.addLayout(filters)
        layout.addWidget(split, 1)
        self._fill_categories()

    def _mirror_run_options(self) -> None:
        """One run date: the Indicators tab's; editing it here edits it there."""
        iv = self.indicators_view
        pairs = ((self.run_date, iv.run_date), (self.range_end, iv.range_end))
        for mine, theirs in pairs:
            theirs.dateChanged.connect(lambda d, w=mine: self._quietly(w, w.setDate, d))
            mine.dateChanged.connect(theirs.setDate)
        iv.range_check.toggled.connect(lambda on: self._quietly(self.range_check, self.range_check.setChecked, on))
        iv.range_check.toggled.connect(self.range_end.setEnabled)
        self.range_check.toggled.connect(iv.range_check.setChecked)
        self.range_check.setChecked(iv.range_check.isChecked())
        self.range_end.setEnabled(iv.range_check.isChecked())

    @staticmethod
    def _quietly(widget: QWidget, setter: Callable, value: Any) -> None:
        widget.blockSignals(True)
        setter(value)
        widget.blockSignals(False)

    # --- the receiver -----------------------------------------------------------------
    def controller(self) -> Any:
        """The app's receiver controller (found late: it may be installed after this view)."""
        found = self._controller_of()
        if found is not None and found is not self._controller:
            self._controller = found
            found.record_received.connect(lambda _r: self.schedule())
            found.state_changed.connect(lambda _s: self.schedule())
        return found

    def receiver(self) -> Any:
        controller = self.controller()
        return getattr(controller, "receiver", None) if controller is not None else None

    def received_store(self) -> Any:
        """Where the received records are: the controller's store, open whether it serves or not."""
        controller = self.controller()
        store = getattr(controller, "store", None) if controller is not None else None
        if store is None:
            receiver = self.receiver()
            store = receiver.store if receiver is not None else None
        return store

    # --- received: since when ------------------------------------------------------------
    @property
    def since(self) -> datetime | None:
        """Received at or after this (UTC), or None for everything."""
        return self._since if self.received_mode.currentIndex() == 1 else None

    def set_since(self, moment: datetime | None) -> None:
        """Compare against what arrived since ``moment`` (aware, or naive UTC); None for everything."""
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        self._since = moment
        if moment is not None:
            local = moment.astimezone().replace(tzinfo=None)
            self._quietly(self.since_edit, self.since_edit.setDateTime, QDateTime(local))
        self._quietly(self.received_mode, self.received_mode.setCurrentIndex, 0 if moment is None else 1)
        self.since_edit.setEnabled(moment is not None)
        self.refresh()

    def _mode_changed(self, index: int) -> None:
        self.since_edit.setEnabled(index == 1)
        if index == 1 and self._since is None:
            self._since_edited(self.since_edit.dateTime())
            return
        self.refresh()

    def _since_edited(self, value: QDateTime) -> None:
        self._since = value.toPython().astimezone(timezone.utc)  # naive local -> UTC
        self.refresh()

    # --- comparing -------------------------------------------------------------------------
    def schedule(self) -> None:
        """Refresh a moment from now if shown, else when next shown."""
        self._stale = True
        if self.isVisible():
            self._refresh_timer.start()

    def showEvent(self, event) -> None:  # noqa: N802, ANN001
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def describe_expected(self) -> str:
        results = self.indicators_view.preview.results
        if not results:
            return "no preview yet"
        first, last = results[0].run_date, results[-1].run_date
        text = f"the preview for run date {first}" if first == last else f"the preview for nights {first} to {last}"
        if self.indicators_view.preview.ignore_monthly_date_protection:
            text += " (monthly date protection ignored)"
        return text

    def describe_received(self, receiver: Any) -> str:
        where = f" by the receiver on {receiver.url}" if receiver is not None else ""
        since = self.since
        return (f"received since {utc_text(since)}" if since else "everything received") + where

    def refresh(self) -> None:
        """Read the received measures and compare them with the preview, in the background."""
        self._refresh_timer.stop()
        if self._task is not None and self._task.running:
            # A flood of records: one read at a time, the next one once this one is done.
            self._stale = True
            return
        self._stale = False
        if self.indicators_view.computing:
            self.expected_label.setText("computing the preview…")
            self._stale = True
            return  # preview_changed brings us back
        expected = expected_from_results(self.indicators_view.preview.results)
        expected_from = self.describe_expected()
        n = len(expected)
        self.expected_label.setText(f"{n:,} indicator{'s' if n != 1 else ''}")
        receiver = self.receiver()
        since = self.since
        received_from = self.describe_received(receiver)
        self._generation += 1
        generation = self._generation
        # The records stay stored while the receiver is stopped (or moving to another port): compare with them.
        store = self.received_store()
        if store is None:
            self.receiver_label.setText("The receiver is not running: start it to receive what the service sends.")
            self.set_comparison(compare(expected, [], expected_from, "nothing: the receiver is not running"))
            return
        if receiver is None:
            self.receiver_label.setText("The receiver is not running: comparing with what it stored; start it to "
                                        "receive more.")
            received_from += " by the receiver (stopped)"
        else:
            self.receiver_label.setText(f"Receiver on {receiver.url}")

        def work(_progress, _cancelled):
            records = store.records(kind="measure", since=since)
            return compare(expected, received_from_records(records), expected_from, received_from)

        def done(comparison: Comparison) -> None:
            if generation == self._generation:
                self.set_comparison(comparison)

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                errors.show_exception(self, "The received measures could not be read", exc,
                                      "The comparison was not updated. Try Refresh.")

        def ended() -> None:
            self._task = None
            if self._stale:
                self.schedule()

        task = self.runner.run("Comparing expected and received indicators", work, on_done=done, on_error=failed,
                               quiet=True)
        if task.running:
            self._task = task
            task.ended.connect(ended)

    def set_comparison(self, comparison: Comparison) -> None:
        previous = self.current_row()
        self.comparison = comparison
        self.model.set_comparison(comparison)
        self.verdict_label.setText(comparison.verdict)
        self.verdict_label.setStyleSheet(VERDICT_STYLE[comparison.ok if comparison.rows else None])
        self.verdict_label.setToolTip(f"Expected: {comparison.expected_from}\nReceived: {comparison.received_from}")
        self._fill_categories()
        self._reselect(previous)
        self.comparison_changed.emit(comparison)

    def _reselect(self, previous: Row | None) -> None:
        """Keep the same pair selected across refreshes when it is still there."""
        target = 0
        if previous is not None:
            key = _row_identity(previous)
            for r in range(self.proxy.rowCount()):
                if _row_identity(self.proxy.index(r, 0).data(ROW_ROLE)) == key:
                    target = r
                    break
        if self.proxy.rowCount():
            self.table.selectRow(target)
            self._on_current(self.proxy.index(target, 0))
        else:
            self._show_detail(None)

    # --- filter --------------------------------------------------------------------------
    def _fill_categories(self) -> None:
        counts = self.comparison.counts() if self.comparison else {c.value: 0 for c in Category}
        current = self.category_combo.currentData()
        self.category_combo.blockSignals(True)
        self.category_combo.clear()
        self.category_combo.addItem(f"All ({sum(counts.values()):,})", None)
        for category in ORDER:
            self.category_combo.addItem(f"{category.label} ({counts[category.value]:,})", category.value)
            self.category_combo.setItemData(self.category_combo.count() - 1, CATEGORY_HELP[category],
                                            Qt.ItemDataRole.ToolTipRole)
        index = self.category_combo.findData(current)
        self.category_combo.setCurrentIndex(max(0, index))
        self.category_combo.blockSignals(False)

    def show_category(self, category: Category | None) -> None:
        self.category_combo.setCurrentIndex(max(0, self.category_combo.findData(
            category.value if category is not None else None)))

    def _category_changed(self, _index: int) -> None:
        value = self.category_combo.currentData()
        self.proxy.set_category(Category(value) if value else None)
        self._reselect(self.current_row())

    # --- detail ------------------------------------------------------------------------------
    def current_row(self) -> Row | None:
        index = self.table.selectionModel().currentIndex()
        return index.data(ROW_ROLE) if index.isValid() else None

    def _on_current(self, current) -> None:  # noqa: ANN001
        self._show_detail(current.data(ROW_ROLE) if current.isValid() else None)

    def _show_detail(self, row: Row | None) -> None:
        if row is None:
            self.expected_text.clear()
            self.received_text.clear()
            self.expected_title.setText("<b>Expected</b>")
            self.received_title.setText("<b>Received</b>")
            self.notes_label.setText("Select a row to see the expected and received payloads side by side.")
            return
        if row.expected is not None:
            self.expected_text.setHtml(payload_html(pretty(row.expected.payload), row.differences))
            self.expected_title.setText(f"<b>Expected</b> {html.escape(provenance(row.expected, sources=False))}")
            self.expected_title.setToolTip(row.expected.rule_text + (f"\nSource: {row.expected.rule_source}"
                                                                     if row.expected.rule_source else ""))
        else:
            self.expected_text.setPlainText("(not expected)")
            self.expected_title.setText("<b>Expected</b>")
            self.expected_title.setToolTip("")
        rec = row.received
        if rec is not None:
            text = pretty(rec.payload) if rec.payload is not None else rec.body
            self.received_text.setHtml(payload_html(text, row.differences))
            where = f"record {rec.record_id}, {rec.received_at}, answered {rec.status}" if rec.record_id is not None \
                else "given"
            self.received_title.setText(f"<b>Received</b> {html.escape(where)}")
        else:
            self.received_text.setPlainText("(not received)")
            self.received_title.setText("<b>Received</b>")
        notes = [f"<b>{row.category.label}</b>: {html.escape(CATEGORY_HELP[row.category])}."]
        if row.differences:
            notes.append(f"Differs in: <b>{html.escape(', '.join(row.differences))}</b>")
        notes += [f"⚠ {html.escape(w)}" for w in row.warnings]
        self.notes_label.setText("<br>".join(notes))

    # --- export ---------------------------------------------------------------------------------
    def ask_export(self) -> None:
        if self.comparison is None:
            self.status.emit("Nothing compared yet.")
            return
        start = str(Path(self.settings.last_directory or Path.home()) / "dacc-comparison.html")
        path, chosen = QFileDialog.getSaveFileName(self, "Export the comparison", start, ";;".join(REPORT_FILTERS))
        if path:
            kind = Path(path).suffix.lstrip(".").lower()
            if kind not in ("html", "htm", "md", "markdown"):
                kind = REPORT_FILTERS.get(chosen, "html")
                path = f"{path}.{kind}"
            self.export(path, kind)

    def export(self, path: str | Path, kind: str | None = None) -> None:
        """Write the report (HTML or Markdown) and its JSON beside it, off the UI thread."""
        comparison = self.comparison
        if comparison is None:
            self.status.emit("Nothing compared yet.")
            return
        path = Path(path)

        def done(written: tuple[Path, Path]) -> None:
            self.status.emit(f"Comparison report written to {written[0]} (JSON: {written[1].name})")

        self.runner.run(
            f"Writing {path.name}", lambda _p, _c: write_report(comparison, path, kind), cancellable=False,
            on_done=done,
            on_error=lambda exc: errors.show_exception(self, "The report could not be written", exc,
                                                       f"Nothing was written to {path}. Choose another place."))


def _row_identity(row: Row | None) -> tuple:
    if row is None:
        return ()
    return (row.category, row.expected.index if row.expected else None,
            row.received.record_id if row.received else None)
