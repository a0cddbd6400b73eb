"""Telling the user what went wrong: plain words first, never a traceback.

Every failure the user sees goes through ``show_error``: what happened, where,
and what to do, in a message box whose "Show Details..." button says what
kind of error it was and where the log file is. The traceback goes to the
log (``logging``, into the file ``dacc_gui.common.logs`` sets up when the app starts),
where a bug report can take it from, not into the dialog. ``install_excepthook``
makes sure an unexpected error in a slot ends up there too.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

from dacc_gui.common.logs import active_log_file
from dacc_gui.events.loader import LoadError
from dacc_gui.ui.common.tasks import TaskFailed

log = logging.getLogger(__name__)

# Tests replace this to see the messages instead of opening boxes.
_sink: Callable[[str, str, str], None] | None = None
# What the user can fix (a bad file, a place they cannot write to): said in words, no report asked.
USER_ERRORS = (LoadError, TaskFailed, ValueError, OSError, MemoryError)


def set_sink(sink: Callable[[str, str, str], None] | None) -> None:
    """Send messages to ``sink(title, text, details)`` instead of dialogs."""
    global _sink
    _sink = sink


def describe(exc: BaseException) -> str:
    """An exception in words a user understands."""
    if isinstance(exc, (LoadError, TaskFailed, ValueError)) and str(exc):
        return str(exc)
    if isinstance(exc, PermissionError):
        return f"Permission denied: {exc.filename or exc}. Choose another place or check the file's permissions."
    if isinstance(exc, FileNotFoundError):
        return f"The file {exc.filename or ''} does not exist (any more)."
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}" + (f" ({exc.filename})" if exc.filename else "")
    if isinstance(exc, MemoryError):
        return "Not enough memory for this. Try a smaller file or a shorter range."
    return f"An unexpected error happened ({type(exc).__name__}: {exc})."


def show_error(parent: QWidget | None, title: str, text: str, details: str = "") -> None:
    """A message box: ``text`` says what and what to do; ``details`` behind a button."""
    if _sink is not None:
        _sink(title, text, details)
        return
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setDetailedText(details)
    box.setModal(True)
    box.open()  # not exec(): the window keeps running behind it


def details_of(exc: BaseException) -> str:
    """What "Show Details..." holds: the kind of error and where its traceback is, never the traceback."""
    path = active_log_file()
    where = f"The technical details are in the log file {path}." if path else \
        "The technical details are in the app's log."
    if isinstance(exc, USER_ERRORS):
        return where
    return f"{type(exc).__name__}: {exc}\n\n{where} Please attach it when you report this."


def show_exception(parent: QWidget | None, title: str, exc: BaseException, todo: str = "") -> None:
    text = describe(exc) + (f"\n\n{todo}" if todo else "")
    log.error("%s: %s", title, describe(exc), exc_info=(type(exc), exc, exc.__traceback__))
    show_error(parent, title, text, details_of(exc))


def install_excepthook(parent_getter: Callable[[], QWidget | None]) -> None:
    """Unexpected errors in the UI become a dialog instead of a traceback."""
    previous = sys.excepthook

    def hook(kind, value, tb):  # noqa: ANN001
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, value, tb)
            return
        log.error("Unexpected error", exc_info=(kind, value, tb))  # kept for bug reports
        show_error(
            parent_getter(),
            "Something went wrong",
            f"The app hit an unexpected error ({kind.__name__}: {value}). Your edits are still there; "
            "save them to be safe, and please report this with the details.",
            details_of(value),
        )

    sys.excepthook = hook
