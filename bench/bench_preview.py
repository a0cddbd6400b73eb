"""The preview's parts at scale, in one process: what the worker keeps and what its checker takes.

    .venv/bin/python bench/bench_preview.py [N]      # N events (default 1,000,000), as bench_ui.py makes them

Ratios in the same process, the collector off as in the worker: the
timeline updated after a shift of the first 100,000 events against one
built anew, and the preview with its DACC checks in a checker process
against the checks made at the end. No goal of its own (bench_ui.py has
the app's); it says where a preview's time goes.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dacc_gui.events import edits  # noqa: E402
from dacc_gui.events.context import UserContext  # noqa: E402
from dacc_gui.rules.checker_process import start_checker  # noqa: E402
from dacc_gui.rules.preview import compute_preview  # noqa: E402
from dacc_gui.rules.timeline import Timeline  # noqa: E402

RUN = date(2025, 1, 2)
ROUNDS = 3


def best(action) -> float:
    times = []
    for _ in range(ROUNDS):
        t = time.perf_counter()
        action()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("events", nargs="?", type=int, default=1_000_000)
    n = parser.parse_args().events
    from bench_ui import make_events  # the same events as the app's bench

    events = make_events(n)
    gc.freeze()
    gc.disable()
    context = UserContext()
    print(f"{n:,} events, best of {ROUNDS}")

    fresh = best(lambda: Timeline(events))
    timeline = Timeline(events)
    rows = list(range(min(100_000, n)))
    shift = edits.shift_dates(events, rows, -1, "days")
    back = [events[r].eventDate for r in rows]

    def updated() -> None:
        for row, value in zip(rows, shift.values):
            vars(events[row])["eventDate"] = value
        t = time.perf_counter()
        timeline.update(rows)
        spent.append(time.perf_counter() - t)
        for row, value in zip(rows, back):
            vars(events[row])["eventDate"] = value
        timeline.update(rows)

    spent: list[float] = []
    for _ in range(ROUNDS):
        updated()
    print(f"timeline built anew               {fresh:7.3f} s")
    print(f"timeline updated after the shift  {min(spent):7.3f} s   {min(spent) / fresh:5.2f}x built anew")

    at_end = best(lambda: compute_preview(events, context, RUN, timeline=timeline))
    checker = start_checker()
    if checker is None:
        print("no checker process could start")
        return 1
    checker.submit(int).result()  # started
    meanwhile = best(lambda: compute_preview(events, context, RUN, timeline=timeline, checker=checker))
    checker.shutdown()
    print(f"preview, checks at the end        {at_end:7.3f} s")
    print(f"preview, checks in the checker    {meanwhile:7.3f} s   {meanwhile / at_end:5.2f}x at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
