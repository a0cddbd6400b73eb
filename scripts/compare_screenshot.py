"""Screenshots of the Compare tab and of "Run Ecolyo's service", for docs/compare.png
and docs/service-runner.png.

Run under a display (or Xvfb):
    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/compare_screenshot.py [docs-folder]

The Compare tab shows a golden case's preview against posts made to a receiver on
an ephemeral port: one indicator left out, one sent with another value, one that
was not expected, the rest as expected (all four categories). The service runner
runs the stand-in service (tests/standin_service.py) with a dropped indicator.
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from PySide6 import QtWidgets  # noqa: E402

from dacc_gui.compare.comparison import Category  # noqa: E402
from dacc_gui.ui.main_window import MainWindow  # noqa: E402
from dacc_gui.ui.common.settings import Settings  # noqa: E402
from dacc_gui.ui.common.tasks import SyncTaskRunner  # noqa: E402
from tests.ui.compare_support import attach_receiver, post  # noqa: E402
from screenshot_inputs import SIZE  # noqa: E402
from tests.ui.conftest import GOLDEN, TODAY  # noqa: E402

CASE = GOLDEN / "01-one-day.json"


def settle(app: QtWidgets.QApplication, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"
    out.mkdir(parents=True, exist_ok=True)
    app = QtWidgets.QApplication([])
    tmp = Path(tempfile.mkdtemp(prefix="dacc-shots-"))
    settings = Settings.at(tmp / "settings.ini")
    settings.recompute_delay_ms = 0
    window = MainWindow(settings, SyncTaskRunner(), today=lambda: TODAY)
    window.ask_unsaved = lambda: "discard"
    controller = attach_receiver(window)
    try:
        window.open_file(CASE, confirm=False)
        window.indicators_view.recompute()
        payloads = [row.indicator.payload() for row in window.indicators_view.preview.rows]
        sent = [dict(payloads[1], value=payloads[1]["value"] + 2), *payloads[2:],
                dict(payloads[3], startDate="2021-11-30")]
        post(controller.url, *sent)
        window.resize(*SIZE)
        window.show()
        window.show_tab("compare")
        view = window.compare.view
        view.refresh()
        view.show_category(None)
        for r in range(view.proxy.rowCount()):
            if view.proxy.index(r, 0).data() == Category.DIFFERENT.label:
                view.table.selectRow(r)
                break
        settle(app)
        window.grab().save(str(out / "compare.png"))
        print(out / "compare.png")

        dialog = window.service.open()
        panel = dialog.panel
        # "python" is this interpreter, as in an activated venv.
        os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        panel.command_edit.setText(f"python tests/standin_service.py {shlex.quote(str(CASE.relative_to(ROOT)))} "
                                   f"--run-date {TODAY} --drop 1")
        panel.folder_edit.setText(str(ROOT))
        done: list = []
        panel.finished.connect(lambda *args: done.append(args))
        panel.run()
        deadline = time.monotonic() + 60
        while not done and time.monotonic() < deadline:
            settle(app, 0.1)
        dialog.resize(1000, 600)
        dialog.raise_()
        settle(app)
        dialog.grab().save(str(out / "service-runner.png"))
        print(out / "service-runner.png")
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
