"""Two or more panes side by side (or one above the other), sharing extra room by weight."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QWidget


def splitter(orientation: Qt.Orientation, *panes: tuple[QWidget, int],
             sizes: Sequence[int] | None = None) -> QSplitter:
    """A splitter of ``(widget, stretch)`` panes, in order; ``sizes`` are the starting sizes."""
    split = QSplitter(orientation)
    for n, (widget, stretch) in enumerate(panes):
        split.addWidget(widget)
        split.setStretchFactor(n, stretch)
    if sizes is not None:
        split.setSizes(list(sizes))
    return split
