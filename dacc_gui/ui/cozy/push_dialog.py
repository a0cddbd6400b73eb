"""Push to Cozy dev DACC: the previewed indicators sent through the Cozy's remote doctype.

Only the dev doctypes are offered (``cc.cozycloud.dacc.dev`` and
``…dev_v2``): this tool never feeds the production DACC. Before sending, the
dialog says how many indicators go to which instance and doctype, and how
many are held back because the DACC would refuse them (unless "send them
anyway" is ticked). Sending runs off the UI thread with a progress bar and
Cancel; then one row per indicator: 201 accepted, 400 with the DACC's error,
502 explained (the DACC did not answer JSON: most likely no or a wrong DACC
token on that instance), not sent, or failed.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout,
)

from dacc_gui.cozy.push import DEV_DOCTYPES, PushOutcome, PushReport, PushResult, push_indicators
from dacc_gui.ui.common import errors
from dacc_gui.dacc.groups import groups_text
from dacc_gui.ui.common.table_model import RowTableModel
from dacc_gui.ui.common.table_view import table_view
from dacc_gui.ui.common.task_dialog import TaskDialog
from dacc_gui.dacc.validation import validate_all

COLUMNS = ("#", "Measure", "startDate", "Value", "Groups", "Result", "Message")
WORDS = {
    PushOutcome.ACCEPTED: "201 accepted",
    PushOutcome.REJECTED: "400 rejected",
    PushOutcome.BAD_GATEWAY: "502 bad gateway",
    PushOutcome.NOT_SENT: "not sent",
    PushOutcome.FAILED: "failed",
    PushOutcome.CANCELLED: "not sent (cancelled)",
}
COLOURS = {
    PushOutcome.ACCEPTED: "#1b6e20", PushOutcome.REJECTED: "#a61b1b", PushOutcome.BAD_GATEWAY: "#a61b1b",
    PushOutcome.NOT_SENT: "#707070", PushOutcome.FAILED: "#a61b1b", PushOutcome.CANCELLED: "#707070",
}


def outcome_text(result: PushResult) -> str:
    if result.outcome is PushOutcome.FAILED and result.status is not None:
        return f"{result.status} failed"
    return WORDS.get(result.outcome, result.outcome.value)


class PushResultsModel(RowTableModel):
    """One row per indicator pushed: one ``PushResult`` of ``PushReport.results`` per row."""

    columns = COLUMNS

    def display(self, result: PushResult, col: int) -> Any:
        payload = result.payload if isinstance(result.payload, dict) else {}
        if col == 0:
            return result.index + 1
        if col == 1:
            return str(payload.get("measureName", ""))
        if col == 2:
            return str(payload.get("startDate", ""))
        if col == 3:
            return json.dumps(payload.get("value"))
        if col == 4:
            return groups_text(payload)
        if col == 5:
            return outcome_text(result)
        return result.message

    def foreground(self, result: PushResult, col: int) -> Any:
        return QColor(COLOURS.get(result.outcome, "#000000")) if col == 5 else None

    def tooltip(self, result: PushResult, col: int) -> Any:
        return result.describe()


class PushDialog(TaskDialog, QDialog):
    """Confirm, push with progress and Cancel, then read one result per indicator."""

    def __init__(self, window, controller, indicators_view) -> None:  # noqa: ANN001
        super().__init__(window)
        self.window = window
        self.controller = controller
        self.indicators_view = indicators_view
        self.settings = window.settings
        self.payloads: list[dict[str, Any]] = []
        self.validations: list = []
        self.report: PushReport | None = None
        self.task = None
        self.setWindowTitle("Push to Cozy dev DACC")
        self.resize(980, 560)

        self.instance_label = QLabel()
        self.connect_button = QPushButton("Connect…")
        self.doctype_combo = QComboBox()
        for doctype in DEV_DOCTYPES:  # the production doctypes are never offered
            self.doctype_combo.addItem(doctype, doctype)
        index = self.doctype_combo.findData(self.settings.push_doctype)
        self.doctype_combo.setCurrentIndex(max(0, index))
        self.force_check = QCheckBox("Send the invalid ones anyway")
        self.force_check.setToolTip("The DACC will answer 400 for them: useful to see its error messages")
        self.confirm_label = QLabel()
        self.confirm_label.setWordWrap(True)
        self.confirm_label.setTextFormat(Qt.TextFormat.RichText)
        self.push_button = QPushButton("Push")
        self.push_button.setDefault(True)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.model = PushResultsModel(self)
        self.table = table_view(self.model, (40, 230, 95, 60, 190, 120))
        self.close_button = QPushButton("Close")

        top = QHBoxLayout()
        top.addWidget(self.instance_label, 1)
        top.addWidget(self.connect_button)
        where = QHBoxLayout()
        where.addWidget(QLabel("Remote doctype"))
        where.addWidget(self.doctype_combo)
        where.addWidget(self.force_check)
        where.addStretch(1)
        run = QHBoxLayout()
        run.addWidget(self.push_button)
        run.addWidget(self.progress, 1)
        run.addWidget(self.cancel_button)
        run.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary_label, 1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(where)
        layout.addWidget(self.confirm_label)
        layout.addLayout(run)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

        self.connect_button.clicked.connect(lambda: self.controller.show_dialog(then=self.refresh))
        self.doctype_combo.currentIndexChanged.connect(self._doctype_changed)
        self.force_check.toggled.connect(lambda _on: self.refresh())
        self.push_button.clicked.connect(self.push)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.close)
        self.controller.connection_changed.connect(lambda _c: self.refresh())

    # --- what to send ------------------------------------------------------------------
    def load_preview(self) -> None:
        """The indicators of the Indicators tab's current preview."""
        rows = self.indicators_view.preview.rows
        self.set_payloads([row.indicator.payload() for row in rows])

    def set_payloads(self, payloads: list[dict[str, Any]]) -> None:
        self.payloads = list(payloads)
        self.validations = validate_all(self.payloads)
        self.report = None
        self.model.set_rows([])
        self.summary_label.setText("")
        self.refresh()

    @property
    def doctype(self) -> str:
        return self.doctype_combo.currentData()

    def _doctype_changed(self) -> None:
        self.settings.push_doctype = self.doctype
        self.refresh()

    def counts(self) -> tuple[int, int]:
        """(indicators that will be sent, indicators held back as invalid)."""
        invalid = sum(1 for v in self.validations if not v.ok)
        if self.force_check.isChecked():
            return len(self.payloads), 0
        return len(self.payloads) - invalid, invalid

    def refresh(self) -> None:
        connection = self.controller.connection
        running = self.task is not None
        self.instance_label.setText(
            f"Cozy: <b>{connection.url}</b> ({connection.how()})" if connection
            else "<b>Not connected</b>: connect to a Cozy whose instance has a DACC token for the dev DACC.")
        self.connect_button.setText("Connection…" if connection else "Connect…")
        send, held = self.counts()
        invalid = sum(1 for v in self.validations if not v.ok) if self.payloads else 0
        if not self.payloads:
            text = ("No indicators to push: open events and pick a run date in the Indicators tab; "
                    "the previewed indicators are what is pushed.")
        else:
            where = connection.host if connection else "the Cozy (connect first)"
            text = (f"<b>{send:,} indicator{'s' if send != 1 else ''}</b> will be posted to <b>{where}</b> → "
                    f"<code>/remote/{self.doctype}</code>, the <b>dev</b> DACC, one request each.")
            if held:
                text += (f"<br>{held:,} held back: the DACC would refuse them (tick “Send the invalid ones "
                         "anyway” to see its answers).")
            elif invalid:
                text += f"<br>{invalid:,} of them the DACC will refuse (sent anyway, as asked)."
        self.confirm_label.setText(text)
        self.force_check.setEnabled(invalid > 0 and not running)
        self.push_button.setEnabled(bool(self.payloads) and send > 0 and not running)
        self.doctype_combo.setEnabled(not running)

    # --- sending ---------------------------------------------------------------------------
    def push(self):  # noqa: ANN201
        if self.controller.connection is None:
            self.controller.show_dialog(then=self.refresh)
            return None
        connection, doctype, force = self.controller.connection, self.doctype, self.force_check.isChecked()
        payloads = list(self.payloads)
        box: list[PushReport] = []
        client_of = self.controller._client

        def work(progress, cancelled) -> PushReport:
            with client_of(connection) as client:
                report = push_indicators(client, payloads, doctype, force=force, progress=progress,
                                         cancelled=cancelled)
            box.append(report)  # kept when cancelled: what was sent, was sent
            return report

        self.progress.setRange(0, max(1, len(payloads)))
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.cancel_button.setEnabled(True)
        self.summary_label.setText(f"Pushing to {connection.host}…")
        task = self.window.runner.run(
            f"Pushing {len(payloads):,} indicators to {doctype}", work,
            on_done=lambda _r: self._finished(box), on_cancel=lambda: self._finished(box),
            on_error=self._failed)
        if self.follow(task):
            self.refresh()
        return task

    def _finished(self, box: list[PushReport]) -> None:
        self.task = None
        self.cancel_button.setVisible(False)
        self.progress.setVisible(False)
        if box:
            self.report = box[0]
            self.model.set_rows(self.report.results)
            self.summary_label.setText(self.report.summary())
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.task = None
        self.cancel_button.setVisible(False)
        self.progress.setVisible(False)
        self.summary_label.setText(f"Nothing pushed: {exc}")
        self.refresh()
        errors.show_exception(self, "The indicators could not be pushed", exc)
