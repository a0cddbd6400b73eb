"""A shared receiver used through its control API, as the app's receiver panel uses a built-in one."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from dacc_gui.receiver.faults import FaultError
from dacc_gui.receiver.remote import RemoteError, RemoteReceiver
from tests.receiver_support import live_receiver, measure, wrapped


@pytest.fixture
def shared():
    with live_receiver(None) as (receiver, client):
        yield receiver, client


def contributions(n, day="2021-12-07", device="mobile"):
    return [measure(startDate=day, group1={"device": device}, value=k + 1) for k in range(n)]


def test_records_summary_and_new_records_followed(shared):
    receiver, client = shared
    assert client.post("/", json=wrapped(measure())).status_code == 201
    receiver.store.flush()
    remote = RemoteReceiver(receiver.url, poll_seconds=0.05)
    seen, arrived = [], threading.Event()
    remote.add_listener(lambda r: (seen.append(r), arrived.set()))
    remote.start()
    try:
        assert [r.status for r in remote.store.records()] == [201]
        assert remote.store.summary()["accepted"] == 1
        assert client.post("/", json=wrapped(measure(value=None))).status_code == 500
        assert arrived.wait(10)
        assert [(r.status, r.production_status, r.measure["value"]) for r in seen] == [(500, 500, None)]
        assert "float()" in seen[0].error  # the record as the built-in receiver keeps it
    finally:
        remote.close()
    assert not remote.running


def test_aggregates_two_ways_and_a_pass(shared):
    receiver, client = shared
    for m in contributions(5) + contributions(2, device="desktop"):
        assert client.post("/", json=wrapped(m)).status_code == 201
    receiver.store.flush()
    remote = RemoteReceiver(receiver.url)
    live = remote.aggregate("connection-count-daily", "2021-12-07", "2021-12-08", include_hidden=True)
    assert sorted((r["group1"]["device"], r["count"], r["hidden"]) for r in live) == \
        [("desktop", 2, True), ("mobile", 5, False)]
    assert [r["count"] for r in remote.aggregate("connection-count-daily", "2021-12-07", "2021-12-08")] == [5]
    assert remote.aggregate("connection-count-daily", "2021-12-07", "2021-12-08", view="production") == []
    assert remote.aggregation_status()["lastPassAt"] is None
    passes = {o.measure_name: o for o in remote.run_aggregation()}
    assert passes["connection-count-daily"].ran and passes["connection-count-daily"].raw_rows == 7
    production = remote.aggregate("connection-count-daily", "2021-12-07", "2021-12-08", view="production")
    assert [(r["count"], r["sum"], r["avg"]) for r in production] == [(5, 15, 3)]  # 1+2+3+4+5
    assert remote.aggregation_status()["lastPassAt"] is not None


def test_faults_mode_and_reset(shared):
    receiver, client = shared
    remote = RemoteReceiver(receiver.url)
    remote.faults.inject("500", 2)
    assert [(f.kind, f.remaining) for f in remote.faults.pending()] == [("500", 2)]
    assert client.post("/", json=wrapped(measure())).status_code == 500  # the shared one injects it
    with pytest.raises(FaultError):
        remote.faults.inject("teapot", 1)
    assert remote.faults.clear() == 1 and remote.faults.pending() == []
    assert remote.clear_errors is False
    remote.clear_errors = True
    assert receiver.clear_errors is True
    assert client.post("/", json=wrapped(measure(value=None))).status_code == 400
    receiver.store.flush()
    assert remote.store.reset() == 2 and remote.store.count() == 0


def test_a_receiver_that_is_not_there_is_said_plainly():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    remote = RemoteReceiver(f"http://127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(RemoteError, match=f"the shared receiver at http://127.0.0.1:{port} does not answer"):
        remote.start()
    assert time.monotonic() - started < 15 and not remote.running


def test_a_wrong_token_is_refused_with_what_to_do():
    with live_receiver(None, token="team-token") as (receiver, _client):
        with pytest.raises(RemoteError, match="refused the token \\(401\\): ask whoever runs it"):
            RemoteReceiver(receiver.url, "not-it").start()
        with pytest.raises(RemoteError, match="refused the token"):
            RemoteReceiver(receiver.url).start()  # none given
        remote = RemoteReceiver(receiver.url, "team-token").start()
        assert remote.running
        remote.close()
