""""Send to receiver": post the previewed indicators to the app's receiver as Ecolyo's service would.

Ecolyo's service posts each indicator, one after the other, as
``fetchJSON('POST', url, {data: JSON.stringify(indicator)})``: a JSON body
``{"data": "<compact JSON string>"}``. Here the URL is the app's receiver
(``POST /``), so a run can be rehearsed without a Cozy. It runs off the UI
thread with progress and Cancel, then shows a result per indicator (what was
sent before a Cancel included) and the Receiver tab.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QLabel, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from dacc_gui.dacc.sending import SendResult, post_measures
from dacc_gui.rules.indicators import Indicator
from dacc_gui.ui.common import errors
from dacc_gui.dacc.groups import groups_text
from dacc_gui.ui.receiver.models import LEVEL_COLOURS

def send_indicators(url: str, indicators: list[Indicator], progress: Callable[[int, int], None],
                    cancelled: Callable[[], bool], results: list[SendResult]) -> list[SendResult]:
    """Post each indicator in turn to ``url`` + ``/``; ``results`` fills as it goes (kept on Cancel)."""
    progress(0, len(indicators))
    post_measures(url, [i.payload() for i in indicators], results.append, progress, cancelled)
    return results


def summary_line(results: list[SendResult], total: int, url: str) -> str:
    accepted = sum(r.ok for r in results)
    refused = sum(1 for r in results if r.status is not None and not r.ok)
    unanswered = sum(1 for r in results if r.status is None)
    line = f"Sent {len(results):,} of {total:,} indicator{'s' if total != 1 else ''} to {url}: {accepted:,} accepted"
    if refused:
        line += f", {refused:,} refused"
    if unanswered:
        line += f", {unanswered:,} without an answer"
    if len(results) < total:
        line += f"; {total - len(results):,} not sent (cancelled)"
    return line


class SendResultsDialog(QDialog):
    """A result per indicator: status and the receiver's answer."""

    COLUMNS = ("Status", "measureName", "startDate", "Value", "Groups", "Answer")

    def __init__(self, results: list[SendResult], total: int, url: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sent to the receiver")
        self.results = results
        self.summary = QLabel(summary_line(results, total, url))
        self.summary.setWordWrap(True)
        self.table = QTableWidget(len(results), len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for row, result in enumerate(results):
            p = result.payload
            cells = ("—" if result.status is None else str(result.status), str(p.get("measureName", "")),
                     str(p.get("startDate", "")), json.dumps(p.get("value")), groups_text(p), result.outcome())
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 0:
                    item.setForeground(QBrush(QColor(LEVEL_COLOURS[result.level])))
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(900, 420)

    def statuses(self) -> list[int | None]:
        return [r.status for r in self.results]


class SendToReceiver:
    """The "Send to receiver" action of the Indicators tab."""

    def __init__(self, window, controller, indicators_view) -> None:  # noqa: ANN001
        self.window = window
        self.controller = controller
        self.view = indicators_view
        self.task = None
        self.dialog: SendResultsDialog | None = None
        self.button = QPushButton("Send to receiver")
        self.button.setToolTip("Post the previewed indicators to the built-in receiver, one by one, as Ecolyo's "
                               "service posts them ({\"data\": \"<JSON>\"} on /)")
        self.button.clicked.connect(self.send)
        self.view.preview_changed.connect(lambda _p: self._update())
        self._update()

    def _update(self) -> None:
        self.button.setEnabled(bool(self.view.preview.rows) and self.task is None)

    def send(self):  # noqa: ANN201
        """Post every previewed indicator (starting the receiver if needed)."""
        indicators = [row.indicator for row in self.view.preview.rows]
        if not indicators:
            self.window.statusBar().showMessage("Nothing to send: the preview has no indicator.", 5000)
            return None
        if not self.controller.running and not self.controller.start():
            errors.show_error(self.window, "The receiver is not running",
                              f"{self.controller.state}.\n\nStart it on a free port (Receiver ▸ Port…), then send "
                              "again. Nothing was sent.")
            return None
        url = self.controller.url
        results: list[SendResult] = []
        total = len(indicators)

        def finish() -> None:
            self.task = None
            self._update()
            self.show_results(results, total, url)

        def failed(exc: BaseException) -> None:
            self.task = None
            self._update()
            errors.show_exception(self.window, "The indicators could not be sent", exc)

        self.task = self.window.runner.run(
            f"Sending {total:,} indicator{'s' if total != 1 else ''} to the receiver",
            lambda progress, cancelled: send_indicators(url, indicators, progress, cancelled, results),
            on_done=lambda _r: finish(), on_error=failed, on_cancel=finish)
        if not self.task.running:
            self.task = None
        self._update()
        return self.task

    def show_results(self, results: list[SendResult], total: int, url: str) -> None:
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = SendResultsDialog(results, total, url, self.window)
        self.window.statusBar().showMessage(self.dialog.summary.text(), 10000)
        self.window.show_tab("receiver")
        self.dialog.setWindowModality(Qt.WindowModality.NonModal)
        self.dialog.show()
