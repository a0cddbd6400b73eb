"""Widgets drawn off screen as PNG bytes, for reports that embed them (no window shown).

Needs a Qt application; one is created if there is none, headless
(``offscreen``) when no display is available.
"""

from __future__ import annotations

import os

from PySide6 import QtCore, QtGui, QtWidgets

_app: QtWidgets.QApplication | None = None  # kept alive for the process


def ensure_app() -> QtWidgets.QApplication:
    """The running Qt application, or a new one (headless without a display)."""
    global _app
    app = QtWidgets.QApplication.instance()
    if app is None:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = _app = QtWidgets.QApplication([])
    return app  # type: ignore[return-value]


def image_png_bytes(image: QtGui.QImage) -> bytes:
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("could not encode the chart as PNG")
    return bytes(buffer.data())


def widget_png(widget: QtWidgets.QWidget, size: tuple[int, int]) -> bytes:
    """A widget drawn at ``size`` (it may be hidden), as PNG bytes."""
    # grab() lays the hidden widget out at its size before painting it
    image = widget.grab().toImage()
    if (image.width(), image.height()) != tuple(size):  # a high-DPI screen doubles it
        image = image.scaled(*size, mode=QtCore.Qt.TransformationMode.SmoothTransformation)
    return image_png_bytes(image)
