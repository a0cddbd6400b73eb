"""Ctrl+Z and Ctrl+Shift+Z undo and redo the document's edits wherever the keyboard is in the window.

Qt lets a focused text field or spin box take the undo keys for its own
text, even when it has nothing to undo, so from a date field, a spin box or
an empty filter the keys did nothing at all. ``UndoKeys`` hands the keys to
the window's Undo and Redo unless the focused field has typing of its own
to undo (a filter being typed keeps its Ctrl+Z, as in any text field).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

_REDO = QKeySequence("Ctrl+Shift+Z")


def _wants(event: QKeyEvent) -> str | None:
    """'undo', 'redo' or None for a key event."""
    if event.matches(QKeySequence.StandardKey.Undo):
        return "undo"
    if event.matches(QKeySequence.StandardKey.Redo) or \
            QKeySequence(event.keyCombination()).matches(_REDO) == QKeySequence.SequenceMatch.ExactMatch:
        return "redo"
    return None


def field_keeps(widget: QObject, what: str) -> bool:
    """Whether ``widget`` has typing of its own to undo (or redo): then the keys are its own."""
    if isinstance(widget, QAbstractSpinBox) or isinstance(widget.parent(), QAbstractSpinBox):
        return False  # a date or a number: Ctrl+Z means the document's last edit
    if isinstance(widget, QLineEdit):
        if widget.isReadOnly():
            return False
        return widget.isUndoAvailable() if what == "undo" else widget.isRedoAvailable()
    if isinstance(widget, (QPlainTextEdit, QTextEdit)):
        if widget.isReadOnly():
            return False
        document = widget.document()
        return document.isUndoAvailable() if what == "undo" else document.isRedoAvailable()
    return False


class UndoKeys(QObject):
    """Watches the application's key events for ``window`` (see the module doc)."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        app = QApplication.instance()
        app.installEventFilter(self)
        window.destroyed.connect(lambda _o=None, app=app: app.removeEventFilter(self))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(watched, QWidget):
            return False
        what = _wants(event)
        if what is None or watched.window() is not self.window:
            return False
        # Not delivered to the field, the override stays unclaimed: the window's shortcut fires.
        return not field_keeps(watched, what)
