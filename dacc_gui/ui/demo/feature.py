"""The population demo as a feature of the window: the Demo menu and its tab, made on first use."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu

from dacc_gui.ui.common.feature import Feature, Host, Tab


class DemoFeature(Feature):
    """Demo ▸ Simulate a population…, Presentation mode (F11), Export an HTML report…."""

    def __init__(self, host: Host, receiver_controller: Callable[[], Any] = lambda: None) -> None:
        self.host = host
        self.receiver_controller = receiver_controller
        self.view = None  # the Population demo tab, once used
        self.private_receiver = None  # only when the window has no receiver of its own
        self.menu = QMenu("&Demo", host)
        self.menu.addAction("&Simulate a population…", self.ask_simulate)
        self.presentation_action = self.menu.addAction("&Presentation mode", self.present)
        self.presentation_action.setShortcut(QKeySequence("F11"))
        self.menu.addAction("Export an HTML &report…", self.ask_export_report)

    def menus(self) -> Sequence[QMenu]:
        return (self.menu,)

    def demo_view(self):  # noqa: ANN201
        """The Population demo tab, added on first use."""
        from dacc_gui.ui.demo.view import DemoView

        if self.view is None:
            self.view = DemoView(self.host, self)
            self.host.add_tab(Tab("demo", "Population demo", self.view))
        return self.view

    def ask_simulate(self):  # noqa: ANN201
        return self.demo_view().ask_simulate()

    def present(self):  # noqa: ANN201
        return self.demo_view().present()

    def ask_export_report(self):  # noqa: ANN201
        return self.demo_view().ask_export_report()

    def receiver(self):  # noqa: ANN201
        """The app's receiver (started if it is stopped), else a private in-memory one."""
        controller = self.receiver_controller()
        if controller is not None:
            if not controller.running or controller.receiver is None:
                controller.start()
            if controller.receiver is not None:
                return controller.receiver
        own = self.private_receiver
        if own is None or not own.running:
            from dacc_gui.receiver.server import Receiver

            own = self.private_receiver = Receiver(None, host="127.0.0.1", port=0).start()
        return own

    def window_closed(self) -> None:
        if self.private_receiver is not None:
            self.private_receiver.close()
