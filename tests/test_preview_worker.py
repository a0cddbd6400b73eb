"""The preview in a worker process: the same preview as in-process, kept in
step by the edits alone, cancelled, superseded, and restarted after a crash."""

from __future__ import annotations

import json
import logging
import os
import signal
from datetime import date, timedelta
from pathlib import Path

import pytest

from dacc_gui.common.cancel import Cancelled
from dacc_gui.events import edits
from dacc_gui.events.context import UserContext
from dacc_gui.events.edits import EventStore
from dacc_gui.events.loader import load_file
from dacc_gui.events.model import UsageEvent
from dacc_gui.rules.preview import Preview, compute_preview
from dacc_gui.rules.preview_process import PreviewWorker, WorkerCrashed, WorkerFailed, release

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
CONTEXT = UserContext(connectedFluids=["gas"])


@pytest.fixture(scope="module")
def worker():
    crashes: list[str] = []
    w = PreviewWorker(on_crash=crashes.append)
    w.crashes = crashes  # type: ignore[attr-defined]
    yield w
    w.close()


def same(got: Preview, want: Preview) -> None:
    """Everything the app shows of a preview, compared."""
    assert got.to_json() == want.to_json()
    assert got.to_csv() == want.to_csv()
    assert [(r.validation.level, r.validation.messages()) for r in got.rows] == \
        [(r.validation.level, r.validation.messages()) for r in want.rows]
    assert [[s.index for s in r.skipped] for r in got.results] == [[s.index for s in r.skipped] for r in want.results]
    assert got.aggregated_indices() == want.aggregated_indices()
    assert (got.consent_blocked, got.monthly_held_back, got.notes()) == \
        (want.consent_blocked, want.monthly_held_back, want.notes())
    assert {name: [len(run.indicators) for run in runs] for name, runs in (got.by_measure or {}).items()} == \
        {name: [len(run.indicators) for run in runs] for name, runs in (want.by_measure or {}).items()}
    # The rows, the runs and the charts' split refer to the same indicators, as in-process.
    shown = {id(i) for r in got.results for i in r.indicators}
    assert all(id(row.indicator) in shown and any(row.run is r for r in got.results) for row in got.rows)
    assert all(id(i) in shown for runs in (got.by_measure or {}).values() for run in runs for i in run.indicators)
    assert len(shown) == len(got.rows)


def many_events(n: int, days: int = 700) -> list[UsageEvent]:
    start = date(2022, 1, 1)
    types = ["NavigationEvent", "ConnectionEvent", "KonnectorAttemptEvent", "ProfileSetEvent"]
    return [UsageEvent.from_document({
        "_id": f"e{i}", "type": types[i % 4], "eventDate": f"{start + timedelta(days=i % days)}T10:{i % 60:02d}:00.000Z",
        "target": "faq", "aggregated": False}) for i in range(n)]


# Nights enough that the worker is still computing when a test acts on its first progress.
LONG = (date(2022, 1, 2), date(2023, 12, 31), True)


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_the_worker_computes_the_golden_cases_as_in_process(worker, path):
    case = json.loads(path.read_text())
    event_set = load_file(path)
    run_date = date.fromisoformat(case["runDate"])
    worker.reload()
    context = event_set.context or UserContext()
    got = worker.request(event_set.events, context, run_date, None, case["ignoreMonthlyDateProtection"]).result()
    same(got, compute_preview(event_set.events, context, run_date, None, case["ignoreMonthlyDateProtection"]))
    payloads = sorted(json.dumps(p, sort_keys=True) for p in got.results[0].payloads())
    assert payloads == sorted(json.dumps(p, sort_keys=True) for p in case["expected"]["indicators"])


