"""The Receiver tab: what the built-in DACC receiver got, live.

Start/stop and port, the URL to give Ecolyo's service, the list of received
requests (appended as they arrive) with status, measure and text filters, a
detail pane, Clear (asks first), Export (JSON), fault injection, and the
summary counts.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QMessageBox, QPushButton, QSpinBox,
    QVBoxLayout, QWidget,
)

from dacc_gui.common.atomic import write_atomic
from dacc_gui.dacc.measures import load_catalog
from dacc_gui.ui.common import errors
from dacc_gui.ui.receiver.controller import ReceiverController
from dacc_gui.ui.receiver.detail import RecordDetail
from dacc_gui.ui.receiver.faults import FaultControls
from dacc_gui.ui.receiver.models import RECORD_ROLE, STATUS_FILTERS, RecordListModel
from dacc_gui.ui.common.compact import compact_combo
from dacc_gui.ui.common.splitter import splitter
from dacc_gui.ui.common.table_view import table_view
from dacc_gui.ui.common.tasks import TaskRunner

TEXT_FILTER_MS = 250
MAX_LOADED = 200_000  # records read back from the database when the tab opens (newest first)


class ReceiverPanel(QWidget):
    """The Receiver tab."""

    def __init__(self, controller: ReceiverController, runner: TaskRunner, settings, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.controller = controller
        self.runner = runner
        self.settings = settings
        self.loaded = False
        self._loading = None
        self.model = RecordListModel(self)
        self._build()
        controller.records_received.connect(self.model.add)
        controller.state_changed.connect(self._state_changed)
        controller.cleared.connect(self.model.clear)
        controller.switched.connect(lambda: (self.model.clear(), self.reload()))
        self.model.counts_changed.connect(self._update_summary)
        self.model.rowsInserted.connect(self._follow)
        self._state_changed(controller.state)

    # --- layout ------------------------------------------------------------------------
    def _build(self) -> None:
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)  # the URL is never cut: it wraps when room is short
        self.state_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_url_button = QPushButton("Copy URL")
        self.copy_url_button.clicked.connect(self.copy_url)
        self.port_spin = QSpinBox()
        self.port_spin.setRange(1, 65535)
        self.port_spin.setPrefix("port ")
        self.port_spin.setValue(max(1, self.settings.receiver_port or 8081))
        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(self.toggle)
        self.clear_button = QPushButton("Clear…")
        self.clear_button.clicked.connect(self.ask_clear)
        self.export_button = QPushButton("Export JSON…")
        self.export_button.clicked.connect(self.ask_export)
        top = QHBoxLayout()
        top.addWidget(self.state_label, 1)
        top.addWidget(self.copy_url_button)
        top.addWidget(self.port_spin)
        top.addWidget(self.start_button)
        top.addSpacing(12)
        top.addWidget(self.clear_button)
        top.addWidget(self.export_button)

        self.status_filter = QComboBox()
        for text, key in STATUS_FILTERS:
            self.status_filter.addItem(text, key)
        self.measure_filter = QComboBox()
        self.measure_filter.addItem("All measures", "")
        for name in load_catalog().names():
            self.measure_filter.addItem(name, name)
        compact_combo(self.status_filter, 10)
        compact_combo(self.measure_filter, 14)
        self.text_filter = QLineEdit()
        self.text_filter.setPlaceholderText("Find in path, body, error, warnings…")
        self.text_filter.setClearButtonEnabled(True)
        self.follow_check = QCheckBox("Follow new requests")
        self.follow_check.setChecked(True)
        self.shown_label = QLabel()
        self.status_filter.currentIndexChanged.connect(lambda _i: self._filter())
        self.measure_filter.currentIndexChanged.connect(lambda _i: self._filter())
        # Typing refilters a moment after the last key: the list may hold many records.
        self._text_timer = QTimer(self)
        self._text_timer.setSingleShot(True)
        self._text_timer.setInterval(TEXT_FILTER_MS)
        self._text_timer.timeout.connect(self._filter)
        self.text_filter.textChanged.connect(lambda _t: self._text_timer.start())
        filters = QHBoxLayout()
        filters.addWidget(QLabel("Status"))
        filters.addWidget(self.status_filter)
        filters.addWidget(QLabel("Measure"))
        filters.addWidget(self.measure_filter)
        filters.addWidget(self.text_filter, 1)
        filters.addWidget(self.follow_check)
        filters.addWidget(self.shown_label)

        self.table = table_view(self.model, (160, 60, 74, 200, 86, 56, 180, 80), single=True)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setWordWrap(False)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _p: self._on_current(cur))
        self.detail = RecordDetail()
        split = splitter(Qt.Orientation.Horizontal, (self.table, 3), (self.detail, 2), sizes=(880, 520))

        self.faults = FaultControls(self.controller)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note_label = QLabel()
        self.note_label.setWordWrap(True)
        self.note_label.setStyleSheet("QLabel { color: #8a5a00; }")
        self.note_label.setVisible(False)
        self.mode_label = QLabel()
        self.mode_label.setWordWrap(True)
        self.mode_label.setToolTip("Receiver ▸ Answer with clear errors switches between the two")
        self.controller.mode_changed.connect(lambda _on: self._show_mode())
        self._show_mode()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.mode_label)
        layout.addWidget(self.note_label)
        layout.addLayout(filters)
        layout.addWidget(split, 1)
        layout.addWidget(self.faults)
        layout.addWidget(self.summary_label)
        self._update_summary()

    # --- state -------------------------------------------------------------------------
    def _state_changed(self, text: str) -> None:
        running = self.controller.running
        self.state_label.setText(f"<b>{text}</b>" if running else text)
        self.start_button.setText("Stop" if running else "Start")
        self.start_button.setEnabled(self.controller.busy is None)  # one start, stop or clear at a time
        self.clear_button.setEnabled(self.controller.busy is None and self.model.total > 0)
        self.copy_url_button.setEnabled(running)
        if running:
            self.port_spin.setValue(self.controller.port)
        elif self.controller.suggested_port:
            self.port_spin.setValue(self.controller.suggested_port)
        note = self.controller.database_note
        self.note_label.setText(note or "")
        self.note_label.setVisible(bool(note))
        if self.controller.is_open and not self.loaded:
            self.reload()
        self.faults.refresh()

    def showEvent(self, event) -> None:  # noqa: N802, ANN001
        super().showEvent(event)
        if not self.loaded:
            self.reload()

    def toggle(self) -> None:
        """Start on the chosen port (remembered), or stop."""
        if self.controller.running:
            self.controller.stop_in_background()  # seconds: off the UI thread, the state line says so
            return
        port = self.port_spin.value()
        self.settings.receiver_port = port
        self.controller.start_in_background(port)

    def copy_url(self) -> None:
        if self.controller.url:
            QGuiApplication.clipboard().setText(self.controller.url)

    # --- records -------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the stored records back (in the background: the file may hold many)."""
        self.loaded = True
        store = self.controller.store

        def work(_progress, _cancelled):
            total = store.count()
            skip = max(0, total - MAX_LOADED)
            return store.records(offset=skip), store.summary(), skip

        def done(result) -> None:
            records, summary, skipped = result
            self.model.load(records, summary)
            if skipped:
                self.note_label.setText(f"Showing the newest {len(records):,} requests; {skipped:,} older ones "
                                        "are in the database (Export writes them all).")
                self.note_label.setVisible(True)
            self._follow()

        self.runner.run("Reading the received requests", work, on_done=done, quiet=True,
                        on_error=lambda exc: errors.show_exception(self, "The received requests could not be read",
                                                                   exc))

    def _filter(self) -> None:
        self._text_timer.stop()
        self.model.set_filters(self.status_filter.currentData(), self.measure_filter.currentData(),
                               self.text_filter.text())
        self.detail.show_record(self.current_record())

    def _follow(self, *_args) -> None:
        if self.follow_check.isChecked() and self.model.rowCount():
            self.table.scrollToBottom()

    def _on_current(self, current) -> None:  # noqa: ANN001
        self.detail.show_record(current.data(RECORD_ROLE) if current.isValid() else None)

    def select_row(self, row: int) -> None:
        """Select a row of the (filtered) list and show it in the detail pane."""
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    def current_record(self):  # noqa: ANN201
        index = self.table.selectionModel().currentIndex()
        return index.data(RECORD_ROLE) if index.isValid() else None

    def shown_records(self) -> list:
        return self.model.shown_records()

    def _show_mode(self) -> None:
        clear = self.controller.clear_errors
        self.mode_label.setText(self.controller.mode_text())
        self.mode_label.setStyleSheet("QLabel { color: #8a5a00; }" if clear else "QLabel { color: #1b5e7a; }")

    def _update_summary(self) -> None:
        self.summary_label.setText(self.model.summary.text())
        shown, total = self.model.rowCount(), self.model.total
        self.shown_label.setText(f"{shown:,} of {total:,} shown" if shown != total else f"{total:,} requests")
        self.clear_button.setEnabled(total > 0 and self.controller.busy is None)

    # --- clear and export ------------------------------------------------------------------
    def ask_clear(self) -> bool:
        """Clear every record once the user confirms."""
        self.model.flush()
        n = self.model.total
        answer = QMessageBox.question(
            self, "Clear the receiver",
            f"Remove the {n:,} received request{'s' if n != 1 else ''} from the receiver? "
            "This cannot be undone (Export keeps a copy).",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self.controller.clear_in_background()
        self.detail.show_record(None)
        return True

    def ask_export(self) -> None:
        start = str(Path(self.settings.last_directory or Path.home()) / "receiver-export.json")
        path, _ = QFileDialog.getSaveFileName(self, "Export the received requests", start, "JSON (*.json)")
        if path:
            self.export_to(path)

    def export_to(self, path: str | Path):
        """Write every record and the summary as JSON, off the UI thread."""
        path = Path(path)
        store = self.controller.store

        def work(_progress, _cancelled):
            return write_atomic(path, json.dumps(store.export(), ensure_ascii=False, indent=2))

        return self.runner.run(
            f"Exporting the received requests to {path.name}", work, cancellable=False,
            on_done=lambda p: self.window().statusBar().showMessage(f"Received requests exported to {p}", 8000)
            if hasattr(self.window(), "statusBar") else None,
            on_error=lambda exc: errors.show_exception(self, "The received requests could not be exported", exc,
                                                       f"Nothing was written to {path}. Choose another place."))
