"""How fluid the window stays while the Receiver tab takes ~1,000 requests a second.

A 10 ms timer ticks on the UI thread; the gaps between ticks say how long the
event loop was busy. The same is measured first with the receiver idle (the
baseline, same process), then while sender threads post measures at a paced
rate with the Receiver tab shown. Printed: gaps (median, 99th percentile,
worst), their ratio to the baseline, and how many rows the list got.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_receiver_panel.py [rate] [seconds]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer  # noqa: E402

from dacc_gui.ui.app import application  # noqa: E402
from dacc_gui.ui.main_window import MainWindow  # noqa: E402
from dacc_gui.ui.common.settings import Settings  # noqa: E402


def tick_gaps(app, seconds: float) -> list[float]:
    """Gaps (ms) between the ticks of a 10 ms timer over ``seconds``."""
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    timer.stop()
    return gaps


SENDER = r"""
import http.client, json, sys, threading, time
host, port, rate, n = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
body = json.dumps({"data": json.dumps({"createdBy": "ecolyo", "measureName": "connection-count-daily",
                                       "startDate": "2021-12-08", "value": 1, "group1": {"device": "mobile"}})})
stop, counts = threading.Event(), [0] * n

def send(i):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    period, next_at = n / rate, time.perf_counter()
    while not stop.is_set():
        conn.request("POST", "/", body, {"Content-Type": "application/json"})
        conn.getresponse().read()
        counts[i] += 1
        next_at += period
        if next_at > time.perf_counter():
            time.sleep(next_at - time.perf_counter())

threads = [threading.Thread(target=send, args=(i,)) for i in range(n)]
print("ready", flush=True)
sys.stdin.readline()
for t in threads:
    t.start()
sys.stdin.readline()
stop.set()
for t in threads:
    t.join()
print(sum(counts), flush=True)
"""


def loaded_run(app, ctl, rate: float, seconds: float) -> tuple[tuple[float, float, float], int]:
    """Tick gaps while another process posts ``rate`` measures a second."""
    # The senders run in another process, as Ecolyo's service does: their work
    # must not be counted as the window's.
    proc = subprocess.Popen([sys.executable, "-c", SENDER, "127.0.0.1", str(ctl.port), str(rate), "8"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    proc.stdin.write("go\n")
    proc.stdin.flush()
    gaps = tick_gaps(app, seconds)
    out, _ = proc.communicate("stop\n")
    tick_gaps(app, 0.5)  # let the last burst in
    return describe(gaps), int(out.strip() or 0)


def describe(gaps: list[float]) -> tuple[float, float, float]:
    ordered = sorted(gaps)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1], ordered[-1]


def main() -> int:
    rate = float(sys.argv[1]) if len(sys.argv) > 1 else 1000.0
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    app = application()
    settings = Settings.at(Path(tempfile.mkdtemp()) / "settings.ini")
    settings.receiver_database = ":memory:"
    window = MainWindow(settings)
    window.resize(1300, 800)
    window.show()
    ctl = window.receiver.controller
    ctl.start(0)
    window.show_tab("receiver")
    tick_gaps(app, 0.5)  # settle

    base = describe(tick_gaps(app, seconds))
    panel = window.receiver.panel
    # Same load with the list detached: what the machine and the server cost alone.
    ctl.records_received.disconnect(panel.model.add)
    detached, _ = loaded_run(app, ctl, rate, seconds)
    ctl.records_received.connect(panel.model.add)
    rows_before = panel.model.total
    live, sent = loaded_run(app, ctl, rate, seconds)
    rows = panel.model.total - rows_before
    print(f"posted {sent:,} requests in {seconds:g} s ({sent / seconds:,.0f}/s, asked {rate:,.0f}/s); "
          f"rows added to the list: {rows:,}")
    print("UI tick gaps (ms)                 median    p99   worst")
    print(f"  receiver idle                   {base[0]:6.1f} {base[1]:6.1f} {base[2]:6.1f}")
    print(f"  receiving, list detached        {detached[0]:6.1f} {detached[1]:6.1f} {detached[2]:6.1f}")
    print(f"  receiving, list live            {live[0]:6.1f} {live[1]:6.1f} {live[2]:6.1f}")
    print("  ratio live / detached           " + " ".join(f"{a / b:6.2f}" for a, b in zip(live, detached)))
    ctl.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
