"""The preview worker's protocol, both ends in this process: the worker's side
(``_Serving``) on a thread over a pipe, the app's side (``Request``,
``PreviewWorker.changed``, the outbox's messages) against a stand-in link.

``tests/test_preview_worker.py`` runs the real worker process; here every
message can be looked at, and each expected value is written out by hand.
"""

from __future__ import annotations

import gc
import multiprocessing
import pickle
import threading
from datetime import date
from pathlib import Path

import pytest

from dacc_gui.common.cancel import Cancelled
from dacc_gui.events.context import UserContext
from dacc_gui.events.edits import Change
from dacc_gui.events.loader import load_file
from dacc_gui.events.model import UsageEvent
from dacc_gui.rules import preview_process as P
from dacc_gui.rules.indicators import Indicator
from dacc_gui.rules.packing import pack_ids, packed_indicator, unpack_ids, unpacked_indicator
from dacc_gui.rules.preview import compute_preview

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"


def ev(n: int, day: int = 8, **fields) -> UsageEvent:
    doc = {"_id": f"e{n}", "type": "NavigationEvent", "eventDate": f"2021-12-{day:02d}T09:00:00.000Z",
           "target": "faq", "aggregated": False}
    doc.update(fields)
    return UsageEvent.from_document(doc)


@pytest.fixture
def collector_restored():
    """The worker's side pauses and freezes the collector: as it was, after."""
    was = gc.isenabled()
    yield
    gc.unfreeze()
    if was:
        gc.enable()


@pytest.fixture
def serving(collector_restored):
    """A ``_Serving`` reading one end of a pipe on a thread; the test holds the other end."""
    app_end, worker_end = multiprocessing.Pipe(duplex=True)
    s = P._Serving(worker_end)
    thread = threading.Thread(target=s.serve, daemon=True)
    thread.start()
    s.app_end = app_end  # type: ignore[attr-defined]
    yield s
    app_end.close()  # the worker's side sees the pipe closed and returns
    thread.join(5)
    assert not thread.is_alive()


def post(s, *message) -> None:
    s.app_end.send_bytes(pickle.dumps(message))


def answers(s, until: str) -> list[tuple]:
    """What the worker said, up to a message of kind ``until``; a part as ("P", part)."""
    out = []
    while True:
        assert s.app_end.poll(30), f"no {until!r} from the worker"
        data = s.app_end.recv_bytes()
        message = ("P", pickle.loads(data[1:])) if data[:1] == b"P" else pickle.loads(data[1:])
        out.append(message)
        if message[0] == until:
            return out


def test_the_worker_keeps_its_copy_in_step_with_each_edit(collector_restored):
    s = P._Serving(None)
    s._load()
    s._events([ev(0), ev(1)])
    s._events([ev(2), ev(3)])
    assert [e.id for e in s.events] == ["e0", "e1", "e2", "e3"]
    s._set("eventDate", [1, 3], ["2021-12-01T08:00:00.000Z", "2021-12-02T08:00:00.000Z"])
    assert [e.eventDate for e in s.events] == ["2021-12-08T09:00:00.000Z", "2021-12-01T08:00:00.000Z",
                                              "2021-12-08T09:00:00.000Z", "2021-12-02T08:00:00.000Z"]
    s._replace([0], [ev(9, target="gas")])
    assert [(e.id, e.target) for e in s.events] == [("e9", "gas"), ("e1", "faq"), ("e2", "faq"), ("e3", "faq")]
    s._insert([1, 4], [ev(10), ev(11)])  # positions afterwards
    assert [e.id for e in s.events] == ["e9", "e10", "e1", "e2", "e11", "e3"]
    s._remove([0, 2, 5])  # positions before
    assert [e.id for e in s.events] == ["e10", "e2", "e11"]
    s._load()
    assert s.events == []


def test_inserted_rows_go_where_they_are_said_to_be():
    assert P._merge_inserted(["a", "b", "c"], [0, 2], ["x", "y"]) == ["x", "a", "y", "b", "c"]
    assert P._merge_inserted(["a", "b", "c"], [3, 4], ["x", "y"]) == ["a", "b", "c", "x", "y"]
    assert P._merge_inserted(["a", "b"], [1], ["x"]) == ["a", "x", "b"]
    assert P._merge_inserted([], [0, 1], ["x", "y"]) == ["x", "y"]


