"""Plugging the built-in receiver into the main window: one call, ``install_receiver(window)``.

It attaches the :class:`ReceiverController` as ``window.receiver_controller``,
adds the Receiver tab (the live list), the "as the DACC would show it" tab,
the Ecolyo how-to, the Receiver menu (Start/Stop, Port…, Clear…, Export…),
the receiver's state in the status bar, and "Send to receiver" in the
Indicators tab. Starting with the app is ``app.run``'s job
(``start_with_app``), so that a window made in a test stays quiet.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QInputDialog, QLabel, QMainWindow, QMenu

from dacc_gui.ui.receiver_controller import ReceiverController

STOPPED_STYLE = "QLabel { color: #8a5a00; }"
RUNNING_STYLE = "QLabel { color: #1b6e2a; }"


class ReceiverStatus(QLabel):
    """The receiver's state in the status bar; a click shows the Receiver tab."""

    def __init__(self, controller: ReceiverController, on_click=None) -> None:
        super().__init__()
        self.controller = controller
        self.on_click = on_click
        controller.state_changed.connect(self.show_state)
        self.show_state(controller.state)

    def show_state(self, text: str) -> None:
        self.setText(text)
        self.setStyleSheet(RUNNING_STYLE if self.controller.running else STOPPED_STYLE)
        tip = self.controller.error or "Click to see what it received"
        self.setToolTip(tip)

    def mousePressEvent(self, event) -> None:  # noqa: N802, ANN001
        if self.on_click is not None:
            self.on_click()
        super().mousePressEvent(event)


class _StopOnClose(QObject):
    """Stops the receiver once the window is really closed (a close can be refused)."""

    def __init__(self, window: QMainWindow, controller: ReceiverController) -> None:
        super().__init__(window)
        self.window, self.controller = window, controller

    def eventFilter(self, watched, event) -> bool:  # noqa: N802, ANN001
        if watched is self.window and event.type() == QEvent.Type.Close:
            QTimer.singleShot(0, self._check)
        return False

    def _check(self) -> None:
        if not self.window.isVisible():
            self.controller.close()


class ReceiverMenu(QMenu):
    """Receiver ▸ Start/Stop, Port…, Send…, How-to, Clear…, Export…, Start with the app."""

    def __init__(self, window: QMainWindow, controller: ReceiverController) -> None:
        super().__init__("&Receiver", window)
        self.window_, self.controller = window, controller
        self.toggle_action = self.addAction("Start", self.toggle)
        self.port_action = self.addAction("Port…", self.ask_port)
        self.addSeparator()
        self.send_action = self.addAction("Send the previewed indicators")
        self.howto_action = self.addAction("How to point Ecolyo at it")
        self.addSeparator()
        self.clear_action = self.addAction("Clear…")
        self.export_action = self.addAction("Export (JSON)…")
        self.addSeparator()
        self.autostart_action = self.addAction("Start with the app")
        self.autostart_action.setCheckable(True)
        self.autostart_action.setChecked(controller.settings.receiver_autostart)
        self.autostart_action.toggled.connect(self._set_autostart)
        controller.state_changed.connect(lambda _t: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        self.toggle_action.setText("Stop" if self.controller.running else "Start")

    def toggle(self) -> None:
        if self.controller.running:
            self.controller.stop()
        else:
            self.controller.start()

    def ask_port(self) -> None:
        current = self.controller.port
        suggested = self.controller.suggested_port or current
        port, ok = QInputDialog.getInt(
            self.window_, "Receiver port",
            "Port to listen on (127.0.0.1). Ecolyo's service posts to the URL the how-to shows.",
            suggested, 1, 65535)
        if ok:
            self.use_port(port)

    def use_port(self, port: int) -> bool:
        """Remember the port and (re)start the receiver on it."""
        self.controller.settings.receiver_port = port
        return self.controller.restart(port)

    def _set_autostart(self, on: bool) -> None:
        self.controller.settings.receiver_autostart = on


def _insert_menu(window: QMainWindow, menu: QMenu) -> None:
    bar = window.menuBar()
    help_action = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
    if help_action is not None:
        bar.insertMenu(help_action, menu)
    else:
        bar.addMenu(menu)


def install_receiver(window: QMainWindow) -> ReceiverController:
    """Attach the receiver and its views to the main window (see the module doc)."""
    from dacc_gui.ui.dacc_view import DaccView
    from dacc_gui.ui.ecolyo_howto import EcolyoHowTo
    from dacc_gui.ui.receiver_panel import ReceiverPanel
    from dacc_gui.ui.send_to_receiver import SendToReceiver

    controller = ReceiverController(window.settings, parent=window)
    window.receiver_controller = controller
    window.receiver_panel = ReceiverPanel(controller, window.runner, window.settings)
    window.dacc_view = DaccView(controller, window.runner, window.today,
                                measure_counts=lambda: window.receiver_panel.model.summary.by_measure)
    window.ecolyo_howto = EcolyoHowTo(controller)
    window.register_tab("receiver", "Receiver", window.receiver_panel)
    window.register_tab("dacc", "As the DACC would show it", window.dacc_view)
    window.register_tab("ecolyo", "Point Ecolyo at it", window.ecolyo_howto)

    menu = window.receiver_menu = ReceiverMenu(window, controller)
    menu.clear_action.triggered.connect(window.receiver_panel.ask_clear)
    menu.export_action.triggered.connect(window.receiver_panel.ask_export)
    window.send_to_receiver = SendToReceiver(window)
    menu.send_action.triggered.connect(window.send_to_receiver.send)
    menu.howto_action.triggered.connect(lambda: window.show_tab("ecolyo"))
    _insert_menu(window, menu)

    window.receiver_status = ReceiverStatus(controller, on_click=lambda: window.show_tab("receiver"))
    window.add_status_widget("receiver", window.receiver_status)
    window.installEventFilter(_StopOnClose(window, controller))
    return controller
