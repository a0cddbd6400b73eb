"""After saving to a Cozy: one row per event (written, unchanged, conflict, failed) and what to do next.

A conflict means someone changed the event on the server since it was read:
it was not overwritten. "Reload and re-apply" reads the server's current
document, applies the same edit to it and writes it (for the selected
conflicts, or all). Failed writes keep their edits; "Save again" retries them.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from dacc_gui.cozy.sync import Outcome, SaveReport, WriteResult
from dacc_gui.ui.common.table_model import RowTableModel
from dacc_gui.ui.common.table_view import table_view

COLUMNS = ("Event", "Result", "eventDate", "aggregated", "Message")
COLOURS = {
    Outcome.WRITTEN: "#1b6e20", Outcome.UNCHANGED: "#555555", Outcome.CONFLICT: "#a35c00",
    Outcome.MISSING: "#a61b1b", Outcome.FAILED: "#a61b1b",
}
WORDS = {
    Outcome.WRITTEN: "written", Outcome.UNCHANGED: "unchanged", Outcome.CONFLICT: "conflict",
    Outcome.MISSING: "missing on the server", Outcome.FAILED: "failed",
}


def _edited(result: WriteResult, name: str) -> Any:
    for doc in (result.document, result.change.target() if result.change else None):
        if isinstance(doc, dict) and name in doc:
            return doc[name]
    return None


class SaveResultsModel(RowTableModel):
    """The results of one save (``SaveReport.results``), one ``WriteResult`` per row."""

    columns = COLUMNS

    def display(self, result: WriteResult, col: int) -> Any:
        if col == 0:
            return result.doc_id
        if col == 1:
            return WORDS.get(result.outcome, result.outcome.value)
        if col == 2:
            value = _edited(result, "eventDate")
            return "" if value is None else str(value)
        if col == 3:
            value = _edited(result, "aggregated")
            return "" if value is None else ("true" if value else "false")
        return result.message

    def foreground(self, result: WriteResult, col: int) -> Any:
        return QColor(COLOURS.get(result.outcome, "#000000")) if col == 1 else None

    def tooltip(self, result: WriteResult, col: int) -> Any:
        return result.describe()


class SaveResultsDialog(QDialog):
    """Per-event results of a save, with "Reload and re-apply" for conflicts."""

    def __init__(self, controller, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.controller = controller
        self.report = SaveReport()
        self.source = None
        self.setWindowTitle("Saved to the Cozy")
        self.resize(900, 420)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes_label = QLabel()
        self.notes_label.setWordWrap(True)
        self.model = SaveResultsModel(self)
        self.table = table_view(self.model, (250, 110, 220, 80))
        self.reapply_button = QPushButton("Reload and re-apply selected")
        self.reapply_button.setToolTip("Read the server's version of the selected conflicts, apply your edit to "
                                       "it, and write it")
        self.reapply_all_button = QPushButton("Reload and re-apply all conflicts")
        self.retry_button = QPushButton("Save again")
        self.retry_button.setToolTip("Write the edits that failed (the server was down, the token refused...)")
        self.close_button = QPushButton("Close")
        buttons = QHBoxLayout()
        for b in (self.reapply_button, self.reapply_all_button, self.retry_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.notes_label)
        layout.addLayout(buttons)
        self.reapply_button.clicked.connect(self.reapply_selected)
        self.reapply_all_button.clicked.connect(self.reapply_all)
        self.retry_button.clicked.connect(self.save_again)
        self.close_button.clicked.connect(self.close)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

    def show_report(self, report: SaveReport, source) -> None:  # noqa: ANN001
        self.report, self.source = report, source
        self.model.set_rows(report.results)
        where = source.host if source is not None else "the Cozy"
        backup = (f"<br>Backup of the documents as they were before the write: <code>{report.backup_path}</code>"
                  if report.backup_path else "")
        verdict = "Every edit is on the Cozy." if report.all_good else \
            "Some edits are not on the Cozy yet: they are still in the app."
        self.summary_label.setText(f"<b>{where}</b>: {report.summary()}. {verdict}{backup}")
        self.notes_label.setText("\n".join(report.notes))
        self.notes_label.setVisible(bool(report.notes))
        self._update_buttons()

    def conflicts(self) -> list[WriteResult]:
        return [r for r in self.report.results if r.outcome is Outcome.CONFLICT]

    def selected(self) -> list[WriteResult]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.rows[r] for r in rows]

    def _update_buttons(self) -> None:
        conflicts = self.conflicts()
        self.reapply_all_button.setEnabled(bool(conflicts))
        self.reapply_button.setEnabled(any(r.outcome is Outcome.CONFLICT for r in self.selected()))
        self.retry_button.setEnabled(any(r.outcome is Outcome.FAILED for r in self.report.results))

    def reapply_selected(self) -> None:
        chosen = [r for r in self.selected() if r.outcome is Outcome.CONFLICT]
        if chosen:
            self.controller.reapply(chosen, self.report)

    def reapply_all(self) -> None:
        if self.conflicts():
            self.controller.reapply(self.conflicts(), self.report)

    def save_again(self) -> None:
        self.controller.save()
