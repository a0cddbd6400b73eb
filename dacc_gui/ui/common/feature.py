"""How a feature plugs into the main window: it declares what it brings, the window places it.

A feature (the receiver, Compare, the Cozy connection, the demo, the
service runner) is built with the window as its :class:`Host`, which it may
read and ask things of (show a tab, show a message) but never set anything
on. It answers what it brings through the methods of :class:`Feature`;
``MainWindow`` asks each feature once and puts the answers in their places.
So ``main_window.py`` is the one file that shows what the window is made of.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

if TYPE_CHECKING:
    from dacc_gui.ui.common.document import EventsDocument
    from dacc_gui.ui.common.settings import Settings
    from dacc_gui.ui.common.tasks import TaskRunner


@dataclass(frozen=True)
class Tab:
    """A view shown as a tab, reachable from the View menu by its key."""

    key: str
    title: str
    widget: QWidget


class Host(Protocol):
    """What a feature may use of the window."""

    settings: Settings
    runner: TaskRunner
    document: EventsDocument
    today: Callable[[], date]

    def show_tab(self, key: str) -> None: ...

    def add_tab(self, tab: Tab) -> None:
        """A tab made on first use (the demo's), after the window was built."""

    def show_message(self, text: str, timeout_ms: int = 8000) -> None: ...

    def confirm_discard(self, then: Callable[[], object] | None = None) -> bool:
        """True when unsaved edits may go; with "Save", ``then`` runs once they are saved."""

    def source_saved(self, ok: bool) -> bool:
        """A save of the document's source ended (the Cozy's own save reports here).

        True when the window goes on with what waited for the save (a close, an open).
        """


class Feature:
    """What a feature brings; every part is optional (empty by default)."""

    def tabs(self) -> Sequence[Tab]:
        return ()

    def menus(self) -> Sequence[QMenu]:
        """Menus of its own, placed before Help in this order."""
        return ()

    def file_actions(self) -> Sequence[QAction]:
        """Ways to open events, placed in the File menu after Open…."""
        return ()

    def tool_actions(self) -> Sequence[QAction]:
        """Entries of the shared Tools menu."""
        return ()

    def indicator_buttons(self) -> Sequence[QWidget]:
        """Buttons beside the Indicators tab's exports (what to do with the preview)."""
        return ()

    def status_widgets(self) -> Sequence[QWidget]:
        """Permanent widgets of the status bar."""
        return ()

    def start(self) -> None:
        """Called once the whole window is built (restore a connection, say)."""

    def window_closed(self) -> None:
        """Called once the window really closed (a close can be refused)."""
