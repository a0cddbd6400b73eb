"""Nothing lost: a stop answers and records what is in flight, and what was answered
survives the process being killed."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from tests.receiver_support import live_receiver, measure

from dacc_gui.receiver import Store

ROOT = Path(__file__).resolve().parent.parent


def _unique(n: int) -> dict:
    """A valid measure told apart by its value."""
    return measure(value=n, group1={"device": f"device-{n}"})


def _stored_values(store: Store) -> list[int]:
    return [r.measure["value"] for r in store.records(status="accepted")]


async def _load(url: str, clients: int, stop: threading.Event, counter, results: list) -> None:
    """``clients`` senders posting unique measures until ``stop`` or the server goes away;
    ``results`` gets (value, status or error) as answers come."""

    async def sender(client: httpx.AsyncClient) -> None:
        while not stop.is_set():
            n = next(counter)
            try:
                response = await client.post("/measure", json=_unique(n))
            except httpx.ConnectError:  # the server is gone: this one was never sent
                return
            except httpx.HTTPError as exc:
                results.append((n, type(exc).__name__))
                return
            results.append((n, response.status_code))

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        await asyncio.gather(*(sender(client) for _ in range(clients)))


def _load_in_thread(url: str, clients: int) -> tuple[threading.Thread, threading.Event, list]:
    stop, box = threading.Event(), []
    counter = itertools.count()
    thread = threading.Thread(target=lambda: asyncio.run(_load(url, clients, stop, counter, box)))
    thread.start()
    return thread, stop, box


def _wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_stop_answers_and_records_50_requests_in_flight(tmp_path):
    with live_receiver(tmp_path / "r.sqlite3") as (receiver, _):
        receiver.faults.inject("delay", 50, delay=20)  # far longer than a stop may take
        codes: dict[int, object] = {}

        def post(n: int) -> None:
            try:
                codes[n] = httpx.post(receiver.url + "/measure", json=_unique(n), timeout=30).status_code
            except httpx.HTTPError as exc:
                codes[n] = type(exc).__name__

        threads = [threading.Thread(target=post, args=(n,)) for n in range(50)]
        for thread in threads:
            thread.start()
        _wait_for(lambda: receiver.faults.pending() == [])  # all 50 are in the receiver
        started = time.monotonic()
        receiver.stop()
        stopped_in = time.monotonic() - started
        for thread in threads:
            thread.join(10)
        assert codes == {n: 201 for n in range(50)}
        assert stopped_in < 5
        assert sorted(_stored_values(receiver.store)) == list(range(50))


def test_a_stop_during_a_load_loses_no_answered_request(tmp_path):
    with live_receiver(tmp_path / "r.sqlite3") as (receiver, _):
        thread, stop, results = _load_in_thread(receiver.url, 30)
        _wait_for(lambda: receiver.store.count() > 200)
        receiver.stop()
        stop.set()
        thread.join(30)
        answered = sorted(n for n, status in results if status == 201)
        assert len(answered) > 200
        assert [status for _, status in results if status != 201] == []  # no request left unanswered
        assert sorted(_stored_values(receiver.store)) == answered


def _serve(db: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "dacc_gui", "serve", "--port", "0", "--db", str(db)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    first = proc.stderr.readline()
    found = re.search(r"http://127\.0\.0\.1:\d+", first)
    if not found:
        proc.kill()
        raise AssertionError(f"serve did not start: {first}{proc.stderr.read()}")
    return proc, found.group(0)


def test_every_201_survives_kill_9_of_serve_during_a_load(tmp_path):
    db = tmp_path / "r.sqlite3"
    proc, url = _serve(db)
    try:
        thread, stop, results = _load_in_thread(url, 30)
        _wait_for(lambda: sum(1 for _, s in list(results) if s == 201) > 300)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        stop.set()
        thread.join(30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    answered = {n for n, status in results if status == 201}
    assert len(answered) > 300
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()
    store = Store(db)  # opens again after the crash
    try:
        stored = set(_stored_values(store))
    finally:
        store.close()
    assert answered <= stored  # every acknowledged measure; some stored ones the client never heard of
    assert len(stored - answered) <= 30  # at most one in flight per client


def test_ctrl_c_of_serve_during_a_load_answers_and_records_what_is_in_flight(tmp_path):
    db = tmp_path / "r.sqlite3"
    proc, url = _serve(db)
    try:
        thread, stop, results = _load_in_thread(url, 30)
        _wait_for(lambda: sum(1 for _, s in list(results) if s == 201) > 300)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        stop.set()
        thread.join(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err and "stopped" in err
    answered = sorted(n for n, status in results if status == 201)
    assert [status for _, status in results if status != 201] == []
    store = Store(db)
    try:
        assert sorted(_stored_values(store)) == answered
    finally:
        store.close()
