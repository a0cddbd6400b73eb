"""Fault injection from the Receiver tab: answer the next N requests badly.

To see how a sender copes: ``500`` (the DACC's JSON 500), ``401`` (the
DACC's HTML page for a bad token, which the Cozy stack turns into a 502) or
``delay`` (a slow answer). The faults wait in the receiver's queue, in order.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout,
)

from dacc_gui.receiver import FaultError
from dacc_gui.receiver.faults import MAX_DELAY
from dacc_gui.ui.common.compact import compact_combo
from dacc_gui.ui.receiver.controller import ReceiverController

KINDS = (
    ("500 (internal error)", "500"),
    ("401 (bad token: HTML, a 502 through the stack)", "401"),
    ("Slow answer", "delay"),
)


class FaultControls(QGroupBox):
    """Kind, count, delay, Inject; the pending faults and Clear."""

    def __init__(self, controller: ReceiverController, parent=None) -> None:  # noqa: ANN001
        super().__init__("Fault injection", parent)
        self.controller = controller
        self.kind = QComboBox()
        for text, key in KINDS:
            self.kind.addItem(text, key)
        self.count = QSpinBox()
        self.count.setRange(1, 100_000)
        self.count.setPrefix("next ")
        self.count.setSuffix(" requests")
        self.delay = QDoubleSpinBox()
        self.delay.setRange(0, MAX_DELAY)
        self.delay.setDecimals(1)
        self.delay.setSuffix(" s delay")
        self.inject_button = QPushButton("Inject")
        self.clear_button = QPushButton("Clear faults")
        compact_combo(self.kind, 12)
        self.pending_label = QLabel()
        self.pending_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Answer"))
        row.addWidget(self.kind)
        row.addWidget(self.count)
        row.addWidget(self.delay)
        row.addWidget(self.inject_button)
        row.addWidget(self.clear_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.pending_label)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.inject_button.clicked.connect(self.inject)
        self.clear_button.clicked.connect(self.clear)
        controller.records_received.connect(lambda _b: self.refresh())
        self._kind_changed()
        self.refresh()

    def _kind_changed(self) -> None:
        if self.kind.currentData() == "delay" and self.delay.value() == 0:
            self.delay.setValue(1.0)

    def inject(self) -> bool:
        try:
            self.controller.core.faults.inject(self.kind.currentData(), self.count.value(), self.delay.value())
        except FaultError as exc:
            self.pending_label.setText(str(exc))
            return False
        self.refresh()
        return True

    def clear(self) -> None:
        self.controller.core.faults.clear()
        self.refresh()

    def refresh(self) -> None:
        if not self.controller.is_open:
            self.pending_label.setText("No fault pending")
            return
        pending = self.controller.core.faults.pending()
        if not pending:
            self.pending_label.setText("No fault pending")
        else:
            parts = [f"{f.kind} × {f.remaining}" + (f" after {f.delay:g} s" if f.delay else "") for f in pending]
            self.pending_label.setText("Pending: " + ", ".join(parts))
        self.clear_button.setEnabled(bool(pending) if self.controller.is_open else False)
