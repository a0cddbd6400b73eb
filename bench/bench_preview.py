"""The preview's parts at scale, in one process: its timeline, its rules and its checks.

    .venv/bin/python bench/bench_preview.py [N]      # N events (default 1,000,000), as bench_ui.py makes them

Ratios in the same process, the collector off as in the worker: the
timeline updated after a shift of the first 100,000 events against one
built anew; the nightly rules against the whole preview; and the DACC's
checks of the preview's measures (most take the short way for measures as
the rulebook sends them) against production's full steps for each. No goal of its own (bench_ui.py has
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
from dacc_gui.dacc.measures import load_catalog  # noqa: E402
from dacc_gui.dacc.production import answer_measure  # noqa: E402
from dacc_gui.dacc.validation import validate_all, validation_of  # noqa: E402
from dacc_gui.rules import simulate  # noqa: E402
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
    catalog = load_catalog()
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

    preview = best(lambda: compute_preview(events, context, RUN, timeline=timeline))
    rules = best(lambda: simulate(events, context, RUN, RUN, timeline=timeline))
    payloads = [i.payload() for i in simulate(events, context, RUN, RUN, timeline=timeline)[0].indicators]
    checks = best(lambda: validate_all(payloads))
    full = best(lambda: [validation_of(answer_measure(m, catalog), catalog) for m in payloads])
    print(f"preview (rules and checks)        {preview:7.3f} s")
    print(f"  of which the nightly rules      {rules:7.3f} s   {rules / preview:5.2f}x the preview")
    print(f"{f'checks of its {len(payloads):,} measures':<34}{checks:7.3f} s   {checks / full:5.2f}x the full steps each")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