def test_edits_alone_keep_the_worker_in_step(worker):
    path = GOLDEN / "02-missed-nights.json"
    event_set = load_file(path)
    store = EventStore(event_set.events, event_set.context)
    worker.reload()
    first, last = date(2022, 3, 10), date(2022, 3, 12)

    def check() -> None:
        got = worker.request(store.events, store.effective_context(), first, last).result()
        same(got, compute_preview(list(store.events), store.effective_context(), first, last))

    check()
    events = store.events
    steps = [
        edits.shift_dates(events, range(0, len(events), 2), -1, "days"),
        edits.toggle_aggregated(events, [1, 2, 3]),
        edits.set_field(events, 4, "target", "gas"),
        edits.duplicate_events(events, [0, 5]),
        edits.delete_events([1, 3, 6]),
        edits.set_context(store.context, store.effective_context().model_copy(update={"daccConsent": False})),
    ]
    done = []
    for command in steps:
        assert command is not None
        worker.changed(command.do(store), store.events)
        done.append(command)
        check()
    # Undone in turn: the delete puts rows back in the middle.
    for command in reversed(done):
        worker.changed(command.undo(store), store.events)
        check()
    assert [e.to_document() for e in store.events] == [e.to_document() for e in load_file(path).events]


def test_the_events_go_with_the_first_request_after_a_reload(worker):
    store = EventStore(many_events(50))
    worker.reload()
    # Edits before the first request: the events it sends already have them.
    worker.changed(edits.delete_events([0, 1]).do(store), store.events)
    worker.changed(edits.toggle_aggregated(store.events, [2]).do(store), store.events)
    got = worker.request(store.events, CONTEXT, date(2023, 1, 1)).result()
    same(got, compute_preview(store.events, CONTEXT, date(2023, 1, 1)))


def test_a_change_of_unknown_rows_sends_the_events_again(worker):
    events = many_events(50)
    worker.reload()
    worker.request(events, CONTEXT, date(2023, 1, 1)).result()
    for event in events[:10]:  # as a write to a Cozy merges the server's fields, rows unsaid
        vars(event)["aggregated"] = True
    worker.changed(edits.Change("fields"), events)
    got = worker.request(events, CONTEXT, date(2023, 1, 1)).result()
    same(got, compute_preview(events, CONTEXT, date(2023, 1, 1)))
    assert got.aggregated_indices() == list(range(10, 50))


def test_cancel_stops_the_computation_and_the_worker_goes_on(worker):
    events = many_events(5_000)
    worker.reload()
    request = worker.request(events, CONTEXT, *LONG)
    seen: list[tuple[int, int]] = []
    with pytest.raises(Cancelled):
        request.result(lambda done, total: seen.append((done, total)), cancelled=lambda: bool(seen))
    assert seen and seen[0][0] < seen[0][1]
    # The worker says it stopped (rather than "done" hundreds of nights later).
    assert request.ended.wait(30) and request.outcome == "cancelled"
    # And the next request is answered.
    got = worker.request(events, CONTEXT, date(2023, 1, 2)).result()
    same(got, compute_preview(events, CONTEXT, date(2023, 1, 2)))


def test_a_newer_request_supersedes_an_older_one(worker):
    events = many_events(5_000)
    worker.reload()
    older = worker.request(events, CONTEXT, *LONG)
    newer = worker.request(events, CONTEXT, date(2022, 6, 1))
    with pytest.raises(Cancelled):
        older.result()
    same(newer.result(), compute_preview(events, CONTEXT, date(2022, 6, 1)))


def test_a_failure_in_the_worker_comes_back_with_its_traceback(worker):
    events = many_events(10)
    worker.reload()
    with pytest.raises(WorkerFailed, match="before it starts") as failure:
        worker.request(events, CONTEXT, date(2022, 2, 1), date(2022, 1, 1)).result()
    assert "Traceback" in str(failure.value.__cause__) and "simulate" in str(failure.value.__cause__)
    assert worker.alive


