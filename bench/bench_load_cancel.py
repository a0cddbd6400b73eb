"""How soon Cancel acts while a large file loads, and how long the UI thread waits meanwhile
(run: python bench/bench_load_cancel.py [N]; default 1,000,000 events).

Writes N events as a JSON array into bench/out/ (cached), then, in the app's
window with the real thread pool, offscreen:
  - opens the file, clicks Cancel after 0.5, 2 and 5 s of loading (reading
    the JSON, then building the events), and measures from the click to the
    end of the task ("Opening … cancelled"): goal 200 ms;
  - measures the longest UI-thread stall while the file loads (the longest
    gap between ticks of a 5 ms timer, as bench_ui.py does): a click waits
    that long to be seen; goal 100 ms;
  - loads the file to the end, for the time it takes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from PySide6.QtCore import QEventLoop  # noqa: E402

from bench_ui import StallMonitor  # noqa: E402
from dacc_gui.ui.app import application  # noqa: E402
from dacc_gui.ui.common.settings import Settings  # noqa: E402
from dacc_gui.ui.common.tasks import TaskRunner  # noqa: E402
from dacc_gui.ui.main_window import MainWindow  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
CANCEL_GOAL_MS = 200
STALL_GOAL_MS = 100
TYPES = ("NavigationEvent", "ConnectionEvent", "KonnectorConnectEvent", "SessionDurationEvent", "QuizEndEvent")


def events_file(n: int) -> Path:
    path = OUT / f"load-cancel-{n}.json"
    if path.exists():
        return path
    OUT.mkdir(exist_ok=True)
    rng = random.Random(1)
    start = date(2024, 1, 1)
    docs = []
    for i in range(n):
        day = start + timedelta(days=rng.randrange(365))
        docs.append({"_id": f"e{i:07d}", "_rev": "1-a", "type": TYPES[i % len(TYPES)],
                     "eventDate": f"{day.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00.000Z",
                     "target": rng.choice(("consumption", "electricity", "faq", "challenges", "enedis")),
                     "context": "mobile", "result": "", "aggregated": rng.random() < 0.5})
    path.write_text(json.dumps(docs), encoding="utf-8")
    return path


def spin(app, seconds: float, until=lambda: False) -> None:
    loop = QEventLoop()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline and not until():
        loop.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("events", nargs="?", type=int, default=1_000_000)
    n = parser.parse_args().events
    app = application()
    t = time.perf_counter()
    path = events_file(n)
    print(f"{n:,} events, {path.stat().st_size / 1e6:,.0f} MB ({time.perf_counter() - t:.1f} s to prepare)")
    settings = Settings.at(OUT / "load-cancel.ini")
    settings.receiver_database = ":memory:"
    window = MainWindow(settings, TaskRunner(), today=lambda: date(2025, 1, 2))
    window.show()
    app.processEvents()
    monitor = StallMonitor()
    ok = True
    for after in (0.5, 2.0, 5.0):
        task = window.open_file(path, confirm=False)
        monitor.start()
        spin(app, after, lambda: not task.running)
        stall = monitor.stop()
        if not task.running:
            print(f"cancel after {after:.1f} s: the load had ended already")
            continue
        clicked = time.perf_counter()
        window.task_indicator.cancel_button.click()
        spin(app, 60, lambda: not task.running)
        took = (time.perf_counter() - clicked) * 1000
        met = took <= CANCEL_GOAL_MS and stall <= STALL_GOAL_MS
        ok &= met
        print(f"cancel after {after:.1f} s of loading: acted in {took:7.1f} ms (goal {CANCEL_GOAL_MS}); "
              f"longest UI stall before the click {stall:7.1f} ms (goal {STALL_GOAL_MS})   "
              f"{'ok' if met else 'OVER GOAL'}")
    t = time.perf_counter()
    task = window.open_file(path, confirm=False)
    monitor.start()
    spin(app, 600, lambda: not task.running)
    stall = monitor.stop()
    print(f"whole load: {time.perf_counter() - t:.1f} s, {len(window.document.events):,} events; "
          f"longest UI stall {stall:.1f} ms (the table's first paint included)")
    window.runner.wait(60_000)
    window.document.undo_stack.setClean()
    window.close()
    print("all goals met" if ok else "some goals NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
