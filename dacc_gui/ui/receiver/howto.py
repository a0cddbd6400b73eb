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

from dacc_gui.ui.receiver.controller import ReceiverController

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
        "      ? '/remote/cc.cozycloud.dacc_v2'\n"
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
             "listens on IPv4, and Node may try <code>localhost</code> as <code>::1</code> first. (The page "
             "writes the production doctype <code>daccv_2</code>; the DACC's is <code>cc.cozycloud.dacc_v2</code>.)",
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
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.copy_buttons: dict[str, QPushButton] = {}
        self.code_boxes: dict[str, QPlainTextEdit] = {}
        self.step_labels: list[QLabel] = []
        self.body = QWidget()
        layout = QVBoxLayout(self.body)
        layout.setContentsMargins(16, 12, 16, 12)
        self.setWidget(self.body)

        title = QLabel("<h2>Point Ecolyo's service at this receiver</h2>"
                       "<p>The Ecolyo page's “How to local test ?” recipe, with this receiver's address.</p>")
        title.setWordWrap(True)
        layout.addWidget(title)
        self.url_label = QLabel()
        self.url_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.url_label.setFont(mono)
        self.url_label.setStyleSheet("QLabel { font-size: 14pt; padding: 4px; }")
        self.copy_buttons["url"] = QPushButton("Copy URL")
        self.copy_buttons["url"].clicked.connect(lambda: self.copy("url"))
        row = QHBoxLayout()
        row.addWidget(QLabel("<b>URL to use:</b>"))
        row.addWidget(self.url_label)
        row.addWidget(self.copy_buttons["url"])
        row.addStretch(1)
        layout.addLayout(row)

        for n, step in enumerate(steps(self.url(), controller.running), start=1):
            layout.addWidget(QLabel(f"<h3>{step.title}</h3>"))
            text = QLabel()
            text.setWordWrap(True)
            text.setTextFormat(Qt.TextFormat.RichText)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(text)
            self.step_labels.append(text)
            if not step.code:
                continue
            key = f"step{n}"
            box = QPlainTextEdit()
            box.setReadOnly(True)
            box.setFont(mono)
            lines = step.code.count("\n") + 1
            box.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
            box.setFixedHeight((max(lines, 1) + 1) * box.fontMetrics().lineSpacing() + 12)
            button = QPushButton("Copy")
            button.clicked.connect(lambda _=False, k=key: self.copy(k))
            code_row = QHBoxLayout()
            code_row.addWidget(box, 1)
            code_row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
            layout.addLayout(code_row)
            self.copy_buttons[key] = button
            self.code_boxes[key] = box
        layout.addStretch(1)
        self.refresh()
        controller.state_changed.connect(lambda _t: self.refresh())

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

    def refresh(self) -> None:
        """Put the receiver's current URL and state in every step."""
        url = self.url()
        self.url_label.setText(url)
        for n, (label, step) in enumerate(zip(self.step_labels, steps(url, self.controller.running)), start=1):
            label.setText(step.text)
            box = self.code_boxes.get(f"step{n}")
            if box is not None and box.toPlainText() != step.code:
                box.setPlainText(step.code)

    def step_texts(self) -> list[str]:
        return [label.text() for label in self.step_labels]
