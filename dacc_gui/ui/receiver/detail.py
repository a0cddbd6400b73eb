"""One received request in full: the verdict, headers, raw body and pretty JSON.

The verdict says what the receiver answered, why (the validator's error and
warnings), and, where production would have answered otherwise, what it
would have answered ("production would answer 500: ..."), since that is what
Ecolyo's service would have met.
"""

from __future__ import annotations

import html
import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QTabWidget, QVBoxLayout, QWidget,
)

from dacc_gui.receiver import Kind, Record, Shape
from dacc_gui.ui.receiver.models import LEVEL_COLOURS, time_text

SHAPES = {
    Shape.RAW: "a raw measure (POST /measure)",
    Shape.DATA: "{\"data\": \"<JSON string>\"}, as Ecolyo's service posts it",
    Shape.PATH_DATA: "{\"path\": \"measure\", \"data\": \"<JSON string>\"}, as the Cozy stack forwards it",
}


def verdict_lines(record: Record) -> list[str]:
    """The answer and why, in words (plain text, one line each)."""
    lines = []
    if record.kind == Kind.MEASURE:
        if record.accepted:
            lines.append(f"{record.status}: accepted, as the DACC would accept it.")
        else:
            lines.append(f"{record.status}: refused" + (f" — {record.error}" if record.error else "") + ".")
    else:
        lines.append(f"{record.status} to {record.method} {record.path} ({record.kind} request).")
    lines += [f"Warning: {w}" for w in record.warnings]
    if record.production_note:
        lines.append(record.production_note[0].upper() + record.production_note[1:] + ".")
    if record.fault:
        lines.append(f"Injected fault: {record.fault}.")
    return lines


def pretty_body(record: Record) -> str:
    """The body as indented JSON; a ``data`` string unwrapped into the measure it carries."""
    try:
        outer: Any = json.loads(record.body_text)
    except ValueError:
        return "(the body is not JSON)" if record.body else "(no body)"
    text = json.dumps(outer, ensure_ascii=False, indent=2)
    if record.shape in (Shape.DATA, Shape.PATH_DATA) and record.has_measure:
        text += "\n\n// the measure in \"data\":\n" + json.dumps(record.measure, ensure_ascii=False, indent=2)
    return text


class RecordDetail(QWidget):
    """The detail pane of the Receiver tab."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record: Record | None = None
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.title = QLabel()
        # Wrapped: a long title would widen the pane and squeeze the list of requests.
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verdict.setTextFormat(Qt.TextFormat.RichText)
        self.pretty = QPlainTextEdit()
        self.raw = QPlainTextEdit()
        self.headers = QPlainTextEdit()
        self.response = QPlainTextEdit()
        for text in (self.pretty, self.raw, self.headers, self.response):
            text.setReadOnly(True)
            text.setFont(mono)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.pretty, "Pretty JSON")
        self.tabs.addTab(self.raw, "Raw body")
        self.tabs.addTab(self.headers, "Headers")
        self.tabs.addTab(self.response, "Answer")
        self.copy_button = QPushButton("Copy body")
        self.copy_button.clicked.connect(self.copy_body)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.verdict)
        layout.addWidget(self.tabs, 1)
        self.show_record(None)

    def show_record(self, record: Record | None) -> None:
        self.record = record
        self.copy_button.setEnabled(record is not None)
        if record is None:
            self.title.setText("<b>Request</b>")
            self.verdict.setText("Select a request to see what arrived and what the receiver answered.")
            for text in (self.pretty, self.raw, self.headers, self.response):
                text.setPlainText("")
            return
        shape = f" · {SHAPES[record.shape]}" if record.shape in SHAPES else ""
        self.title.setText(f"<b>#{record.id} {html.escape(record.method)} {html.escape(record.path)}</b>"
                           f" · {time_text(record.received_at)} UTC{html.escape(shape)}")
        colour = LEVEL_COLOURS[record.level]
        lines = verdict_lines(record)
        self.verdict.setText(f"<span style='color:{colour}; font-weight:bold'>{html.escape(lines[0])}</span>"
                             + "".join(f"<br>{html.escape(line)}" for line in lines[1:]))
        self.pretty.setPlainText(pretty_body(record))
        self.raw.setPlainText(record.body_text)
        self.headers.setPlainText("\n".join(f"{k}: {v}" for k, v in record.headers.items()))
        self.response.setPlainText(f"HTTP {record.status}\n\n{record.response}")

    def verdict_text(self) -> str:
        """The verdict as plain text (what the pane says, for tests and copying)."""
        return "\n".join(verdict_lines(self.record)) if self.record else ""

    def copy_body(self) -> None:
        if self.record is not None:
            QGuiApplication.clipboard().setText(self.record.body_text)
