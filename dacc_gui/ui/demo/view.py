"""The "Population demo" tab: what the DACC (and so Metabase) would show after a population run.

A summary line, the aggregate chart of the chosen measure (groups under the
privacy threshold greyed and labelled), and the same aggregates as a table
beside it. From here: run another population, present full screen (F11), or
export the charts and tables as one HTML file.

The receiver a run sends to comes from the demo feature (the app's own,
started if stopped).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from dacc_gui.simulation.demo import DemoResult
from dacc_gui.simulation.report import ChartImage, write_report
from dacc_gui.dacc.measures import load_catalog
from dacc_gui.ui.common import errors
from dacc_gui.ui.common.aggregate_chart import AggregateChart
from dacc_gui.ui.common.aggregate_table import SHORT, TITLES, AggregateTableModel
from dacc_gui.ui.demo.charts import STATISTIC_WORDS, all_rows, chart_png, show_measure
from dacc_gui.ui.common.splitter import splitter
from dacc_gui.ui.common.table_view import table_view

class DemoView(QWidget):
    """The DACC view of the last population run."""

    def __init__(self, window: Any, receivers: Any) -> None:
        super().__init__()
        self.window = window
        self.receivers = receivers  # the demo feature: which receiver a run sends to
        self.result: DemoResult | None = None
        self.dialog = None
        self.presentation = None
        self.summary_label = QLabel("No population simulated yet: Demo ▸ Simulate a population…")
        self.summary_label.setWordWrap(True)
        self.summary_label.setStyleSheet("QLabel { font-size: 12pt; padding: 4px; }")
        self.simulate_button = QPushButton("Simulate a population…")
        self.present_button = QPushButton("Presentation (F11)")
        self.export_button = QPushButton("Export HTML report…")
        self.chart = AggregateChart(light=True)
        self.model = AggregateTableModel(self, TITLES)
        self.table = table_view(self.model, (95, 260, 70, 80, 80, 70, 70), select_rows=False)
        self.table_title = QLabel()
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.table_title)
        rl.addWidget(self.table, 1)
        # One above the other: the periods need the chart's full width.
        split = splitter(Qt.Orientation.Vertical, (self.chart, 3), (right, 2))
        top = QHBoxLayout()
        top.addWidget(self.summary_label, 1)
        for b in (self.simulate_button, self.present_button, self.export_button):
            top.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self.simulate_button.clicked.connect(self.ask_simulate)
        self.present_button.clicked.connect(self.present)
        self.export_button.clicked.connect(self.ask_export_report)
        self.chart.measure_combo.currentIndexChanged.connect(lambda _i: self._show_table())
        self._update_buttons()

    # --- showing a result ----------------------------------------------------------
    def set_result(self, result: DemoResult) -> None:
        self.result = result
        text = result.summary()
        if result.send.refused:
            text += f" · {result.send.refused:,} not accepted (first: {result.send.errors[0] if result.send.errors else '?'})"
        if not result.hidden_known:
            text += " · read over HTTP: the hidden groups are not known"
        self.summary_label.setText(text)
        rows = all_rows(result.aggregates)
        self.chart.set_aggregates(rows)
        measure = self.current_measure()
        if measure is not None:
            show_measure(self.chart, rows, measure)
        self._show_table()
        self._update_buttons()

    def current_measure(self) -> str | None:
        return self.chart.measure_combo.currentData()

    def measures(self) -> list[str]:
        return [self.chart.measure_combo.itemData(i) for i in range(self.chart.measure_combo.count())]

    def select_measure(self, name: str) -> None:
        if self.result is not None:
            show_measure(self.chart, all_rows(self.result.aggregates), name)

    def _show_table(self) -> None:
        measure = self.current_measure()
        rows = self.result.aggregates.get(measure, []) if self.result and measure else []
        definition = load_catalog().get(measure) if measure else None
        self.model.set_rows(rows, definition, SHORT)
        hidden = sum(1 for r in rows if r.get("hidden"))
        self.table_title.setText(f"<b>{measure}</b>: {len(rows) - hidden} groups published, {hidden} hidden"
                                 if measure else "")

    def _update_buttons(self) -> None:
        has = self.result is not None and bool(self.result.aggregates)
        self.present_button.setEnabled(has)
        self.export_button.setEnabled(self.result is not None)

    # --- actions ---------------------------------------------------------------------
    def ask_simulate(self):  # noqa: ANN201
        from dacc_gui.ui.demo.dialog import SimulateDialog

        if self.dialog is None:
            self.dialog = SimulateDialog(self.window, self)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def present(self):  # noqa: ANN201
        """Full screen, one chart at a time (arrow keys step, Esc leaves)."""
        if self.result is None or not self.result.aggregates:
            self.window.statusBar().showMessage("Simulate a population first (Demo ▸ Simulate a population…)",
                                                5000)
            return None
        from dacc_gui.ui.demo.presentation import Presentation

        if self.presentation is not None:
            self.presentation.close()
        self.presentation = Presentation(self.result, start=self.current_measure())
        self.presentation.showFullScreen()
        return self.presentation

    def report_charts(self) -> list[ChartImage]:
        """One chart per measure, drawn now on the UI thread (widgets cannot be drawn elsewhere)."""
        out = []
        if self.result is None:
            return out
        rows = all_rows(self.result.aggregates)
        from dacc_gui.ui.demo.charts import default_statistic

        for measure in self.measures():
            mine = self.result.aggregates.get(measure, [])
            what = STATISTIC_WORDS[default_statistic(mine)]
            out.append(ChartImage(f"{measure}: {what} per group and period; greyed bars are hidden groups",
                                  chart_png(rows, measure), measure))
        return out

    def ask_export_report(self):  # noqa: ANN201
        if self.result is None:
            self.window.statusBar().showMessage("Simulate a population first (Demo ▸ Simulate a population…)",
                                                5000)
            return None
        start = str(Path(self.window.settings.last_directory or Path.home()) / "dacc-demo-report.html")
        path, _ = QFileDialog.getSaveFileName(self, "Export the demo as an HTML report", start,
                                              "HTML (*.html *.htm)")
        return self.export_report(path) if path else None

    def export_report(self, path: str | Path):  # noqa: ANN201
        """Draw the charts, then write the file off the UI thread."""
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            path = path.with_suffix(".html")
        result, charts = self.result, self.report_charts()

        def work(_progress, _cancelled) -> Path:
            return write_report(path, result, charts)

        return self.window.runner.run(
            f"Writing the report {path.name}", work, cancellable=False,
            on_done=lambda p: self.window.statusBar().showMessage(f"Report written to {p}", 8000),
            on_error=lambda exc: errors.show_exception(self, "The report could not be written", exc,
                                                       f"Nothing was written to {path}. Choose another place."))
