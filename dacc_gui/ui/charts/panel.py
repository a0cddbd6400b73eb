"""The Charts panel: the indicators of simulated nightly runs, drawn over time.

Two views over the results handed to :meth:`ChartsPanel.set_results`:

* **Per measure**: the measure picked in the combo, one series per group-value
  combination, as lines with symbols or as bars. Measures that send many
  values a day (session and event durations, quiz stars) show every value as a
  point, optionally with the daily sum or mean.
* **Summary**: how many indicators each measure sent per day, stacked or grouped.

A readout under the chart names the point under the mouse (date, series,
value). Zoom and pan are pyqtgraph's (wheel, drag; right-drag zooms one axis);
"Reset zoom" fits the data again. "Export PNG" saves the view as shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from dacc_gui.rules.series import HasIndicators, MeasureRun, by_measure, daily_counts, in_catalog_order, series_for
from dacc_gui.ui.charts.plots import ChartView, MeasurePlot, SummaryPlot
from dacc_gui.ui.common.compact import compact_combo

EMPTY_MESSAGE = "No indicators: choose a run date or a range in the Indicators tab"
HOVER_HINT = "Hover a point or a bar to read its date, series and value. Wheel: zoom, drag: pan."

VIEW_MEASURE = "measure"
VIEW_SUMMARY = "summary"

_STYLES = (("Lines and points", "lines"), ("Bars", "bars"))
_DAILY = (("Each value", None), ("Each value + daily sum", "sum"), ("Each value + daily mean", "mean"))
_LAYOUTS = (("Stacked bars", "stacked"), ("Grouped bars", "grouped"))


def _combo(items) -> QtWidgets.QComboBox:
    combo = QtWidgets.QComboBox()
    for text, data in items:
        combo.addItem(text, data)
    return combo


class ChartsPanel(QtWidgets.QWidget):
    """Charts of nightly run results; plug into a tab with ``set_results``."""

    exported = QtCore.Signal(Path)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._results: list[HasIndicators] = []
        self._by_measure: dict[str, list[MeasureRun]] = {}
        self._stale = False
        self._light = True

        self.view_combo = _combo((("Per measure", VIEW_MEASURE), ("Summary: indicators per day", VIEW_SUMMARY)))
        self.measure_combo = QtWidgets.QComboBox()
        # Measure names are long ("fluid-data-granularity-monthly (12)"): room for most of one,
        # the whole name in the popup.
        compact_combo(self.measure_combo, 26)
        self.measure_combo.setToolTip("Measure to draw")
        self.style_combo = _combo(_STYLES)
        self.daily_combo = _combo(_DAILY)
        self.daily_combo.setToolTip("For measures that send several values a day: add their daily sum or mean")
        self.layout_combo = _combo(_LAYOUTS)
        self.light_check = QtWidgets.QCheckBox("Light background")
        self.light_check.setChecked(True)
        self.reset_button = QtWidgets.QPushButton("Reset zoom")
        self.export_button = QtWidgets.QPushButton("Export PNG…")

        self.measure_plot = MeasurePlot(light=True)
        self.summary_plot = SummaryPlot(light=True)
        self.empty_label = QtWidgets.QLabel(EMPTY_MESSAGE)
        self.empty_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet("font-size: 15pt; color: palette(mid); padding: 40px;")
        self.stack = QtWidgets.QStackedWidget()
        for page in (self.empty_label, self.measure_plot, self.summary_plot):
            self.stack.addWidget(page)

        self.readout = QtWidgets.QLabel(HOVER_HINT)
        self.readout.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setStyleSheet("font-size: 11pt; padding: 4px;")
        self.readout.setWordWrap(True)
        self.note = QtWidgets.QLabel("")
        self.note.setWordWrap(True)
        self.note.setVisible(False)

        self._lay_out()
        self._connect()
        self._refresh()

    def _lay_out(self) -> None:
        # Two rows: what to draw, then how; one row was 1,240 pixels wide.
        bar, how = QtWidgets.QHBoxLayout(), QtWidgets.QHBoxLayout()
        bar.addWidget(QtWidgets.QLabel("View:"))
        bar.addWidget(self.view_combo)
        self.measure_label = QtWidgets.QLabel("Measure:")
        for w in (self.measure_label, self.measure_combo):
            bar.addWidget(w)
        bar.addStretch(1)
        for w in (self.style_combo, self.daily_combo, self.layout_combo):
            how.addWidget(w)
        how.addStretch(1)
        for w in (self.light_check, self.reset_button, self.export_button):
            how.addWidget(w)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(how)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.readout)

    def _connect(self) -> None:
        for combo in (self.view_combo, self.measure_combo, self.style_combo, self.daily_combo,
                      self.layout_combo):
            combo.currentIndexChanged.connect(self._refresh)
        self.light_check.toggled.connect(self.set_light_background)
        self.reset_button.clicked.connect(self.reset_zoom)
        self.export_button.clicked.connect(self._ask_export)
        for plot in (self.measure_plot, self.summary_plot):
            plot.hovered.connect(self._show_readout)

    # --- public API ---------------------------------------------------------
    def set_results(self, results: Sequence[HasIndicators],
                    split: dict[str, list[MeasureRun]] | None = None) -> None:
        """Show the indicators of these nightly runs (an empty list shows the empty state).

        ``split`` is ``series.by_measure(results)`` when the caller made it
        already, off the UI thread.
        """
        self._results = list(results)
        self._by_measure = split if split is not None else by_measure(self._results)
        keep = self.current_measure()
        names = in_catalog_order(self._by_measure)
        counts = {n: sum(len(run.indicators) for run in self._by_measure[n]) for n in names}
        with QtCore.QSignalBlocker(self.measure_combo):
            self.measure_combo.clear()
            for name in names:
                self.measure_combo.addItem(f"{name} ({counts[name]})", name)
            if keep in names:
                self.measure_combo.setCurrentIndex(names.index(keep))
        # Drawing tens of thousands of points is for when the charts are seen:
        # in a shown window with another tab open, wait until this one shows.
        self._stale = self.window().isVisible() and not self.isVisible()
        if not self._stale:
            self._refresh()

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self._refresh()

    def results(self) -> list[HasIndicators]:
        return list(self._results)

    def current_view(self) -> str:
        return self.view_combo.currentData()

    def set_view(self, view: str) -> None:
        self.view_combo.setCurrentIndex(self.view_combo.findData(view))

    def current_measure(self) -> str | None:
        return self.measure_combo.currentData()

    def select_measure(self, name: str) -> None:
        index = self.measure_combo.findData(name)
        if index < 0:
            raise KeyError(f"no indicators of measure {name!r} in these results")
        self.measure_combo.setCurrentIndex(index)

    def set_style(self, style: str) -> None:
        """``"lines"`` or ``"bars"``."""
        self.style_combo.setCurrentIndex(self.style_combo.findData(style))

    def set_daily(self, how: str | None) -> None:
        """``None`` (each value only), ``"sum"`` or ``"mean"``."""
        self.daily_combo.setCurrentIndex(self.daily_combo.findData(how))

    def set_summary_layout(self, layout: str) -> None:
        """``"stacked"`` or ``"grouped"``."""
        self.layout_combo.setCurrentIndex(self.layout_combo.findData(layout))

    def set_light_background(self, light: bool) -> None:
        self._light = light
        if self.light_check.isChecked() != light:
            self.light_check.setChecked(light)
            return
        for plot in (self.measure_plot, self.summary_plot):
            plot.apply_theme(light)
        self._refresh()

    def is_empty(self) -> bool:
        return self.stack.currentWidget() is self.empty_label

    def current_chart(self) -> ChartView | None:
        widget = self.stack.currentWidget()
        return widget if isinstance(widget, ChartView) else None

    def reset_zoom(self) -> None:
        chart = self.current_chart()
        if chart is not None:
            chart.reset_zoom()

    def readout_text(self) -> str:
        return self.readout.text()

    def export_png(self, path: str | Path, width: int | None = None) -> Path:
        """Save the current view as a PNG (``width`` pixels wide, default as shown)."""
        path = Path(path)
        if path.suffix.lower() != ".png":
            path = path.with_suffix(".png")
        chart = self.current_chart()
        image = chart.render_image(width) if chart is not None else self.stack.currentWidget().grab()
        if not image.save(str(path), "PNG"):
            raise OSError(f"could not write the PNG file {path}")
        self.exported.emit(path)
        return path

    # --- internals ----------------------------------------------------------
    def _refresh(self) -> None:
        empty = not any(r.indicators for r in self._results)
        view = self.current_view()
        measure_view = view == VIEW_MEASURE
        for w in (self.view_combo, self.reset_button, self.export_button):
            w.setEnabled(not empty)
        for w in (self.measure_label, self.measure_combo, self.style_combo, self.daily_combo):
            w.setVisible(measure_view)
        self.layout_combo.setVisible(not measure_view)
        self.note.setVisible(False)
        self.readout.setText(HOVER_HINT if not empty else "")
        if empty:
            self.stack.setCurrentWidget(self.empty_label)
            return
        if measure_view:
            self._show_measure()
        else:
            self.summary_plot.show_counts(daily_counts(self._results), self.layout_combo.currentData())
            self.stack.setCurrentWidget(self.summary_plot)

    def _show_measure(self) -> None:
        measure = self.current_measure()
        if measure is None:
            return
        shaped = series_for(self._by_measure.get(measure, []), measure)
        self.daily_combo.setEnabled(shaped.many_per_day)
        self.measure_plot.show_measure(
            shaped, self.style_combo.currentData(), self.daily_combo.currentData() if shaped.many_per_day else None
        )
        if shaped.unplotted:
            shown = ", ".join(f"{i.startDate!r}: {i.value!r}" for i in shaped.unplotted[:3])
            more = f" and {len(shaped.unplotted) - 3} more" if len(shaped.unplotted) > 3 else ""
            self.note.setText(
                f"{len(shaped.unplotted)} indicator(s) of {measure} not drawn "
                f"(start date or value is not a date or a number): {shown}{more}. See the Indicators tab."
            )
            self.note.setVisible(True)
        self.stack.setCurrentWidget(self.measure_plot)

    def _show_readout(self, text: str) -> None:
        self.readout.setText(text or HOVER_HINT)

    def _ask_export(self) -> None:
        name = f"{self.current_measure() or 'chart'}.png" if self.current_view() == VIEW_MEASURE else "summary.png"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export chart", name, "PNG image (*.png)")
        if not path:
            return
        try:
            self.export_png(path)
        except OSError as exc:
            QtWidgets.QMessageBox.warning(self, "Export chart", str(exc))
