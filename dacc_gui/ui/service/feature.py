"""Running Ecolyo's own service as a feature of the window: Tools ▸ Run Ecolyo's service…."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from PySide6.QtGui import QAction

from dacc_gui.ui.common.feature import Feature, Host
from dacc_gui.ui.service.runner import ServiceRunnerDialog


class ServiceFeature(Feature):
    """The service runner's window, made on first use; says when a run ended."""

    def __init__(self, host: Host, receiver_url: Callable[[], str | None],
                 ended: Callable[[datetime | None], None] = lambda _started: None) -> None:
        self.host, self.receiver_url, self.ended = host, receiver_url, ended
        self.dialog: ServiceRunnerDialog | None = None
        self.action = QAction("Run Ecolyo's &service…", host)
        self.action.triggered.connect(self.open)

    def open(self) -> ServiceRunnerDialog:
        if self.dialog is None:
            self.dialog = ServiceRunnerDialog(self.host.settings, self.receiver_url, self.host)
            panel = self.dialog.panel
            panel.message.connect(lambda text: self.host.show_message(text))
            panel.finished.connect(lambda _code, _line, started: self.ended(started))
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def tool_actions(self) -> Sequence[QAction]:
        return (self.action,)
