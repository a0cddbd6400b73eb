"""How to point Ecolyo's service at the built-in receiver: the Ecolyo page's
"How to local test ?" steps, made concrete for this receiver, with copy buttons.

The page has you run ``node scripts/server.js`` on port 8081 and edit the
DACC URL in the aggregatorUsageEvents service; here the app's receiver takes
the place of that script, and the snippets carry its real URL. The URL uses
127.0.0.1 rather than ``localhost``: the receiver listens on IPv4 only, and a
recent Node resolves ``localhost`` to ``::1`` first.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QScrollArea, QVBoxLayout, QWidget,
)

from dacc_gui.ui.receiver_controller import ReceiverController

BUILD_AND_RUN = ("yarn build-dev:browser & yarn run cozy-konnector-dev -m ./manifest.webapp "
                 "./build/services/aggregatorUsageEvents/ecolyo.js")
RUN_ONLY = "yarn run cozy-konnector-dev -m ./manifest.webapp ./build/services/aggregatorUsageEvents/ecolyo.js"


def service_url(controller: ReceiverController) -> str:
    """The URL Ecolyo's service should post to (the receiver's, or the one it will have)."""
    if controller.url:
        return controller.url
    return f"http://127.0.0.1:{controller.port or 8081}"


def url_snippet(url: str) -> str:
    """The page's line-67 edit, with this receiver's URL."""
    return (
        "await client\n"
        "  .getStackClient()\n"
        "  .fetchJSON(\n"
        "    'POST',\n"
        "    environments.isProduction()\n"
        "      ? '/remote/cc.cozycloud.daccv_2'\n"
        f"      : '{url}',\n"
        "    {\n"
        "      data: JSON.stringify(indicator),\n"
        "    }\n"
        "  )"
    )


DATE_PROTECTION_SNIPPET = (
    "if (\n"
    "  profile\n"
    "  // &&\n"
    "  // DateTime.local()\n"
    "  //   .setZone('utc', {\n"
    "  //     keepLocalTime: true,\n"
    "  //   })\n"
    "  //   .startOf('day').day === profile.monthlyAnalysisDate.day\n"
    ") {"
)


@dataclass
class Step:
    title: str
    text: str
    code: str = ""  # copied by the step's button


def steps(url: str, running: bool) -> list[Step]:
    """The local-test recipe for a receiver at ``url``."""
    where = (f"It is listening on <b>{url}</b>." if running else
             f"It is <b>not running</b>: start it (Receiver ▸ Start); it will listen on <b>{url}</b>.")
    return [
        Step("1. The local server: this app's receiver",
             "The Ecolyo page has you run <code>node scripts/server.js</code> to log what the service sends. "
             f"This app's receiver does that job, and also validates each indicator as the DACC would. {where} "
             "Stop the old script if it still runs: both want port 8081."),
        Step("2. Point the service's DACC URL at it",
             "In the source of Ecolyo's aggregatorUsageEvents service (the one the build turns into "
             "<code>build/services/aggregatorUsageEvents/ecolyo.js</code>), around line 67, replace the local URL of the "
             "<code>fetchJSON('POST', ...)</code> call by this one. Keep <code>127.0.0.1</code>: the receiver "
             "listens on IPv4, and Node may try <code>localhost</code> as <code>::1</code> first.",
             url_snippet(url)),
        Step("3. For monthly indicators, remove the date protection",
             "Around line 1100, comment out the monthly analysis day check, as below. The Indicators tab's "
             "“Ignore monthly date protection” previews the same thing.",
             DATE_PROTECTION_SNIPPET),
        Step("4. Have usage events to send",
             "Navigate through Ecolyo to generate usage events (doctype "
             "<code>com.grandlyon.ecolyo.usageevent</code>). The service runs at night and takes the events of "
             "the days before: move today's events to yesterday (Events tab: select them, shift by -1 day, "
             "save back to the Cozy) or they will not be sent."),
        Step("5. Run the service",
             "In Ecolyo's folder, build and run the service once (copy below). When "
             "aggregatorUsageEvents did not change since the last build, the run alone is enough: "
             f"<code>{RUN_ONLY}</code>.",
             BUILD_AND_RUN),
        Step("6. Check what arrived",
             "Each request appears in the Receiver tab as it comes, with the DACC's answer; the “As the DACC "
             "would show it” tab shows the aggregates Metabase would publish. Compare it with the Indicators "
             "tab's preview for the same run date."),
    ]


class EcolyoHowTo(QScrollArea):
    """The how-to panel; its URL follows the receiver."""

    def __init__(self, controller: ReceiverController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.copy_buttons: dict[str, QPushButton] = {}
        self.code_boxes: dict[str, QPlainTextEdit] = {}
        self.body = QWidget()
        self.layout_ = QVBoxLayout(self.body)
        self.layout_.setContentsMargins(16, 12, 16, 12)
        self.setWidget(self.body)
        self.url_label = QLabel()
        self.url_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.url_label.setFont(self.mono)
        self.url_label.setStyleSheet("QLabel { font-size: 14pt; padding: 4px; }")
        self.copy_url_button = QPushButton("Copy URL")
        self.copy_url_button.clicked.connect(lambda: self.copy("url"))
        self.rebuild()
        controller.state_changed.connect(lambda _t: self.rebuild())

    def url(self) -> str:
        return service_url(self.controller)

    def texts(self) -> dict[str, str]:
        """What each copy button copies."""
        out = {"url": self.url()}
        for n, step in enumerate(steps(self.url(), self.controller.running), start=1):
            if step.code:
                out[f"step{n}"] = step.code
        return out

    def copy(self, key: str) -> str:
        text = self.texts()[key]
        QGuiApplication.clipboard().setText(text)
        return text

    def rebuild(self) -> None:
        while self.layout_.count():
            item = self.layout_.takeAt(0)
            widget = item.widget()
            if widget is not None and widget not in (self.url_label, self.copy_url_button):
                widget.deleteLater()
            elif item.layout() is not None:
                _empty(item.layout(), keep=(self.url_label, self.copy_url_button))
        self.copy_buttons = {"url": self.copy_url_button}
        self.code_boxes = {}
        url = self.url()
        title = QLabel("<h2>Point Ecolyo's service at this receiver</h2>"
                       "<p>The Ecolyo page's “How to local test ?” recipe, with this receiver's address.</p>")
        title.setWordWrap(True)
        self.layout_.addWidget(title)
        self.url_label.setText(url)
        row = QHBoxLayout()
        row.addWidget(QLabel("<b>URL to use:</b>"))
        row.addWidget(self.url_label)
        row.addWidget(self.copy_url_button)
        row.addStretch(1)
        self.layout_.addLayout(row)
        for n, step in enumerate(steps(url, self.controller.running), start=1):
            heading = QLabel(f"<h3>{step.title}</h3>")
            text = QLabel(step.text)
            text.setWordWrap(True)
            text.setTextFormat(Qt.TextFormat.RichText)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.layout_.addWidget(heading)
            self.layout_.addWidget(text)
            if step.code:
                box = QPlainTextEdit(step.code)
                box.setReadOnly(True)
                box.setFont(self.mono)
                lines = step.code.count("\n") + 1
                box.setFixedHeight(min(14, lines) * box.fontMetrics().lineSpacing() + 16)
                box.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap if lines > 1
                                    else QPlainTextEdit.LineWrapMode.WidgetWidth)
                if lines == 1:
                    box.setFixedHeight(2 * box.fontMetrics().lineSpacing() + 16)
                button = QPushButton("Copy")
                key = f"step{n}"
                button.clicked.connect(lambda _=False, k=key: self.copy(k))
                code_row = QHBoxLayout()
                code_row.addWidget(box, 1)
                code_row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
                self.layout_.addLayout(code_row)
                self.copy_buttons[key] = button
                self.code_boxes[key] = box
        self.layout_.addStretch(1)


def _empty(layout, keep) -> None:  # noqa: ANN001
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget()
        if widget is not None and widget not in keep:
            widget.deleteLater()
        elif item.layout() is not None:
            _empty(item.layout(), keep)