def test_parts_hold_a_thousand_objects_at_most(monkeypatch):
    assert [len(p) for p in P._slices(list(range(2_500)))] == [1_000, 1_000, 500]
    assert [len(p) for p in P._slices(list(range(3)))] == [3]
    assert list(P._slices([])) == []
    # By weight: an indicator counts its events.
    weights = [600, 300, 200, 999, 1, 5]
    assert [list(p) for p in P._slices(weights, lambda w: w)] == [[600, 300, 200], [999, 1], [5]]


def test_event_ids_travel_as_one_text_unless_one_holds_the_separator():
    assert pack_ids(["e1", "e2", ""]) == "e1\0e2\0"
    assert unpack_ids("e1\0e2\0") == ["e1", "e2", ""]
    assert pack_ids(["a\0b", "c"]) == ["a\0b", "c"]  # would split in three: sent as a list
    assert pack_ids([""]) == [""] and pack_ids([]) == []
    rule = compute_preview(load_file(GOLDEN / "01-one-day.json").events, UserContext(),
                           date(2021, 12, 9)).results[0].indicators[0].rule
    indicator = Indicator("m", "2021-12-08", 2.5, (("k", "v"), None, None), rule, ["x\0y", "z"], "other")
    back = unpacked_indicator(pickle.loads(pickle.dumps(packed_indicator(indicator))))
    assert back == indicator and back.event_ids == ["x\0y", "z"] and back.createdBy == "other"


def test_the_outbox_cuts_the_events_and_the_edits_into_messages():
    events = [ev(n) for n in range(2_500)]
    messages = list(P._messages(("load", events)))
    assert [m[0] for m in messages] == ["load", "events", "events", "events"]
    assert [len(m[1]) for m in messages[1:]] == [1_000, 1_000, 500]
    assert messages[3][1][-1] is events[-1]
    rows = list(range(4_001))
    targets = [ev(n, target=f"t{n}") for n in rows]
    sets = list(P._messages(("set", "target", rows, targets)))
    assert [(m[0], m[1], len(m[2]), len(m[3])) for m in sets] == [("set", "target", 4_000, 4_000),
                                                                 ("set", "target", 1, 1)]
    assert sets[1][2:] == ([4_000], ["t4000"])
    assert list(P._messages(("replace", [2], [events[2]]))) == [("replace", [2], [events[2]])]
    assert list(P._messages(("remove", [1, 2]))) == [("remove", [1, 2])]


def test_a_preview_travels_whole_and_comes_back_together(serving):
    event_set = load_file(GOLDEN / "02-missed-nights.json")
    events, context = event_set.events, event_set.context or UserContext()
    post(serving, "load")
    post(serving, "events", events[:3])
    post(serving, "events", events[3:])
    post(serving, "preview", 7, len(events), context, date(2022, 3, 10), date(2022, 3, 12), False)
    said = answers(serving, "end")
    # A night at a time as it computes, then the result between its begin and end.
    assert said[:4] == [("progress", 7, 1, 3), ("progress", 7, 2, 3), ("progress", 7, 3, 3), ("begin", 7)]
    assert said[-1] == ("end", 7) and all(m[0] == "P" for m in said[4:-1])
    assembly = P._Assembly()
    for message in said:
        if message[0] == "P":
            assembly.add(message[1])
    got, want = assembly.preview, compute_preview(events, context, date(2022, 3, 10), date(2022, 3, 12))
    assert got.to_json() == want.to_json() and got.to_csv() == want.to_csv()
    assert [r.validation.messages() for r in got.rows] == [r.validation.messages() for r in want.rows]
    assert [r.run.run_date for r in got.rows] == [r.run.run_date for r in want.rows]
    assert got.skipped() == [(r, s) for r in got.results for s in r.skipped]
    assert sorted(got.by_measure) == sorted(want.by_measure)


def preview_of(serving, number: int, events, context, first, last) -> object:
    post(serving, "preview", number, len(events), context, first, last, False)
    assembly = P._Assembly()
    for message in answers(serving, "end"):
        if message[0] == "P":
            assembly.add(message[1])
    return assembly.preview


