"""The Cozy connect dialog: the instance, a pasted token or the browser, and a clear state.

The state box says, in plain words, to which instance the app is connected,
how (pasted token or OAuth), when the token expires if it says so, and where
the token is kept (the system keyring, or memory only for this run). Errors
show in the dialog itself, in red, and leave the fields as typed.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout,
)

from dacc_gui.cozy.client import CozyAuthError, normalize_url
from dacc_gui.cozy.session import CozyConnection

TOKEN_HINT = "cozy-stack instances token-app <domain> ecolyo"
ERROR_STYLE = "QLabel { color: #a61b1b; }"
STATE_STYLE = "QGroupBox { font-weight: bold; }"


class CozyConnectDialog(QDialog):
    """Connect to a Cozy, see the connection, sign out."""

    connected = Signal(object)  # the CozyConnection

    def __init__(self, controller, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("Cozy connection")
        self.setMinimumWidth(620)
        self._then: Callable[[], None] | None = None
        self._task = None

        self.url_edit = QLineEdit(controller.settings.cozy_url)
        self.url_edit.setPlaceholderText("http://cozy.localhost:8080 or https://you.mycozy.cloud")
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("paste a token")
        self.token_edit.setToolTip(f"A token for Ecolyo's permissions, e.g. from `{TOKEN_HINT}`")
        self.connect_button = QPushButton("Connect with this token")
        self.browser_button = QPushButton("Sign in with browser…")
        self.browser_button.setToolTip("OAuth: the Cozy's authorize page opens in your browser")
        self.cancel_button = QPushButton("Cancel sign-in")
        self.cancel_button.setVisible(False)
        self.busy_label = QLabel()
        self.busy_label.setWordWrap(True)
        self.busy_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.addRow("Cozy instance", self.url_edit)
        token_row = QHBoxLayout()
        token_row.addWidget(self.token_edit, 1)
        token_row.addWidget(self.connect_button)
        form.addRow("Token", token_row)
        hint = QLabel(f"<small>A token from <code>{html.escape(TOKEN_HINT)}</code>, or sign in with your browser "
                      "(asks the Cozy for read/write on usage events and POST on the dev DACC).</small>")
        hint.setWordWrap(True)
        form.addRow("", hint)
        browser_row = QHBoxLayout()
        browser_row.addWidget(self.browser_button)
        browser_row.addWidget(self.cancel_button)
        browser_row.addStretch(1)
        form.addRow("Or", browser_row)

        self.state_box = QGroupBox("Not connected")
        self.state_box.setStyleSheet(STATE_STYLE)
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        self.state_label.setTextFormat(Qt.TextFormat.RichText)
        self.state_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sign_out_button = QPushButton("Sign out")
        state_layout = QVBoxLayout(self.state_box)
        state_layout.addWidget(self.state_label)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.sign_out_button)
        state_layout.addLayout(row)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.busy_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.state_box)
        layout.addWidget(buttons)

        self.connect_button.clicked.connect(self.connect_with_token)
        self.token_edit.returnPressed.connect(self.connect_with_token)
        self.browser_button.clicked.connect(self.sign_in_with_browser)
        self.cancel_button.clicked.connect(self.controller.cancel_sign_in)
        self.sign_out_button.clicked.connect(self.sign_out)
        controller.connection_changed.connect(lambda _c: self.refresh())
        controller.sign_in_link.connect(self._show_link)
        self.refresh()

    # --- state -------------------------------------------------------------------
    def set_continuation(self, then: Callable[[], None] | None) -> None:
        self._then = then

    def refresh(self) -> None:
        c: CozyConnection | None = self.controller.connection
        self.sign_out_button.setEnabled(c is not None and self._task is None)
        if c is None:
            self.state_box.setTitle("Not connected")
            self.state_label.setText("Connect to read usage events from a Cozy, write edits back, and push "
                                     "indicators to the dev DACC.")
            return
        self.state_box.setTitle(f"Connected to {c.host}")
        kept = c.kept[0].upper() + c.kept[1:] if c.kept else ""
        lines = [f"Connected as <b>{html.escape(c.url)}</b>", f"How: {c.how()}",
                 c.expiry_text().capitalize(), html.escape(kept)]
        if c.note:
            lines.append(f"<span style='color:#8a5a00'>Note: {html.escape(c.note)}</span>")
        self.state_label.setText("<br>".join(lines))
        self.adjustSize()

    def _busy(self, text: str, signing_in: bool = False) -> None:
        self.busy_label.setText(text)
        self.error_label.setText("")
        for w in (self.connect_button, self.browser_button, self.url_edit, self.token_edit):
            w.setEnabled(not text)
        self.cancel_button.setVisible(signing_in)
        self.sign_out_button.setEnabled(not text and self.controller.connection is not None)

    def _url(self) -> str | None:
        try:
            return normalize_url(self.url_edit.text())
        except ValueError as exc:
            self.error_label.setText(str(exc))
            return None

    # --- actions -------------------------------------------------------------------
    def connect_with_token(self) -> None:
        url = self._url()
        if url is None:
            return
        token = self.token_edit.text().strip()
        if not token:
            self.error_label.setText(f"Paste a token first (e.g. from `{TOKEN_HINT}`), or sign in with the browser.")
            return
        self._busy(f"Checking the token with {url}…")
        self._task = self.controller.connect_with_token(url, token, on_done=self._connected, on_error=self._failed)
        if not self._task.running:
            self._task = None

    def sign_in_with_browser(self) -> None:
        url = self._url()
        if url is None:
            return
        self._busy(f"Finish signing in to {url} in your browser…", signing_in=True)
        self._task = self.controller.sign_in_with_browser(url, on_done=self._connected, on_error=self._failed,
                                                          on_cancel=self._cancelled)
        if not self._task.running:
            self._task = None

    def _show_link(self, link: str) -> None:
        if self._task is not None:
            self.busy_label.setText(f"Finish signing in in your browser. If no browser opened, open this address:"
                                    f"\n{link}")

    def _connected(self, connection: CozyConnection) -> None:
        self._task = None
        self._busy("")
        self.token_edit.clear()  # the token is kept by the token store, not in a widget
        self.refresh()
        self.connected.emit(connection)
        then, self._then = self._then, None
        if then is not None:
            self.accept()
            then()

    def _failed(self, exc: BaseException) -> None:
        self._task = None
        self._busy("")
        text = str(exc) or type(exc).__name__
        if isinstance(exc, CozyAuthError):
            text += f"\nCheck the token (a new one: `{TOKEN_HINT}`)."
        self.error_label.setText(text)
        self.refresh()

    def _cancelled(self) -> None:
        self._task = None
        self._busy("")
        self.error_label.setText("Sign-in cancelled.")

    def sign_out(self) -> None:
        self._busy("Signing out…")
        self._task = self.controller.sign_out(on_done=self._signed_out)
        if self._task is not None and not self._task.running:
            self._task = None

    def _signed_out(self, message: str) -> None:
        self._task = None
        self._busy("")
        self.busy_label.setText(message)
        self.refresh()
