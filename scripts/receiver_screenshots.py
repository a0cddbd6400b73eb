"""Screenshots of the receiver views, for docs/receiver.png, docs/dacc-view.png, docs/ecolyo-howto.png.

Run under a display (or Xvfb):
    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/receiver_screenshots.py [out-dir]

It opens the bundled sample (or a golden case when the checkout has no sample), sends its preview to the app's receiver (in
memory, on a free port) as "Send to receiver" does, adds a few users' worth
of connection-count-daily measures so that some groups pass the privacy
threshold and some do not, and one request with a null value.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import httpx  # noqa: E402
from PySide6 import QtWidgets  # noqa: E402

from dacc_gui.ui.app import application  # noqa: E402
from dacc_gui.ui.main_window import MainWindow  # noqa: E402
from dacc_gui.ui.common.settings import Settings  # noqa: E402
from dacc_gui.ui.common.tasks import SyncTaskRunner  # noqa: E402
from screenshot_inputs import SIZE, TODAY  # noqa: E402


def pump(app: QtWidgets.QApplication, rounds: int = 20) -> None:
    """Run the event loop a while (timers included: new records arrive in bursts)."""
    deadline = time.monotonic() + rounds * 0.02
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.005)


def population(today: date) -> list[dict]:
    """A few users' connection counts: mobile always published, desktop only some days."""
    out = []
    for back, mobile_users, desktop_users in ((4, 7, 5), (3, 8, 2), (2, 6, 6), (1, 9, 3)):
        day = (today - timedelta(days=back)).isoformat()
        for device, users in (("mobile", mobile_users), ("desktop", desktop_users)):
            for user in range(users):
                out.append({"createdBy": "ecolyo", "measureName": "connection-count-daily", "startDate": day,
                            "value": 1 + (user * 7 + back) % 4, "group1": {"device": device}})
    return out


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"
    out.mkdir(parents=True, exist_ok=True)
    app = application()
    settings = Settings.at(Path(tempfile.mkdtemp()) / "settings.ini")
    settings.receiver_database = ":memory:"
    settings.receiver_port = 8081
    settings.recompute_delay_ms = 0
    window = MainWindow(settings, SyncTaskRunner(), today=lambda: TODAY)
    window.resize(*SIZE)
    window.show()
    window.source_dock.hide()  # room for the views themselves
    ctl = window.receiver.controller
    if not ctl.start_with_app():
        ctl.start(0)
    today = TODAY
    window.open_sample()
    pump(app)
    if window.document.empty:  # no bundled sample in this checkout: a golden case instead
        case_path = ROOT / "tests" / "data" / "golden" / "02-missed-nights.json"
        case = json.loads(case_path.read_text())
        window.open_file(case_path, confirm=False)
        today = date.fromisoformat(case["runDate"])
        window.indicators_view.run_date.setDate(today)
        window.indicators_view.ignore_monthly.setChecked(case["ignoreMonthlyDateProtection"])
    window.indicators_view.recompute()
    pump(app)
    with httpx.Client(base_url=ctl.url, timeout=30) as client:
        for m in population(today):
            client.post("/", content=json.dumps({"data": json.dumps(m, separators=(",", ":"))}),
                        headers={"Content-Type": "application/json"})
        window.receiver.send.send()
        bad = {"createdBy": "ecolyo", "measureName": "connection-count-daily",
               "startDate": (today - timedelta(days=1)).isoformat(), "value": None, "group1": {"device": "mobile"}}
        client.post("/", json={"data": json.dumps(bad)})
    if window.receiver.send.dialog is not None:
        window.receiver.send.dialog.close()
    ctl.store.flush()
    pump(app)
    panel = window.receiver.panel
    panel.model.flush()
    pump(app)

    window.show_tab("receiver")
    panel.follow_check.setChecked(False)
    pump(app)
    rows = panel.model.rowCount()
    panel.select_row(rows - 1)  # the null value: refused, production would answer 500
    panel.table.scrollToBottom()
    pump(app)
    window.grab().save(str(out / "receiver.png"))

    window.show_tab("dacc")
    pump(app)
    window.receiver.dacc_view.select_measure("connection-count-daily")
    pump(app, 40)
    window.receiver.dacc_view.set_period(today - timedelta(days=4), today - timedelta(days=1))  # the population's days
    pump(app, 40)
    window.grab().save(str(out / "dacc-view.png"))

    window.show_tab("ecolyo")
    pump(app)
    window.grab().save(str(out / "ecolyo-howto.png"))
    ctl.close()
    print(f"wrote receiver.png, dacc-view.png, ecolyo-howto.png to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