def test_the_worker_updates_its_timeline_with_the_rows_edited(serving):
    event_set = load_file(GOLDEN / "02-missed-nights.json")
    events, context = event_set.events, event_set.context or UserContext()
    nights = (date(2022, 3, 10), date(2022, 3, 12))
    post(serving, "load")
    post(serving, "events", events)
    preview_of(serving, 1, events, context, *nights)
    kept = serving.timeline
    assert kept is not None and kept.events is serving.events
    # Edits as the app sends them, mirrored on the test's copy.
    edited = [e.copy_with() for e in events]
    edited[0].eventDate, edited[2].eventDate = "2022-03-11T07:00:00.000Z", "2022-03-09T23:59:00.000Z"
    post(serving, "set", "eventDate", [0, 2], [edited[0].eventDate, edited[2].eventDate])
    edited[1] = edited[1].copy_with(aggregated=True)
    post(serving, "replace", [1], [edited[1]])
    got = preview_of(serving, 2, edited, context, *nights)
    assert serving.timeline is kept and serving.edited == set()  # updated, not built again
    want = compute_preview(edited, context, *nights)
    assert got.to_json() == want.to_json() and got.to_json() != compute_preview(events, context, *nights).to_json()
    post(serving, "remove", [0])
    preview_of(serving, 3, edited[1:], context, *nights)
    assert serving.timeline is not kept  # positions moved: built again


def test_a_worker_holding_other_events_says_it_is_lost(serving):
    post(serving, "load")
    post(serving, "events", [ev(0), ev(1), ev(2)])
    post(serving, "preview", 1, 4, UserContext(), date(2021, 12, 9), None, False)
    assert answers(serving, "lost") == [("lost", 1, "The preview's worker process held 3 events, the app 4.")]


def test_a_failure_goes_back_with_its_text_and_traceback(serving):
    post(serving, "load")
    post(serving, "preview", 2, 0, UserContext(), date(2021, 12, 9), date(2021, 12, 1), False)
    [(kind, number, text, trace)] = answers(serving, "failed")
    assert (kind, number) == ("failed", 2)
    assert text == "ValueError: the range ends (2021-12-01) before it starts (2021-12-09)"
    assert trace.startswith("Traceback (most recent call last):") and "ValueError" in trace


def test_a_superseded_or_cancelled_request_is_not_computed(collector_restored):
    app_end, worker_end = multiprocessing.Pipe(duplex=True)
    s = P._Serving(worker_end)
    s.latest = 5
    s._preview(4, 0, UserContext(), date(2021, 12, 9), None, False)  # a newer one came
    s.latest = 4
    s.cancelled.add(4)
    s._preview(4, 0, UserContext(), date(2021, 12, 9), None, False)
    said = [pickle.loads(app_end.recv_bytes()[1:]) for _ in range(2)]
    assert said == [("cancelled", 4), ("cancelled", 4)] and not app_end.poll(0.1)
    assert s.running is None


def test_a_message_stops_the_computation_running_but_a_late_cancel_does_not(collector_restored):
    app_end, worker_end = multiprocessing.Pipe(duplex=True)
    s = P._Serving(worker_end)
    reader = threading.Thread(target=s.read, daemon=True)
    reader.start()
    for message, stops in [(("events", []), False), (("cancel", 3), False), (("cancel", 8), True),
                           (("set", "target", [], []), True), (("preview", 9, 0, None, None, None, False), True)]:
        s.running, s.running_id = threading.Event(), 8
        flag = s.running
        app_end.send_bytes(pickle.dumps(message))
        assert s.inbox.get(timeout=5) == message
        assert flag.is_set() is stops, message
    assert s.latest == 9 and s.cancelled == {3, 8}
    app_end.close()
    assert s.inbox.get(timeout=5) is None  # the app went away
    reader.join(5)


class Link:
    """Stands in for ``_Link``: what was posted, forgotten and abandoned."""

    def __init__(self) -> None:
        self.posted: list = []
        self.forgotten: list = []
        self.abandoned: list = []
        self.dead = None

    def post(self, message) -> None:
        self.posted.append(message)

    def forget(self, number: int) -> None:
        self.forgotten.append(number)

    def abandon(self, message: str) -> None:
        self.abandoned.append(message)


def request_answered(*answers):
    link = Link()
    request = P.Request(None, link, 3)
    for answer in answers:
        request._answer(answer)
    return request, link


def test_a_request_reports_progress_then_its_result():
    request, link = request_answered(("progress", 1, 2), ("progress", 2, 2), ("done", "the preview"))
    seen = []
    assert request.result(lambda done, total: seen.append((done, total))) == "the preview"
    assert seen == [(1, 2), (2, 2)]
    assert request.outcome == "done" and request.ended.is_set() and link.forgotten == [3]


