"""The open document: events being edited, where they came from, and the undo stack.

Views never change events themselves: they build a command
(``dacc_gui.events.edits``) and ``push`` it; the document applies it through a
``QUndoStack`` (so the Edit menu can undo it) and tells every view what
changed with the ``changed`` signal.
"""

from __future__ import annotations

import gc
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from dacc_gui.events.context import UserContext
from dacc_gui.events.edits import Change, Command, EventStore
from dacc_gui.events.eventset import EventSet, Shape

UNDO_LIMIT = 200


class EditCommand(QUndoCommand):
    """A core command on the Qt undo stack."""

    def __init__(self, document: "EventsDocument", command: Command) -> None:
        super().__init__(command.label)
        self.document = document
        self.command = command

    def redo(self) -> None:
        self.document._applied(self.command.do(self.document.store))

    def undo(self) -> None:
        self.document._applied(self.command.undo(self.document.store))


class EventsDocument(QObject):
    """One set of events open in the window."""

    changed = Signal(object)  # a dacc_gui.events.edits.Change
    reloaded = Signal()  # a new set of events replaced the old one
    dirty_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = EventStore()
        self.source = EventSet()
        self.path: Path | None = None  # None: not saved to a file yet (a sample, a new set)
        self.title = "no events"
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(UNDO_LIMIT)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.busy = False  # while saving, edits wait
        self.cozy = None  # a CozySource (ui/cozy_session.py) when the events were read from a Cozy

    def _on_clean_changed(self, clean: bool) -> None:
        self.dirty_changed.emit(not clean)

    # --- loading / saving --------------------------------------------------------
    def load(self, event_set: EventSet, path: Path | None, title: str | None = None, dirty: bool = False,
             cozy: object | None = None) -> None:
        # The store edits the loaded list itself (the source holds the same list;
        # only its shape, context, rejects and extras are read from it after this).
        self.store = EventStore.taking(event_set.events, event_set.context)
        self.source = event_set
        # A million events are millions of Python objects: a full garbage
        # collection walks them all for seconds, holding Python's lock, and
        # edits that allocate trigger one. Loaded objects are kept out of it
        # (they are freed by reference counting all the same).
        gc.freeze()
        self.path = path
        self.cozy = cozy
        self.title = title or (path.name if path else "untitled")
        self.undo_stack.clear()
        if dirty:
            self.undo_stack.resetClean()
        else:
            self.undo_stack.setClean()
        self.reloaded.emit()
        self.dirty_changed.emit(self.is_dirty)

    def snapshot(self) -> EventSet:
        """The events as they are now, as an ``EventSet`` to save (a shallow copy).

        It keeps the source's shape: the saver uses it to know what to strip
        when writing another shape (``_rev`` for ACH)."""
        src = self.source
        return EventSet(
            events=list(self.store.events),
            context=self.store.context,
            shape=src.shape,
            doctype=src.doctype,
            rejected=list(src.rejected),
            extra=dict(src.extra),
            source=str(self.path or ""),
        )

    def saved(self, path: Path, shape: Shape) -> None:
        """Called once the events are written to ``path`` as its own source."""
        self.path = Path(path)
        self.title = self.path.name
        self.cozy = None  # saved as a file: that file is the source now
        self.source.shape = shape
        self.store.mark_saved()
        self.undo_stack.setClean()
        self.changed.emit(Change("fields"))
        self.dirty_changed.emit(self.is_dirty)

    # --- edits ---------------------------------------------------------------------
    def push(self, command: Command | None) -> bool:
        """Apply an edit as one undoable step; False when there is nothing to do."""
        if command is None or self.busy:
            return False
        self.undo_stack.push(EditCommand(self, command))
        return True

    def _applied(self, change: Change) -> None:
        self.changed.emit(change)

    # --- reading -------------------------------------------------------------------
    @property
    def events(self):
        return self.store.events

    @property
    def context(self) -> UserContext:
        return self.store.effective_context()

    @property
    def is_dirty(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def empty(self) -> bool:
        return not self.store.events and self.path is None
