"""The built-in receiver as a feature of the window.

It brings the :class:`ReceiverController`, the Receiver tab (the live list),
the "as the DACC would show it" tab, the Ecolyo how-to, the Receiver menu
(Start/Stop, Port…, Clear…, Export…), the receiver's state in the status
bar, and "Send to receiver" beside the Indicators tab's exports. Starting
with the app is ``app.run``'s job (``start_with_app``), so that a window
made in a test stays quiet.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QInputDialog, QLineEdit, QMenu, QWidget

from dacc_gui.ui.common.compact import ElidedLabel
from dacc_gui.ui.common.feature import Feature, Host, Tab

from dacc_gui.ui.receiver.controller import ReceiverController

STOPPED_STYLE = "QLabel { color: #8a5a00; }"
RUNNING_STYLE = "QLabel { color: #1b6e2a; }"


class ReceiverStatus(ElidedLabel):
    """The receiver's state in the status bar; a click shows the Receiver tab."""

    def __init__(self, controller: ReceiverController, on_click=None) -> None:
        super().__init__(min_chars=24)
        self.controller = controller
        self.on_click = on_click
        controller.state_changed.connect(self.show_state)
        self.show_state(controller.state)

    def show_state(self, text: str) -> None:
        self.setText(text)
        self.setStyleSheet(RUNNING_STYLE if self.controller.running else STOPPED_STYLE)
        tip = self.controller.error or "Click to see what it received"
        self.setToolTip(f"{text}\n{tip}")

    def mousePressEvent(self, event) -> None:  # noqa: N802, ANN001
        if self.on_click is not None:
            self.on_click()
        super().mousePressEvent(event)


class ReceiverMenu(QMenu):
    """Receiver ▸ Start/Stop, Port…, Send…, How-to, Clear…, Export…, Start with the app."""

    def __init__(self, window: QWidget, controller: ReceiverController) -> None:
        super().__init__("&Receiver", window)
        self.setToolTipsVisible(True)
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
        self.shared_action = self.addAction("Use a shared receiver…", self.ask_shared)
        self.shared_action.setToolTip("Show a team's receiver (dacc-gui serve on another machine, or on "
                                      "PostgreSQL) instead of the built-in one: its list, aggregates and faults")
        self.built_in_action = self.addAction("Use the built-in receiver", controller.use_built_in)
        self.addSeparator()
        self.clear_errors_action = self.addAction("Answer with clear errors (not as production)")
        self.clear_errors_action.setCheckable(True)
        self.clear_errors_action.setChecked(controller.clear_errors)
        self.clear_errors_action.setToolTip("Off: the receiver answers exactly as the real DACC (its 500s, its 201s "
                                            "that store nothing). On: those become 400 and 422 with a clear "
                                            "message; each record still says what production would answer.")
        self.clear_errors_action.toggled.connect(controller.set_clear_errors)
        controller.mode_changed.connect(self.clear_errors_action.setChecked)
        self.autostart_action = self.addAction("Start with the app")
        self.autostart_action.setCheckable(True)
        self.autostart_action.setChecked(controller.settings.receiver_autostart)
        self.autostart_action.toggled.connect(self._set_autostart)
        controller.state_changed.connect(lambda _t: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        self.toggle_action.setText("Stop" if self.controller.running else "Start")
        shared = self.controller.shared
        self.built_in_action.setEnabled(shared)
        self.port_action.setEnabled(not shared)  # a shared receiver's port is its own
        busy = self.controller.busy is not None  # a start, stop or clear is running
        self.toggle_action.setEnabled(not busy)
        self.port_action.setEnabled(not busy)
        self.clear_action.setEnabled(not busy)

    def toggle(self):  # noqa: ANN201
        """Start or stop, off the UI thread (stopping takes seconds)."""
        if self.controller.running:
            return self.controller.stop_in_background()
        return self.controller.start_in_background()

    def ask_port(self) -> None:
        current = self.controller.port
        suggested = self.controller.suggested_port or current
        port, ok = QInputDialog.getInt(
            self.window_, "Receiver port",
            "Port to listen on (127.0.0.1). Ecolyo's service posts to the URL the how-to shows.",
            suggested, 1, 65535)
        if ok:
            self.use_port(port)

    def ask_shared(self) -> None:
        url, ok = QInputDialog.getText(self.window_, "Shared receiver",
                                       "Address of the team's receiver (its dacc-gui serve):",
                                       text=self.controller.settings.receiver_shared_url or "http://")
        if not ok or not url.strip():
            return
        token, ok = QInputDialog.getText(self.window_, "Shared receiver",
                                         "Its token (from whoever runs it; kept in memory only, or set "
                                         "DACC_GUI_RECEIVER_TOKEN); empty if it has none:", QLineEdit.EchoMode.Password)
        if ok:
            self.controller.use_shared(url.strip(), token.strip() or None)

    def use_port(self, port: int):  # noqa: ANN201
        """(Re)start the receiver on ``port`` off the UI thread, remembered once it listens there.

        The task; False when the receiver keeps serving where it is (the port is in use) or is busy."""
        controller = self.controller

        def remember(ok: bool) -> None:
            if ok:
                controller.settings.receiver_port = port

        if not controller.running:
            controller.settings.receiver_port = port  # the port to try next time
            return controller.start_in_background(port) or False
        return controller.restart_in_background(port, then=remember) or False

    def _set_autostart(self, on: bool) -> None:
        self.controller.settings.receiver_autostart = on


class ReceiverFeature(Feature):
    """The receiver, its views, its menu and its state in the status bar (see the module doc)."""

    def __init__(self, host: Host, indicators_view) -> None:  # noqa: ANN001
        from dacc_gui.ui.receiver.dacc_view import DaccView
        from dacc_gui.ui.receiver.howto import EcolyoHowTo
        from dacc_gui.ui.receiver.panel import ReceiverPanel
        from dacc_gui.ui.receiver.send import SendToReceiver

        self.controller = ReceiverController(host.settings, parent=host, runner=host.runner)
        self.panel = ReceiverPanel(self.controller, host.runner, host.settings)
        self.dacc_view = DaccView(self.controller, host.runner, host.today,
                                  measure_counts=lambda: self.panel.model.summary.by_measure,
                                  summary=lambda: self.panel.model.summary)
        self.howto = EcolyoHowTo(self.controller)
        self.send = SendToReceiver(host, self.controller, indicators_view)
        self.menu = ReceiverMenu(host, self.controller)
        self.menu.clear_action.triggered.connect(self.panel.ask_clear)
        self.menu.export_action.triggered.connect(self.panel.ask_export)
        self.menu.send_action.triggered.connect(self.send.send)
        self.menu.howto_action.triggered.connect(lambda: host.show_tab("ecolyo"))
        self.status = ReceiverStatus(self.controller, on_click=lambda: host.show_tab("receiver"))

    def url_if_running(self) -> str | None:
        return self.controller.url if self.controller.running else None

    def tabs(self) -> Sequence[Tab]:
        return (Tab("receiver", "Receiver", self.panel),
                Tab("dacc", "As the DACC would show it", self.dacc_view),
                Tab("ecolyo", "Point Ecolyo at it", self.howto))

    def menus(self) -> Sequence[QMenu]:
        return (self.menu,)

    def indicator_buttons(self) -> Sequence[QWidget]:
        return (self.send.button,)

    def status_widgets(self) -> Sequence[QWidget]:
        return (self.status,)

    def window_closed(self) -> None:
        self.controller.close()
