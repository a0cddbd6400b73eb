"""Presentation mode: the demo's aggregate charts full screen, one measure at a time.

Big type for a meeting room: the measure's name as a heading, what is drawn
in a sentence (and that greyed bars are groups the DACC hides), the chart
with large axis and legend text, and where we are ("3 / 12"). Right, Down,
Page Down or Space: next measure; Left, Up, Page Up or Backspace: previous;
Home / End: first / last; Esc or F11: leave.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from dacc_gui.simulation.demo import DemoResult
from dacc_gui.dacc.measures import load_catalog
from dacc_gui.rules.series import hidden_label
from dacc_gui.ui.common.aggregate_chart import AggregateChart
from dacc_gui.ui.demo.charts import STATISTIC_WORDS, all_rows, enlarge, show_measure, strip_controls

HEADING_PT = 32
TEXT_PT = 18
AXIS_PT = 16
NEXT_KEYS = (Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_PageDown, Qt.Key.Key_Space)
PREVIOUS_KEYS = (Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_PageUp, Qt.Key.Key_Backspace)
LEAVE_KEYS = (Qt.Key.Key_Escape, Qt.Key.Key_F11)


class Presentation(QWidget):
    """One chart at a time, full screen."""

    def __init__(self, result: DemoResult, start: str | None = None) -> None:
        super().__init__()
        # Qt adds " — DACC Inspector" (the application's name) to a title that does not end with it.
        self.setWindowTitle("Presentation — DACC Inspector")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.setStyleSheet("background: white; color: #1d2330;")
        self.result = result
        self.rows = all_rows(result.aggregates)
        catalog = load_catalog()
        self.measures = [n for n in catalog.names() if n in result.aggregates] + sorted(
            set(result.aggregates) - set(catalog.names()))
        self.position = self.measures.index(start) if start in self.measures else 0

        self.heading = QLabel()
        self.heading.setStyleSheet(f"font-size: {HEADING_PT}pt; font-weight: bold;")
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet(f"font-size: {TEXT_PT}pt; color: #4a5368;")
        self.chart = AggregateChart(light=True)
        strip_controls(self.chart)
        self.chart.title.setVisible(False)  # the heading says it, larger
        enlarge(self.chart, AXIS_PT)
        for child in self.chart.findChildren(QWidget):  # the arrow keys are ours, not the plot's scrolling
            child.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.footer = QLabel()
        self.footer.setStyleSheet(f"font-size: {TEXT_PT - 4}pt; color: #8a8f99;")
        c = result.config
        self.footer_text = (f"{c.users} users × {c.days} days · {result.indicators:,} indicators · "
                            "← → next measure · Esc to leave")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 24)
        layout.addWidget(self.heading)
        layout.addWidget(self.caption)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self.footer)
        self.chart.set_aggregates(self.rows)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.show_position(self.position)

    @property
    def measure(self) -> str | None:
        return self.measures[self.position] if self.measures else None

    def show_position(self, position: int) -> None:
        if not self.measures:
            self.heading.setText("No aggregates")
            return
        self.position = max(0, min(position, len(self.measures) - 1))
        measure = self.measures[self.position]
        statistic = show_measure(self.chart, self.rows, measure)
        rows = self.result.aggregates[measure]
        hidden = sum(1 for r in rows if r.get("hidden"))
        definition = load_catalog().get(measure)
        threshold = definition.aggregationThreshold if definition else self.result.threshold
        self.heading.setText(measure)
        published = len(rows) - hidden
        self.caption.setText(f"{STATISTIC_WORDS[statistic].capitalize()} per group and period · "
                             f"{published} group{'s' if published != 1 else ''} published; {hidden} greyed, "
                             f"{hidden_label(threshold)}")
        self.footer.setText(f"{self.position + 1} / {len(self.measures)} · {self.footer_text}")

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key in NEXT_KEYS:
            self.show_position(self.position + 1)
        elif key in PREVIOUS_KEYS:
            self.show_position(self.position - 1)
        elif key == Qt.Key.Key_Home:
            self.show_position(0)
        elif key == Qt.Key.Key_End:
            self.show_position(len(self.measures) - 1)
        elif key in LEAVE_KEYS:
            self.close()
        else:
            super().keyPressEvent(event)
            return
        event.accept()
