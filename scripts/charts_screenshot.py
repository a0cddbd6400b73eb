"""Screenshot of the Charts panel with sample nightly runs, for docs/charts.png.

Run under a display (or Xvfb):
    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/charts_screenshot.py [out.png] [view]
``view``: measure (default), summary, daily, or aggregates.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6 import QtCore, QtWidgets  # noqa: E402

from dacc_gui.ui.common.aggregate_chart import AggregateChart  # noqa: E402
from dacc_gui.ui.charts.panel import VIEW_SUMMARY, ChartsPanel  # noqa: E402
from tests.chart_data import sample_runs  # noqa: E402


def sample_aggregates() -> list[dict]:
    rows = []
    for day, mobile, desktop, n_desktop in (("2022-03-01", 2.4, 1.1, 7), ("2022-03-02", 2.9, None, 3),
                                            ("2022-03-03", 3.1, 1.3, 9), ("2022-03-04", 2.2, None, 2)):
        for device, avg, count in (("mobile", mobile, 24), ("desktop", desktop, n_desktop)):
            rows.append({"measureName": "connection-count-daily", "startDate": day,
                         "group1": {"device": device}, "group2": None, "group3": None,
                         "count": count, "countNotZero": count, "sum": avg and avg * count,
                         "min": avg and 1, "max": avg and 6, "avg": avg, "std": avg and 0.8,
                         "hidden": count < 5})
    return rows


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "charts.png"
    view = sys.argv[2] if len(sys.argv) > 2 else "measure"
    app = QtWidgets.QApplication([])
    if view == "aggregates":
        widget = AggregateChart()
        widget.set_aggregates(sample_aggregates())
        chart, plot = widget.graphics, widget.plot
        finder = widget.hover
    else:
        widget = ChartsPanel()
        widget.set_results(sample_runs())
        if view == "summary":
            widget.set_view(VIEW_SUMMARY)
        elif view == "daily":
            widget.select_measure("session-duration")
            widget.set_daily("mean")
        else:
            widget.select_measure("connection-count-daily")
        chart = widget.current_chart()
        plot, finder = chart.plot, chart.hover
    widget.resize(1280, 800)
    widget.show()
    for _ in range(5):
        app.processEvents()
    # hover one point so the readout shows
    target = finder.targets[len(finder.targets) // 2]
    chart.scene().sigMouseMoved.emit(plot.getViewBox().mapViewToScene(
        QtCore.QPointF(target.x, target.y)))
    app.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(out))
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
