"""Plugs the Cozy connection, the dev-DACC push and the population demo into the main window.

``install_cozy(window)`` is called once at the end of ``MainWindow.__init__``:
it attaches ``window.cozy`` (the connection and the Cozy as a document
source), turns part 1's placeholder "Open from Cozy…" into the real thing,
adds a Cozy menu (connection, open, push to the dev DACC) and a Demo menu
(simulate a population, presentation mode, HTML report), and shows the
connection in the status bar (a click opens the connect dialog).
"""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu, QToolButton

from dacc_gui.ui.cozy_controller import CozyController


def _menu_before_help(window, title: str) -> QMenu:  # noqa: ANN001
    bar = window.menuBar()
    menu = QMenu(title, window)
    help_action = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
    if help_action is not None:
        bar.insertMenu(help_action, menu)
    else:
        bar.addMenu(menu)
    return menu


def install_cozy(window, token_store=None) -> CozyController:  # noqa: ANN001
    controller = CozyController(window, token_store)
    window.cozy = controller

    # part 1 left a disabled placeholder in the File menu
    action = window.cozy_action
    try:
        action.triggered.disconnect()
    except (RuntimeError, TypeError):
        pass
    action.setText("Open from &Cozy…")
    action.setEnabled(True)
    action.triggered.connect(controller.open_from_cozy)

    cozy_menu = _menu_before_help(window, "&Cozy")
    window.cozy_menu = cozy_menu
    cozy_menu.addAction("&Connection…", controller.show_dialog)
    cozy_menu.addAction(action)
    cozy_menu.addSeparator()
    window.push_action = cozy_menu.addAction("&Push the previewed indicators to the Cozy dev DACC…",
                                             lambda: show_push_dialog(window))

    demo_menu = _menu_before_help(window, "&Demo")
    window.demo_menu = demo_menu
    demo_menu.addAction("&Simulate a population…", lambda: show_demo_dialog(window))
    window.presentation_action = demo_menu.addAction("&Presentation mode", lambda: present_demo(window))
    window.presentation_action.setShortcut(QKeySequence("F11"))
    demo_menu.addAction("Export an HTML &report…", lambda: export_demo_report(window))

    state = QToolButton()
    state.setAutoRaise(True)
    state.setText(controller.state_text())
    state.setToolTip("The Cozy connection: click to connect, see the token, or sign out")
    state.clicked.connect(lambda: controller.show_dialog())
    controller.state_changed.connect(state.setText)
    window.add_status_widget("cozy", state)

    controller.restore()
    return controller


def show_push_dialog(window):  # noqa: ANN001
    from dacc_gui.ui.push_dialog import PushDialog

    dialog = getattr(window, "push_dialog", None)
    if dialog is None:
        dialog = window.push_dialog = PushDialog(window)
    dialog.load_preview()
    dialog.show()
    dialog.raise_()
    if window.cozy.connection is None:
        window.cozy.show_dialog(then=lambda: (dialog.refresh(), dialog.raise_()))
    return dialog


def demo_view(window):  # noqa: ANN001
    """The demo's DACC view, as a tab added on first use."""
    from dacc_gui.ui.demo_view import DemoView

    view = getattr(window, "demo_view", None)
    if view is None:
        view = window.demo_view = DemoView(window)
        window.register_tab("demo", "Population demo", view)
    return view


def show_demo_dialog(window):  # noqa: ANN001
    return demo_view(window).ask_simulate()


def present_demo(window):  # noqa: ANN001
    return demo_view(window).present()


def export_demo_report(window):  # noqa: ANN001
    return demo_view(window).ask_export_report()
