"""The Indicators tab: what the nightly run would send, night by night.

Run options (run date, "ignore monthly date protection", an optional range
end), the indicators with their validation and rule source, a detail pane
(exact JSON payload, the rule in words), the skipped events, and banners
when the consent gate or the monthly date protection hold anything back.
The preview is recomputed a moment after each edit, in a worker process
(``rules.preview_process``) that is fed the events once and then the edits,
so that computing it never holds the interpreter lock the UI thread needs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QGroupBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton,
    QTableView, QVBoxLayout, QWidget,
)

from dacc_gui.events import edits
from dacc_gui.events.edits import Change
from dacc_gui.ui.common.date_edit import DateEdit
from dacc_gui.ui.common import errors
from dacc_gui.ui.common.document import EventsDocument
from dacc_gui.ui.indicators.models import IndicatorTableModel, SkippedTableModel
from dacc_gui.rules.preview import Preview, PreviewRow, dumps_json
from dacc_gui.rules.preview_process import InlinePreviewer, PreviewWorker, WorkerCrashed, release
from dacc_gui.ui.common.settings import Settings
from dacc_gui.ui.common.splitter import splitter
from dacc_gui.ui.common.table_model import ROW_ROLE
from dacc_gui.ui.common.table_view import table_view
from dacc_gui.ui.common.tasks import TaskRunner

log = logging.getLogger(__name__)

BANNER_STYLE = "QLabel { background: #fff3c4; border: 1px solid #e0c060; padding: 6px; }"


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


class IndicatorsView(QWidget):
    """The Indicators tab."""

    events_selected = Signal(list)  # store indices of the events behind the selected indicator
    show_events = Signal()  # the user asked to see them in the Events tab
    preview_changed = Signal(object)  # a new Preview
    status = Signal(str)
    _worker_stopped = Signal(str)  # from the worker's listening thread

    def __init__(self, document: EventsDocument, runner: TaskRunner, settings: Settings,
                 today: Callable[[], date] = date.today, parent: QWidget | None = None,
                 previewer: PreviewWorker | InlinePreviewer | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.runner = runner
        self.settings = settings
        self.today = today
        self.previewer = previewer if previewer is not None else PreviewWorker()
        self.previewer.on_crash = self._worker_stopped.emit
        self._worker_stopped.connect(self._on_worker_stopped)
        self._crashes = 0  # in a row, without a preview computed between them
        self.preview = Preview()
        self._task = None
        self._generation = 0
        self._structure = -1
        self.model = IndicatorTableModel(self)
        self.skipped_model = SkippedTableModel(self)
        self._build()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(max(0, settings.recompute_delay_ms))
        self._timer.timeout.connect(self._quiet_again)
        self._waiting = False  # an edit came while the timer ran: recompute when it ends
        document.changed.connect(self._on_changed)
        document.reloaded.connect(self._on_reloaded)
        self._show_detail(None)

    def add_action_button(self, button: QWidget) -> None:
        """A button of another feature (Send to receiver…), placed before the exports."""
        self._actions.insertWidget(self._actions.indexOf(self.export_json_button), button)

    # --- layout ---------------------------------------------------------------------
    def _build(self) -> None:
        today = self.today()
        self.run_date = DateEdit(_qdate(today))
        self.run_date.setCalendarPopup(True)
        self.run_date.setDisplayFormat("yyyy-MM-dd")
        self.run_date.setToolTip("The night of the run (the service runs at 01:00): it takes events of earlier days")
        self.ignore_monthly = QCheckBox("Ignore monthly date protection")
        self.ignore_monthly.setToolTip("Run the monthly part whatever the day, as the Ecolyo page's local-test recipe does")
        self.ignore_monthly.setChecked(self.settings.ignore_monthly_protection)
        self.range_check = QCheckBox("Simulate nights up to")
        self.range_check.setChecked(self.settings.simulate_range)
        self.range_end = DateEdit(_qdate(today + timedelta(days=max(0, self.settings.range_nights - 1))))
        self.range_end.setCalendarPopup(True)
        self.range_end.setDisplayFormat("yyyy-MM-dd")
        self.range_end.setEnabled(self.range_check.isChecked())
        self.range_check.toggled.connect(self.range_end.setEnabled)
        self.recompute_button = QPushButton("Recompute")
        self.state_label = QLabel()
        # Two rows, so that the tab fits beside the source panel on a 1280-pixel screen.
        options = QVBoxLayout()
        first, second = QHBoxLayout(), QHBoxLayout()
        first.addWidget(QLabel("Run date"))
        first.addWidget(self.run_date)
        first.addWidget(self.range_check)
        first.addWidget(self.range_end)
        first.addWidget(self.recompute_button)
        first.addStretch(1)
        second.addWidget(self.ignore_monthly)
        second.addStretch(1)
        second.addWidget(self.state_label)
        options.addLayout(first)
        options.addLayout(second)
        for signal in (self.run_date.dateChanged, self.range_end.dateChanged, self.ignore_monthly.toggled,
                       self.range_check.toggled):
            signal.connect(self._options_changed)
        self.recompute_button.clicked.connect(self.recompute)

        self.consent_banner = QLabel()
        self.monthly_banner = QLabel()
        self.range_error = QLabel()
        for banner in (self.consent_banner, self.monthly_banner, self.range_error):
            banner.setStyleSheet(BANNER_STYLE)
            banner.setWordWrap(True)
            banner.setVisible(False)

        self.table = table_view(self.model, (90, 220, 90, 60, 150, 150, 120, 80), single=True)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._on_current(cur))
        self.table.doubleClicked.connect(lambda _i: self.show_events.emit())

        # Detail pane.
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.payload_text = QPlainTextEdit()
        self.payload_text.setReadOnly(True)
        self.payload_text.setFont(mono)
        self.payload_text.setMaximumHeight(170)
        self.copy_button = QPushButton("Copy JSON")
        self.copy_button.clicked.connect(self.copy_payload)
        self.validation_label = QLabel()
        self.rule_label = QLabel()
        self.source_label = QLabel()
        self.events_label = QLabel()
        for label in (self.validation_label, self.rule_label, self.source_label, self.events_label):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.show_events_button = QPushButton("Show them in Events")
        self.show_events_button.clicked.connect(self.show_events.emit)
        detail = QWidget()
        dl = QVBoxLayout(detail)
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>Payload</b> (exactly what is POSTed)"))
        head.addStretch(1)
        head.addWidget(self.copy_button)
        dl.addLayout(head)
        dl.addWidget(self.payload_text)
        dl.addWidget(self.validation_label)
        dl.addWidget(QLabel("<b>Rule</b>"))
        dl.addWidget(self.rule_label)
        dl.addWidget(self.source_label)
        row = QHBoxLayout()
        row.addWidget(self.events_label, 1)
        row.addWidget(self.show_events_button)
        dl.addLayout(row)
        dl.addStretch(1)

        # Skipped events and notes.
        self.skipped_table = QTableView()
        self.skipped_table.setModel(self.skipped_model)
        self.skipped_table.verticalHeader().setVisible(False)
        self.skipped_table.horizontalHeader().setStretchLastSection(True)
        self.skipped_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.skipped_table.setColumnWidth(0, 90)
        self.skipped_table.setColumnWidth(1, 160)
        self.skipped_table.selectionModel().currentRowChanged.connect(lambda cur, _p: self._on_skipped(cur))
        self.notes_label = QLabel()
        self.notes_label.setWordWrap(True)
        self.skipped_box = QGroupBox("Skipped: events no rule could use")
        sl = QVBoxLayout(self.skipped_box)
        sl.addWidget(self.skipped_table)
        sl.addWidget(self.notes_label)

        self.apply_flags_button = QPushButton("Apply aggregated flags")
        self.apply_flags_button.setToolTip("Apply the run's aggregated flags to the events: mark aggregated the "
                                           "events the previewed nights take (undoable). "
                                           "The preview itself never changes the events.")
        self.apply_flags_button.clicked.connect(self.apply_aggregated_flags)
        self.export_json_button = QPushButton("Export JSON…")
        self.export_csv_button = QPushButton("Export CSV…")
        self.export_json_button.clicked.connect(lambda: self._ask_export("json"))
        self.export_csv_button.clicked.connect(lambda: self._ask_export("csv"))
        actions = self._actions = QHBoxLayout()
        actions.addWidget(self.apply_flags_button)
        actions.addStretch(1)
        actions.addWidget(self.export_json_button)
        actions.addWidget(self.export_csv_button)

        top = splitter(Qt.Orientation.Horizontal, (self.table, 3), (detail, 2))
        split = splitter(Qt.Orientation.Vertical, (top, 3), (self.skipped_box, 1))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(options)
        layout.addWidget(self.range_error)
        layout.addWidget(self.consent_banner)
        layout.addWidget(self.monthly_banner)
        layout.addWidget(split, 1)
        layout.addLayout(actions)

    # --- options ----------------------------------------------------------------------
    def first_night(self) -> date:
        return self.run_date.date().toPython()

    def last_night(self) -> date | None:
        return self.range_end.date().toPython() if self.range_check.isChecked() else None

    def _options_changed(self, *_args) -> None:
        self.settings.ignore_monthly_protection = self.ignore_monthly.isChecked()
        self.settings.simulate_range = self.range_check.isChecked()
        last = self.last_night()
        if last is not None:
            self.settings.range_nights = max(1, (last - self.first_night()).days + 1)
        self.schedule()

    # --- computing ----------------------------------------------------------------------
    def _on_changed(self, change: Change) -> None:
        self.previewer.changed(change, self.document.events)
        self.schedule()

    def _on_reloaded(self) -> None:
        self.previewer.reload()
        # A moment later: sending a million events to the worker while the
        # table paints them for the first time would slow that paint.
        self.schedule(at_once=False)

    def _on_worker_stopped(self, message: str) -> None:
        """The worker died (killed, out of memory): say so, and start another."""
        self._crashes += 1
        if self._crashes > 3:
            # It dies whatever it is given: wait for the user (Recompute starts one).
            self.state_label.setText("Preview stopped (its worker process keeps stopping)")
            return
        if not self.previewer.alive:  # a request may have started one already
            self.previewer.restart()
        log.info("Preview worker restarted")
        if self._task is None:
            self.state_label.setText("Preview worker restarted")
        self.status.emit(f"{message} It was restarted.")

    def shutdown(self) -> None:
        """Stop the worker (the window closes)."""
        self.previewer.on_crash = None
        self.previewer.close()

    def schedule(self, at_once: bool = True) -> None:
        """Recompute for an edit: at once after a quiet moment, else once when
        the burst is over (a field typed, a spin box held: edits come in bursts)."""
        if at_once and not self._timer.isActive():
            self.recompute()
            self._timer.start()  # edits in the next moment wait for its end
            return
        self._waiting = True
        self._timer.start()

    def _quiet_again(self) -> None:
        if self._waiting:
            self.recompute()

    def recompute(self) -> None:
        self._timer.stop()
        self._waiting = False
        first, last = self.first_night(), self.last_night()
        if last is not None and last < first:
            self.range_error.setText(f"The range ends ({last}) before the run date ({first}): "
                                     "pick a later end, or untick “Simulate nights up to”.")
            self.range_error.setVisible(True)
            return
        self.range_error.setVisible(False)
        if self._task is not None:
            self._task.cancel()
        self._generation += 1
        generation = self._generation
        n_events = len(self.document.events)
        ignore = self.ignore_monthly.isChecked()
        version = self.document.store.version
        structure = self.document.store.structure_version
        nights = ((last - first).days + 1) if last else 1
        self.state_label.setText("Computing…")
        request = self.previewer.request(self.document.events, self.document.context, first, last, ignore)

        def work(progress, cancelled):
            preview = request.result(progress, cancelled)  # waits for the worker, holding no lock
            preview.version = version
            return preview

        def done(preview: Preview) -> None:
            self._crashes = 0
            if generation != self._generation:
                return
            self._task = None
            self._structure = structure
            self.set_preview(preview)

        def failed(exc: BaseException) -> None:
            if generation != self._generation:
                return
            self._task = None
            self.state_label.setText("Not computed")
            if isinstance(exc, WorkerCrashed):
                errors.show_exception(self, "The preview stopped", exc,
                                      "Press Recompute to try again: it starts a new worker process if needed.")
                return
            errors.show_exception(self, "The preview could not be computed", exc,
                                  "Check the events flagged in the Events tab and the user context.")

        def cancelled() -> None:
            if generation == self._generation:
                self._task = None

        task = self.runner.run(
            f"Computing {nights:,} night{'s' if nights != 1 else ''} of indicators", work,
            on_done=done, on_error=failed, on_cancel=cancelled, quiet=n_events < 50_000 and nights < 60)
        if task.running:
            self._task = task

    @property
    def computing(self) -> bool:
        return self._task is not None or self._waiting

    def set_preview(self, preview: Preview) -> None:
        previous = [self.preview]
        self.preview = preview
        self.model.set_preview(preview)
        self.skipped_model.set_preview(preview)
        results = preview.results
        n_nights = len(results)
        self.state_label.setText(
            f"{len(preview.rows):,} indicator{'s' if len(preview.rows) != 1 else ''} from "
            f"{n_nights:,} night{'s' if n_nights != 1 else ''}")
        self.consent_banner.setVisible(preview.consent_blocked)
        self.consent_banner.setText(
            "<b>Consent gate:</b> the user has not accepted the CGU version with the DACC consent, so the run "
            "sends nothing and marks nothing aggregated. Tick “Consent to the DACC given” in the user context "
            "to see what it would send.")
        if preview.monthly_held_back:
            first = results[0]
            day = first.monthly_analysis_day
            nights = first.run_date.isoformat() if n_nights == 1 else \
                f"no night from {results[0].run_date} to {results[-1].run_date} is"
            where = f"the run date {nights} is not" if n_nights == 1 else nights
            self.monthly_banner.setText(
                f"<b>Monthly date protection:</b> the monthly indicators were not computed because {where} "
                f"the monthly analysis day (day {day} of the month). Tick “Ignore monthly date protection” to "
                "run them anyway, or pick a run date on that day.")
        self.monthly_banner.setVisible(preview.monthly_held_back)
        skipped = self.skipped_model.rowCount()
        notes = preview.notes()
        self.skipped_box.setTitle(f"Skipped: {skipped:,} event{'s' if skipped != 1 else ''} no rule could use")
        self.notes_label.setText("\n".join(notes[:20]) + (f"\n… and {len(notes) - 20} more" if len(notes) > 20 else ""))
        self.notes_label.setVisible(bool(notes))
        # Not aggregated_indices(): sorting a million of them here would stall the window.
        self.apply_flags_button.setEnabled(any(r.aggregated_indices for r in results))
        # No indicator is selected for the user: selecting one selects its
        # events in the Events tab, which must not change behind their back.
        self._show_detail(None)
        self.preview_changed.emit(preview)
        release(previous)  # freed a part at a time, off the UI thread

    # --- selection ------------------------------------------------------------------------
    def _on_current(self, current) -> None:  # noqa: ANN001
        row = current.data(ROW_ROLE) if current.isValid() else None
        self._show_detail(row)
        if row is not None:
            self.events_selected.emit(self.source_rows_of(row))

    def _on_skipped(self, current) -> None:  # noqa: ANN001
        item = current.data(ROW_ROLE) if current.isValid() else None
        if item is not None:
            _run, skipped = item
            if self._structure == self.document.store.structure_version:
                self.events_selected.emit([skipped.index])
            else:
                self.events_selected.emit(self.document.store.index_of_ids([skipped.event_id]))

    def source_rows_of(self, row: PreviewRow) -> list[int]:
        """Store indices of the events behind an indicator."""
        ids = row.indicator.event_ids
        rows = self.document.store.index_of_ids(ids)
        # Events without an id are named "#index" by the rules.
        rows += [int(i[1:]) for i in ids if isinstance(i, str) and i.startswith("#") and i[1:].isdigit()
                 and int(i[1:]) < len(self.document.events)]
        return sorted(set(rows))

    def current_row(self) -> PreviewRow | None:
        index = self.table.selectionModel().currentIndex()
        return index.data(ROW_ROLE) if index.isValid() else None

    def _show_detail(self, row: PreviewRow | None) -> None:
        has = row is not None
        self.copy_button.setEnabled(has)
        self.show_events_button.setEnabled(has and bool(row.indicator.event_ids))
        if not has:
            self.payload_text.setPlainText("")
            self.validation_label.setText("Select an indicator to see its payload and rule.")
            self.rule_label.setText("")
            self.source_label.setText("")
            self.events_label.setText("")
            return
        ind = row.indicator
        self.payload_text.setPlainText(json.dumps(ind.payload(), ensure_ascii=False, indent=2))
        v = row.validation
        verdict = {"ok": "The DACC would accept it (201).",
                   "warning": "The DACC would accept it (201), but:",
                   "error": "The DACC would refuse it:"}[v.level]
        self.validation_label.setText(verdict + "".join(f"\n• {m}" for m in v.messages()))
        self.rule_label.setText(ind.rule.text if ind.rule else "(no rule recorded)")
        self.source_label.setText(f"Source: {ind.rule.source_label}" if ind.rule else "")
        n = len(ind.event_ids)
        self.events_label.setText(f"Built from {n:,} event{'s' if n != 1 else ''}" if n else
                                  "Built from the user context, not from events")

    def copy_payload(self) -> None:
        row = self.current_row()
        if row is not None:
            QGuiApplication.clipboard().setText(row.indicator.payload_json())
            self.status.emit("Payload copied")

    # --- actions --------------------------------------------------------------------------
    def apply_aggregated_flags(self) -> bool:
        """Mark aggregated what the previewed nights take: one undoable command."""
        if self.computing or self._structure != self.document.store.structure_version:
            self.status.emit("The preview is being updated; try again in a moment.")
            return False
        rows = self.preview.aggregated_indices()
        results = self.preview.results
        what = (f"run of {results[0].run_date}" if len(results) == 1
                else f"runs of {results[0].run_date} to {results[-1].run_date}") if results else "run"
        command = edits.mark_aggregated(self.document.events, rows, what)
        if command is None:
            self.status.emit("Every event the run takes is already marked aggregated.")
            return False
        self.document.push(command)
        self.status.emit(command.label)
        return True

    def _ask_export(self, kind: str) -> None:
        from PySide6.QtWidgets import QFileDialog

        filters = "JSON (*.json)" if kind == "json" else "CSV (*.csv)"
        start = str(Path(self.settings.last_directory or Path.home()) / f"indicators.{kind}")
        path, _ = QFileDialog.getSaveFileName(self, "Export the indicators", start, filters)
        if path:
            self.export(path, kind)

    def export(self, path: str | Path, kind: str) -> None:
        """Write the preview as JSON (the ``compute`` output) or CSV, off the UI thread."""
        preview = self.preview
        path = Path(path)

        def work(_progress, _cancelled):
            text = dumps_json(preview) if kind == "json" else preview.to_csv()
            path.write_text(text, encoding="utf-8")
            return path

        self.runner.run(
            f"Exporting indicators to {path.name}", work, cancellable=False,
            on_done=lambda p: self.status.emit(f"Indicators exported to {p}"),
            on_error=lambda exc: errors.show_exception(self, "The indicators could not be exported", exc,
                                                       f"Nothing was written to {path}. Choose another place."))
