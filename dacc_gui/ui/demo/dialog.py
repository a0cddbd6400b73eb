"""The "Simulate a population" dialog: how many users, days, from when, which seed; then run it.

The run goes off the UI thread through ``window.runner``, with the step in
words ("Sending 1,310 indicators…"), a progress bar and Cancel. When it is
done the Population demo tab shows what the DACC would show.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QDate, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QFormLayout, QHBoxLayout, QLabel, QProgressBar, QPushButton, QSpinBox,
    QVBoxLayout,
)

from dacc_gui.simulation.demo import MAX_DAYS, MAX_USERS, DemoConfig, DemoResult, run_demo
from dacc_gui.ui.common.date_edit import DateEdit
from dacc_gui.ui.common import errors
from dacc_gui.ui.common.task_dialog import TaskDialog

ERROR_STYLE = "QLabel { color: #a61b1b; }"


class _Phases(QObject):
    """Carries the step's words from the worker thread to the dialog (queued)."""

    said = Signal(str)


class SimulateDialog(TaskDialog, QDialog):
    """Choose the population, run it, see it in the Population demo tab."""

    def __init__(self, window: Any, view: Any) -> None:
        super().__init__(window)
        self.window = window
        self.view = view
        self.settings = window.settings
        self.task = None
        self.setWindowTitle("Simulate a population")
        self.setMinimumWidth(520)

        s = self.settings
        self.users_spin = QSpinBox()
        self.users_spin.setRange(1, MAX_USERS)
        self.users_spin.setValue(min(MAX_USERS, max(1, s.demo_users)))
        self.days_spin = QSpinBox()
        self.days_spin.setRange(1, MAX_DAYS)
        self.days_spin.setValue(min(MAX_DAYS, max(1, s.demo_days)))
        try:
            start = date.fromisoformat(s.demo_start)
        except ValueError:
            start = DemoConfig().start
        self.start_edit = DateEdit(QDate(start.year, start.month, start.day))
        self.start_edit.setCalendarPopup(True)
        self.start_edit.setDisplayFormat("yyyy-MM-dd")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2_000_000_000)
        self.seed_spin.setValue(max(0, s.demo_seed))
        self.clear_check = QCheckBox("Clear the receiver's records first")
        self.clear_check.setChecked(s.demo_clear_receiver)
        self.clear_check.setToolTip("Records already in the receiver for the same dates would be counted in the "
                                    "aggregates too")
        self.receiver_label = QLabel()
        self.receiver_label.setWordWrap(True)
        self.phase_label = QLabel()
        self.phase_label.setWordWrap(True)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.run_button = QPushButton("Run")
        self.run_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.close_button = QPushButton("Close")

        form = QFormLayout()
        form.addRow("Users", self.users_spin)
        form.addRow("Days", self.days_spin)
        form.addRow("First day", self.start_edit)
        form.addRow("Seed", self.seed_spin)
        form.addRow("", self.clear_check)
        explain = QLabel("Each generated user's nightly service runs every night of the range and posts its "
                         "indicators to the receiver, as Ecolyo's service would; then the receiver's aggregates "
                         "show what the DACC, and Metabase, would publish.")
        explain.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(self.receiver_label)
        layout.addWidget(self.phase_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)

        self._phases = _Phases()
        self._phases.said.connect(self.phase_label.setText, Qt.ConnectionType.QueuedConnection)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.close)
        self._show_receiver()

    def config(self) -> DemoConfig:
        return DemoConfig(self.users_spin.value(), self.days_spin.value(),
                          self.start_edit.date().toPython(), self.seed_spin.value())

    def _show_receiver(self) -> None:
        controller = self.view.receivers.receiver_controller()
        receiver = None
        if controller is not None and controller.running and controller.url:
            receiver = controller.receiver
            text = f"Receiver: {controller.url}"
        elif controller is not None:
            text = "Receiver: stopped; it will be started"
        else:
            receiver = self.view.receivers.private_receiver
            text = (f"Receiver: {receiver.url} (in memory, for the demo)" if receiver and receiver.running
                    else "Receiver: an in-memory one will be started for the demo")
        held = receiver.store.count() if receiver is not None else 0
        if held:
            text += (f" · it already holds {held:,} records: those of the same dates count in the aggregates "
                     "too (tick “Clear the receiver's records first” for a clean run)")
        self.receiver_label.setText(text)

    def showEvent(self, event) -> None:  # noqa: N802, ANN001
        self._show_receiver()
        super().showEvent(event)

    def _running(self, on: bool) -> None:
        for w in (self.users_spin, self.days_spin, self.start_edit, self.seed_spin, self.clear_check,
                  self.run_button):
            w.setEnabled(not on)
        self.cancel_button.setEnabled(on)
        self.progress.setVisible(on)

    def run(self):  # noqa: ANN201
        config = self.config()
        s = self.settings
        s.demo_users, s.demo_days, s.demo_seed = config.users, config.days, config.seed
        s.demo_start, s.demo_clear_receiver = config.start.isoformat(), self.clear_check.isChecked()
        self.error_label.setText("")
        try:
            receiver = self.view.receivers.receiver()
        except Exception as exc:  # a port in use, a database that cannot open: said here
            self.error_label.setText(f"The receiver could not start: {exc}")
            return None
        self._show_receiver()
        clear, phases = self.clear_check.isChecked(), self._phases

        def work(progress, cancelled) -> DemoResult:
            if clear:
                phases.said.emit("Clearing the receiver's records")
                receiver.store.reset()
            return run_demo(config, receiver.url, receiver, progress=progress, phase=phases.said.emit,
                            cancelled=cancelled)

        self._running(True)
        self.progress.setRange(0, 0)
        task = self.window.runner.run(f"Simulating {config.users} users over {config.days} days", work,
                                      on_done=self._done, on_error=self._failed, on_cancel=self._cancelled)
        self.follow(task)
        return task

    def cancel(self) -> None:
        if self.task is not None:
            self.phase_label.setText("Cancelling…")
        super().cancel()

    def _done(self, result: DemoResult) -> None:
        self.task = None
        self._running(False)
        self.phase_label.setText(result.summary())
        self.view.set_result(result)
        self.window.show_tab("demo")
        self.close()

    def _failed(self, exc: BaseException) -> None:
        self.task = None
        self._running(False)
        self.phase_label.setText("")
        self.error_label.setText(errors.describe(exc))

    def _cancelled(self) -> None:
        self.task = None
        self._running(False)
        self.phase_label.setText("Cancelled: the indicators sent so far stay in the receiver.")
