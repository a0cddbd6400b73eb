"""Screenshots of DACC Inspector's main views, into docs/ (run by scripts/screenshots).

Opens the bundled sample rebased to end the day before ``TODAY`` (see
scripts/screenshot_inputs.py), makes an edit so that marked cells show,
selects an indicator, and grabs the Events, Indicators and Charts tabs of a
1280×800 window.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from PySide6.QtCore import QDate, QEventLoop, QTimer  # noqa: E402

from dacc_gui.ui.app import application  # noqa: E402
from dacc_gui.ui.main_window import MainWindow  # noqa: E402
from dacc_gui.ui.common.settings import Settings  # noqa: E402
from dacc_gui.ui.common.tasks import SyncTaskRunner  # noqa: E402
from screenshot_inputs import SIZE, TODAY  # noqa: E402


def settle(app, ms: int = 300) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    app.processEvents()


def main() -> int:
    out = ROOT / "docs"
    out.mkdir(exist_ok=True)
    app = application()
    settings = Settings.at(Path(tempfile.mkdtemp()) / "settings.ini")
    settings.receiver_database = ":memory:"
    window = MainWindow(settings, SyncTaskRunner(), today=lambda: TODAY)
    window.resize(*SIZE)
    window.show()
    window.open_sample()
    run_date = TODAY
    view = window.events_view
    iv = window.indicators_view
    iv.run_date.setDate(QDate(run_date.year, run_date.month, run_date.day))
    iv.recompute()
    # An edit, so that marked cells show, then a selection.
    view.select_source_rows([0, 1, 2])
    view.shift_selected(-1, "days")
    iv.recompute()
    settle(app)
    window.show_tab("events")
    settle(app)
    window.grab().save(str(out / "screenshot-events.png"))
    window.show_tab("indicators")
    for row in range(iv.model.rowCount()):
        if len(iv.model.row_at(row).indicator.event_ids) > 1:
            iv.table.selectRow(row)
            break
    settle(app)
    window.grab().save(str(out / "screenshot-indicators.png"))
    window.show_tab("charts")
    settle(app, 600)
    window.grab().save(str(out / "screenshot-charts.png"))
    window.document.undo_stack.setClean()
    window.close()
    print("\n".join(str(p.relative_to(ROOT)) for p in sorted(out.glob("screenshot-*.png"))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