def test_a_request_raises_what_the_worker_said():
    with pytest.raises(Cancelled):
        request_answered(("cancelled",))[0].result()
    with pytest.raises(P.WorkerFailed, match="^ValueError: bad$") as failed:
        request_answered(("failed", "ValueError: bad", "Traceback (most recent call last): ..."))[0].result()
    assert str(failed.value.__cause__) == "Traceback (most recent call last): ..."
    assert str(P.RemoteTraceback()) == ""
    request, link = request_answered(("lost", "held 3 events, the app 4."))
    with pytest.raises(P.WorkerCrashed, match="^held 3 events, the app 4.$"):
        request.result()
    assert link.abandoned == ["held 3 events, the app 4."]
    with pytest.raises(P.WorkerCrashed, match="^The preview's worker process was killed \\(SIGKILL\\).$"):
        request_answered(("crashed", "The preview's worker process was killed (SIGKILL)."))[0].result()


def test_a_request_cancelled_by_the_app_asks_the_worker_to_stop():
    request, link = request_answered()
    with pytest.raises(Cancelled):
        request.result(cancelled=lambda: True)
    assert link.posted == [("cancel", 3)] and request.outcome is None


def test_each_kind_of_edit_goes_to_the_worker_as_its_message():
    worker = P.PreviewWorker()
    link = worker._link = Link()
    worker._stale = False
    events = [ev(0), ev(1), ev(2)]
    worker.changed(Change("fields", [0, 2], "eventDate"), events)
    worker.changed(Change("fields", [1], None), events)  # fields of a row not named: the whole event
    worker.changed(Change("inserted", range(1, 3)), events)
    worker.changed(Change("removed", [0]), events)
    worker.changed(Change("context"), events)  # goes with every request
    worker.changed(Change("removed", []), events)
    assert link.posted == [("set", "eventDate", [0, 2], [events[0], events[2]]), ("replace", [1], [events[1]]),
                           ("insert", [1, 2], [events[1], events[2]]), ("remove", [0])]
    assert worker._stale  # the empty removal: the events are sent again with the next request
    link.posted.clear()
    worker.changed(Change("removed", [0]), events)
    assert link.posted == []  # stale: nothing to keep in step until then


def test_a_result_is_pickled_whole_while_the_app_has_not_read_it_yet(collector_restored):
    """The parts go out on a thread: the worker does not wait for the app to
    take in each part (a pipe holds 64 KiB) before it pickles the next."""
    app_end, worker_end = multiprocessing.Pipe(duplex=True)
    s = P._Serving(worker_end)
    s._load()
    s._events([ev(n, day=1 + n % 28) for n in range(20_000)])  # megabytes of parts
    computing = threading.Thread(target=s._preview, args=(1, 20_000, UserContext(), date(2022, 1, 1), None, False),
                                 daemon=True)
    computing.start()
    computing.join(20)
    assert not computing.is_alive(), "the worker waited for the app to read"
    assert not s.outbox.empty()  # still to be written: more than the pipe holds
    said = []
    while not said or said[-1][0] != "end":
        data = app_end.recv_bytes()
        said.append(("P", pickle.loads(data[1:])) if data[:1] == b"P" else pickle.loads(data[1:]))
    assert [m[0] for m in said[:2]] == ["progress", "begin"] and sum(1 for m in said if m[0] == "P") > 1
    assembly = P._Assembly()
    for message in said:
        if message[0] == "P":
            assembly.add(message[1])
    assert len(assembly.preview.rows) == len(compute_preview(s.events, UserContext(), date(2022, 1, 1)).rows) > 0
    s.flush()
    app_end.close()


def test_the_runs_go_out_before_their_checks_are_made(serving):
    """The app takes in the runs while the worker checks their indicators."""
    event_set = load_file(GOLDEN / "02-missed-nights.json")
    events, context = event_set.events, event_set.context or UserContext()
    post(serving, "load")
    post(serving, "events", events)
    post(serving, "preview", 1, len(events), context, date(2022, 3, 10), date(2022, 3, 12), False)
    said = answers(serving, "end")
    kinds = [m[1][0] if m[0] == "P" else m[0] for m in said]
    first_check = kinds.index("validations")
    assert set(kinds[first_check:-2]) == {"validations"} and kinds[-2:] == ["preview", "end"]
    assert kinds[:first_check].count("run") == 3  # every night's run, before any check
    want = compute_preview(events, context, date(2022, 3, 10), date(2022, 3, 12))
    assembly = P._Assembly()
    for message in said:
        if message[0] == "P":
            assembly.add(message[1])
    assert [(r.validation.level, r.validation.messages()) for r in assembly.preview.rows] == \
        [(r.validation.level, r.validation.messages()) for r in want.rows]