def test_killed_mid_run_the_worker_is_reported_and_restarted(caplog):
    crashes: list[str] = []
    worker = PreviewWorker(on_crash=crashes.append)
    try:
        events = many_events(5_000)
        worker.reload()
        assert worker.pid is None  # started by the first request, not by opening events
        progress: list[int] = []
        first_pid = []

        def kill_on_first_night(done: int, total: int) -> None:
            progress.append(done)
            if len(progress) == 1:
                assert done < total  # mid-run
                first_pid.append(worker.pid)
                os.kill(worker.pid, signal.SIGKILL)

        with caplog.at_level(logging.WARNING, logger="dacc_gui.rules.preview_process"):
            with pytest.raises(WorkerCrashed, match=r"killed \(SIGKILL\)"):
                worker.request(events, CONTEXT, *LONG).result(kill_on_first_night)
        assert progress and not worker.alive
        assert crashes == ["The preview's worker process was killed (SIGKILL)."]
        assert "killed (SIGKILL)" in caplog.text
        # A request after it starts another worker, fed the events again.
        got = worker.request(events, CONTEXT, date(2023, 1, 2)).result()
        assert worker.alive and worker.pid not in first_pid
        same(got, compute_preview(events, CONTEXT, date(2023, 1, 2)))
    finally:
        worker.close()
    assert crashes == ["The preview's worker process was killed (SIGKILL)."]  # closing is no crash


def test_a_worker_out_of_step_is_given_up_and_replaced(worker):
    events = many_events(20)
    worker.reload()
    worker.request(events, CONTEXT, date(2023, 1, 2)).result()
    first_pid = worker.pid
    worker.changed(edits.Change("removed", [0]), events)  # a removal the events never had
    with pytest.raises(WorkerCrashed, match="held 19 events, the app 20"):
        worker.request(events, CONTEXT, date(2023, 1, 2)).result()
    assert not worker.alive and worker.crashes[-1].endswith("held 19 events, the app 20.")
    got = worker.request(events, CONTEXT, date(2023, 1, 2)).result()
    assert worker.pid != first_pid
    same(got, compute_preview(events, CONTEXT, date(2023, 1, 2)))


def test_a_released_preview_is_freed_but_what_others_hold_stays_whole():
    import gc
    import weakref

    events = many_events(3_000)
    preview = compute_preview(events, CONTEXT, date(2022, 3, 1), date(2022, 3, 3))
    want = compute_preview(events, CONTEXT, date(2022, 3, 1), date(2022, 3, 3))
    held_run = preview.results[1]  # as a detail pane holds what it shows
    held_row = preview.rows[-1]
    gone = weakref.ref(preview)
    holder = [preview]
    del preview
    release(holder).join(10)
    gc.collect()
    assert holder == [] and gone() is None
    assert [i.payload() for i in held_run.indicators] == [i.payload() for i in want.results[1].indicators]
    assert held_run.aggregated == want.results[1].aggregated and held_run.skipped == want.results[1].skipped
    assert held_row.indicator.payload() == want.rows[-1].indicator.payload()
    assert held_row.run.aggregated_indices == want.rows[-1].run.aggregated_indices


def test_a_preview_an_export_still_uses_is_left_whole():
    events = many_events(3_000)
    preview = compute_preview(events, CONTEXT, date(2022, 3, 1))
    exporting = preview  # the export's own name for it
    release([preview]).join(10)
    assert preview.to_json() == compute_preview(events, CONTEXT, date(2022, 3, 1)).to_json()
    assert exporting is preview


def test_the_worker_runs_below_the_app(worker):
    worker.reload()
    worker.request(many_events(1), CONTEXT, date(2023, 1, 2)).result()  # started and answering
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, worker.pid) == min(19, mine + 5)


def test_closed_mid_preview_the_worker_stops_by_itself():
    worker = PreviewWorker()
    events = many_events(30_000)
    worker.request(events, CONTEXT, date(2023, 1, 2)).result()  # started
    request = worker.request(events, CONTEXT, *LONG)
    request.answers.get(timeout=30)  # its first progress: computing
    process = worker._link.process
    worker.close()
    process.join(5)  # (the thread that reads its answers may be the one that saw it end)
    assert process.exitcode == 0  # it left by itself (terminated, it would say -15)
