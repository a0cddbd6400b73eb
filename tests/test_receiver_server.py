"""The receiver as a server: port in use, faults, and the headless ``serve`` command."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from tests.receiver_support import live_receiver, measure, wrapped

from dacc_gui.cli.main import main
from dacc_gui.receiver import FaultError, PortInUseError, Receiver

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def taken_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    yield sock.getsockname()[1]
    sock.close()


def test_starting_on_a_port_in_use_raises_a_clear_error(taken_port):
    receiver = Receiver(None, port=taken_port)
    try:
        with pytest.raises(PortInUseError, match=f"port {taken_port} on 127.0.0.1 is already in use"):
            receiver.start()
        assert not receiver.running
    finally:
        receiver.close()


def test_serve_exits_2_with_a_message_when_the_port_is_taken(taken_port, capsys):
    assert main(["serve", "--memory", "--port", str(taken_port)]) == 2
    err = capsys.readouterr().err
    assert "already in use" in err and "Traceback" not in err


def test_restart_onto_a_taken_port_fails_clearly_then_works_elsewhere(taken_port):
    with live_receiver() as (receiver, _):
        with pytest.raises(PortInUseError):
            receiver.restart(port=taken_port)
        assert not receiver.running
        receiver.restart(port=0)
        assert httpx.get(receiver.url + "/status").status_code == 200


# -- faults --------------------------------------------------------------------------
def test_injected_500_answers_the_next_n_requests_then_stops():
    with live_receiver() as (receiver, client):
        response = client.post("/_receiver/faults", json={"kind": "500", "count": 2})
        assert response.status_code == 201
        assert response.json()["pending"] == [{"kind": "500", "remaining": 2, "delay": 0.0}]
        codes = [client.post("/measure", json=measure()).status_code for _ in range(3)]
        assert codes == [500, 500, 201]
        records = receiver.store.records()
        assert [r.fault for r in records] == ["500", "500", None]
        assert records[0].error.startswith("injected fault")
        # a faulted measure was not accepted: the third is not a duplicate
        assert records[2].warnings == []
        assert client.get("/_receiver/faults").json() == {"pending": []}


def test_injected_401_is_the_dacc_html_page():
    with live_receiver() as (receiver, client):
        receiver.faults.inject("401", 1)
        response = client.post("/", json=wrapped(measure()))
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("text/html")
        assert response.text == "Unauthorized Access"
        assert receiver.store.records()[-1].status == 401


def test_injected_delay_still_answers_normally_and_is_recorded():
    with live_receiver() as (receiver, client):
        client.post("/_receiver/faults", json={"kind": "delay", "count": 1, "delay": 0.05})
        assert client.post("/measure", json=measure()).status_code == 201
        assert receiver.store.records()[-1].fault == "delay"


def test_faults_spare_the_control_api():
    with live_receiver() as (receiver, client):
        receiver.faults.inject(500, 1)
        assert client.get("/_receiver/summary").status_code == 200
        assert client.get("/status").status_code == 500
        assert client.get("/status").status_code == 200


@pytest.mark.parametrize(
    "body",
    [{"kind": "404"}, {"kind": "500", "count": 0}, {"kind": "delay", "delay": -1}, {"count": 1}, [1]],
)
def test_bad_fault_requests_are_400(body):
    with live_receiver() as (receiver, client):
        response = client.post("/_receiver/faults", json=body)
        assert response.status_code == 400 and "error" in response.json()
        assert receiver.faults.pending() == []


def test_faults_can_be_cleared_and_given_in_the_query_string():
    with live_receiver() as (receiver, client):
        assert client.post("/_receiver/faults", params={"kind": "500", "count": "3"}).status_code == 201
        assert client.delete("/_receiver/faults").json() == {"ok": True, "cleared": 3}
        with pytest.raises(FaultError):
            receiver.faults.inject("teapot", 1)


# -- the headless command ----------------------------------------------------------------
def _start_serve(*args: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dacc_gui", "serve", "--port", "0", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    first = proc.stderr.readline()
    found = re.search(r"http://127\.0\.0\.1:\d+", first)
    if not found:
        proc.kill()
        raise AssertionError(f"serve did not start: {first}{proc.stderr.read()}")
    return proc, found.group(0)


def test_serve_logs_one_line_per_request_and_stops_cleanly_on_sigterm(tmp_path):
    db = tmp_path / "serve.sqlite3"
    proc, url = _start_serve("--db", str(db))
    try:
        assert httpx.post(url + "/measure", json=measure()).status_code == 201
        assert httpx.post(url + "/", json=wrapped(measure(value=None))).status_code == 500
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert lines[0] == "201 connection-count-daily 2021-12-08 device=mobile value=1"
    assert lines[1].startswith("500 float() argument must be a string or a number, not 'NoneType'")
    assert "float(value)" in lines[1]  # why production answers so
    assert "stopped" in err and "Traceback" not in err
    # what it acknowledged is in the file
    receiver = Receiver(db, port=0)
    try:
        assert receiver.store.summary()["total"] == 2
    finally:
        receiver.close()


def test_serve_stops_on_ctrl_c():
    proc, url = _start_serve("--memory")
    try:
        assert httpx.get(url + "/status").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "Traceback" not in err


def test_serve_refuses_db_and_memory_together(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["serve", "--memory", "--db", "x.sqlite3"])
    assert exc.value.code == 2


def test_serve_reports_an_unusable_database(tmp_path, capsys):
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"not a database" * 200)
    assert main(["serve", "--db", str(bad), "--port", "0"]) == 2
    assert "receiver database" in capsys.readouterr().err


def test_serve_clear_errors_answers_400_where_production_answers_500():
    proc, url = _start_serve("--memory", "--clear-errors")
    try:
        response = httpx.post(url + "/", json=wrapped(measure(value=None)))
        assert response.status_code == 400 and response.json()["production"]["status"] == 500
        assert httpx.post(url + "/measure", json=measure(value=True)).status_code == 422
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert "1 not stored by production" in err
