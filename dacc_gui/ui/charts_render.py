"""Charts as PNG bytes, drawn off screen: for reports that embed them (no window shown).

Needs a Qt application; one is created if there is none, headless
(``offscreen``) when no display is available.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from PySide6 import QtCore, QtGui, QtWidgets

from dacc_gui.rules.series import HasIndicators, daily_counts, measure_names, series_for

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


def render_chart_png(
    results: Sequence[HasIndicators],
    *,
    view: str = "measure",
    measure: str | None = None,
    size: tuple[int, int] = (1200, 700),
    light: bool = True,
    style: str = "lines",
    daily: str | None = None,
    layout: str = "stacked",
) -> bytes:
    """One chart of these nightly runs as PNG bytes of exactly ``size`` pixels.

    ``view`` is ``"measure"`` (``measure`` defaults to the first one present;
    ``style`` lines or bars, ``daily`` None/sum/mean) or ``"summary"``
    (``layout`` stacked or grouped).
    """
    ensure_app()
    # imported here so that importing this module does not pull pyqtgraph in
    from dacc_gui.ui.charts_plots import MeasurePlot, SummaryPlot

    names = measure_names(results)
    if not names:
        raise ValueError("no indicators to chart: the runs sent nothing")
    if view == "summary":
        chart = SummaryPlot(light=light)
        chart.resize(*size)
        chart.show_counts(daily_counts(results), layout)  # type: ignore[arg-type]
    elif view == "measure":
        measure = measure or names[0]
        if measure not in names:
            raise ValueError(f"no indicators of measure {measure!r} in these runs")
        chart = MeasurePlot(light=light)
        chart.resize(*size)
        shaped = series_for(results, measure)
        chart.show_measure(shaped, style, daily if shaped.many_per_day else None)  # type: ignore[arg-type]
    else:
        raise ValueError(f"unknown chart view {view!r} (measure or summary)")
    try:
        return widget_png(chart, size)
    finally:
        chart.deleteLater()
