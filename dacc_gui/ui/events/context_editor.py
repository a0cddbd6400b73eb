"""The user context editor: what the rules need beyond events (rulebook section 6).

The form edits a copy; "Apply" turns it into one undoable command, and an
invalid value is named inline (which field, what is expected) instead.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton,
    QSpinBox, QVBoxLayout, QWidget,
)

from dacc_gui.events import edits
from dacc_gui.events.context import FLUIDS, ContextError, UserContext
from dacc_gui.ui.common.document import EventsDocument


class ContextEditor(QWidget):
    """A form over the document's ``UserContext``."""

    applied = Signal()

    def __init__(self, document: EventsDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.consent = QCheckBox("Consent to the DACC given")
        self.consent.setToolTip("Accepted the first CGU version with the DACC consent. "
                                "Without it, a run sends nothing and marks nothing aggregated.")
        self.analysis_day = QSpinBox()
        self.analysis_day.setRange(1, 31)
        self.analysis_day.setToolTip("Day of the month the monthly part of the nightly run happens")
        self.first_connection = QLineEdit()
        self.first_connection.setPlaceholderText("YYYY-MM-DD (default: first ConnectionEvent)")
        self.subscribed = QCheckBox("Subscribed to the monthly report")
        self.fluids = {f: QCheckBox(f) for f in FLUIDS}
        self.half_hour = {f: QCheckBox(f) for f in FLUIDS}
        self.usage = {f: QLineEdit() for f in FLUIDS}
        for f, edit in self.usage.items():
            edit.setPlaceholderText("e.g. heating, hot_water, cooking")
        self.monthly = QPlainTextEdit()
        self.monthly.setPlaceholderText('{"electricity": {"2024-04": 210.5}}')
        self.monthly.setMaximumHeight(90)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("QLabel { color: #a61b1b; }")
        self.error.setVisible(False)
        self.apply_button = QPushButton("Apply")
        self.revert_button = QPushButton("Revert")
        self.apply_button.clicked.connect(self.apply)
        self.revert_button.clicked.connect(self.refresh)

        form = QFormLayout()
        form.addRow(self.consent)
        form.addRow("Monthly analysis day", self.analysis_day)
        form.addRow("First connection", self.first_connection)
        form.addRow(self.subscribed)
        grid_box = QGroupBox("Fluids")
        grid = QGridLayout(grid_box)
        grid.addWidget(QLabel("connected"), 0, 0)
        grid.addWidget(QLabel("half-hour data"), 0, 1)
        grid.addWidget(QLabel("usage"), 0, 2)
        for row, fluid in enumerate(FLUIDS, start=1):
            grid.addWidget(self.fluids[fluid], row, 0)
            grid.addWidget(self.half_hour[fluid], row, 1)
            grid.addWidget(self.usage[fluid], row, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(grid_box)
        layout.addWidget(QLabel("Monthly consumptions (fluid → {month: value})"))
        layout.addWidget(self.monthly)
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.apply_button)
        layout.addLayout(buttons)
        layout.addStretch(1)
        for w in (self.consent, self.subscribed, *self.fluids.values(), *self.half_hour.values()):
            w.toggled.connect(self._edited)
        for w in (self.first_connection, *self.usage.values()):
            w.textEdited.connect(self._edited)
        self.analysis_day.valueChanged.connect(self._edited)
        self.monthly.textChanged.connect(self._edited)
        document.reloaded.connect(self.refresh)
        document.changed.connect(lambda change: change.kind == "context" and self.refresh())
        self.refresh()

    def refresh(self) -> None:
        """Show the document's context (discarding what the form holds)."""
        ctx = self.document.context
        self._loading = True
        self.consent.setChecked(ctx.daccConsent)
        self.analysis_day.setValue(ctx.monthlyAnalysisDay)
        self.first_connection.setText(ctx.firstConnectionDate or "")
        self.subscribed.setChecked(ctx.subscribedToMonthlyReport)
        for fluid in FLUIDS:
            self.fluids[fluid].setChecked(fluid in ctx.connectedFluids)
            self.half_hour[fluid].setChecked(bool(ctx.halfHourData.get(fluid, False)))
            self.usage[fluid].setText(", ".join(ctx.fluidUsage.get(fluid, [])))
        self.monthly.setPlainText(json.dumps(ctx.monthlyConsumption) if ctx.monthlyConsumption else "")
        self._loading = False
        self.error.setVisible(False)
        self._set_pending(False)

    def _edited(self, *_args: Any) -> None:
        if not self._loading:
            self._set_pending(True)

    def _set_pending(self, pending: bool) -> None:
        self.apply_button.setEnabled(pending)
        self.revert_button.setEnabled(pending)

    def form_context(self) -> UserContext:
        """The context the form holds; ``ContextError`` names a bad field."""
        base = self.document.context.model_dump(mode="json")
        text = self.monthly.toPlainText().strip()
        try:
            monthly = json.loads(text) if text else {}
        except json.JSONDecodeError as exc:
            raise ContextError(f"monthly consumptions: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")
        base.update(
            daccConsent=self.consent.isChecked(),
            monthlyAnalysisDay=self.analysis_day.value(),
            firstConnectionDate=self.first_connection.text().strip() or None,
            subscribedToMonthlyReport=self.subscribed.isChecked(),
            connectedFluids=[f for f in FLUIDS if self.fluids[f].isChecked()],
            # Unchecked fluids the context named stay named (as false).
            halfHourData={f: self.half_hour[f].isChecked() for f in FLUIDS
                          if self.half_hour[f].isChecked() or f in self.document.context.halfHourData},
            fluidUsage={f: [u.strip() for u in e.text().split(",") if u.strip()] for f, e in self.usage.items()
                        if e.text().strip()},
            monthlyConsumption=monthly,
        )
        return UserContext.parse(base, where="user context")

    def apply(self) -> bool:
        try:
            new = self.form_context()
        except ContextError as exc:
            self.error.setText(f"{exc}. Fix it, then Apply again.")
            self.error.setVisible(True)
            return False
        self.error.setVisible(False)
        self.document.push(edits.set_context(self.document.store.context, new))
        self._set_pending(False)
        self.applied.emit()
        return True
