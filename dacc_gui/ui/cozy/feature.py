"""The Cozy connection as a feature of the window: open from and save to a Cozy, push to its dev DACC.

It brings "Open from Cozy…" in the File menu, a Cozy menu (connection,
open, push to the dev DACC) and the connection in the status bar (a click
opens the connect dialog). The connection remembered from the last run is
restored once the window is built.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from dacc_gui.ui.common.feature import Feature, Host
from dacc_gui.ui.cozy.controller import CozyController


class CozyFeature(Feature):
    def __init__(self, host: Host, indicators_view, token_store=None) -> None:  # noqa: ANN001
        self.host = host
        self.indicators_view = indicators_view
        self.controller = CozyController(host, token_store)
        self.push_dialog = None  # made on first use
        self.open_action = QAction("Open from &Cozy…", host)
        self.open_action.triggered.connect(self.controller.open_from_cozy)
        self.menu = QMenu("&Cozy", host)
        self.menu.addAction("&Connection…", self.controller.show_dialog)
        self.menu.addAction(self.open_action)
        self.menu.addSeparator()
        self.push_action = self.menu.addAction("&Push the previewed indicators to the Cozy dev DACC…",
                                               self.show_push_dialog)
        self.status = QToolButton()
        self.status.setAutoRaise(True)
        self.status.setText(self.controller.state_text())
        self.status.setToolTip("The Cozy connection: click to connect, see the token, or sign out")
        self.status.clicked.connect(lambda: self.controller.show_dialog())
        self.controller.state_changed.connect(self.status.setText)

    def file_actions(self) -> Sequence[QAction]:
        return (self.open_action,)

    def menus(self) -> Sequence[QMenu]:
        return (self.menu,)

    def status_widgets(self) -> Sequence[QWidget]:
        return (self.status,)

    def start(self) -> None:
        self.controller.restore()

    def show_push_dialog(self):  # noqa: ANN201
        from dacc_gui.ui.cozy.push_dialog import PushDialog

        if self.push_dialog is None:
            self.push_dialog = PushDialog(self.host, self.controller, self.indicators_view)
        dialog = self.push_dialog
        dialog.load_preview()
        dialog.show()
        dialog.raise_()
        if self.controller.connection is None:
            self.controller.show_dialog(then=lambda: (dialog.refresh(), dialog.raise_()))
        return dialog
