"""Who may use the receiver: the control API's token, the Host check on loopback,
cross-origin requests, no CORS, and where ``serve`` takes its token from."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest
from tests.receiver_support import live_receiver, measure

from dacc_gui.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "s3cret-token"

# Every control route, with a request that changes something where the route can.
CONTROL = [
    ("GET", "/_receiver/summary", None),
    ("GET", "/_receiver/measures", None),
    ("GET", "/_receiver/export", None),
    ("POST", "/_receiver/reset", None),
    ("GET", "/_receiver/faults", None),
    ("POST", "/_receiver/faults", {"kind": "500", "count": 3}),
    ("DELETE", "/_receiver/faults", None),
    ("GET", "/_receiver/no-such-route", None),
]


def _call(client: httpx.Client, method: str, path: str, body, **headers) -> httpx.Response:
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize("method, path, body", CONTROL)
def test_with_a_token_every_control_route_needs_it(method, path, body):
    with live_receiver(token=TOKEN) as (receiver, client):
        receiver.store.add_listener(lambda r: None)
        client.post("/measure", json=measure(), headers={"Authorization": f"Bearer {TOKEN}"})
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {TOKEN}x"},
                        {"Authorization": f"Basic {TOKEN}"}, {"Authorization": TOKEN}):
            refused = _call(client, method, path, body, **headers)
            assert refused.status_code == 401, (headers, refused.text)
            assert "needs the receiver's token" in refused.json()["error"]
            assert refused.headers["www-authenticate"].startswith("Bearer")
        # nothing happened: the record is there, no fault waits
        assert receiver.store.count() == 1 and receiver.faults.pending() == []
        allowed = _call(client, method, path, body, Authorization=f"Bearer {TOKEN}")
        assert allowed.status_code in (200, 201, 404), allowed.text


def test_with_the_token_the_control_api_works_and_a_wrong_one_resets_nothing():
    with live_receiver(token=TOKEN) as (receiver, client):
        auth = {"Authorization": f"Bearer {TOKEN}"}
        for _ in range(7):
            client.post("/measure", json=measure(), headers=auth)
        assert client.post("/_receiver/reset", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert client.get("/_receiver/summary", headers=auth).json()["total"] == 7
        assert client.post("/_receiver/faults", json={"kind": "500"}).status_code == 401
        assert client.post("/measure", json=measure(value=2), headers=auth).status_code == 201
        assert client.post("/_receiver/reset", headers=auth).json() == {"ok": True, "removed": 8}


def test_without_a_token_the_control_api_answers_local_scripts():
    with live_receiver() as (receiver, client):
        client.post("/measure", json=measure())
        assert client.get("/_receiver/summary").json()["total"] == 1
        assert client.post("/_receiver/faults", json={"kind": "delay", "delay": 0.1}).status_code == 201
        assert client.post("/_receiver/reset").json()["removed"] == 1


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "LOCALHOST:{port}"])
def test_loopback_names_with_the_port_are_accepted(host):
    with live_receiver() as (receiver, client):
        headers = {"Host": host.format(port=receiver.port)}
        assert client.get("/_receiver/summary", headers=headers).status_code == 200
        assert client.post("/measure", json=measure(), headers=headers).status_code == 201


@pytest.mark.parametrize("host", ["evil.example:{port}", "evil.example", "127.0.0.1:1", "127.0.0.1",
                                  "localhost.evil.example:{port}", "192.168.1.10:{port}"])
def test_a_foreign_host_is_refused_on_loopback(host):
    """A page that made its name resolve to 127.0.0.1 (DNS rebinding) reads nothing and resets nothing."""
    with live_receiver() as (receiver, client):
        client.post("/measure", json=measure())
        headers = {"Host": host.format(port=receiver.port)}
        for method, path in (("GET", "/_receiver/export"), ("POST", "/_receiver/reset"), ("GET", "/status")):
            refused = client.request(method, path, headers=headers)
            assert refused.status_code == 421, (method, path)
            assert "DNS rebinding" in refused.json()["error"]
        posted = client.post("/measure", json=measure(value=2), headers=headers)
        assert posted.status_code == 421
        assert receiver.store.summary()["total"] == 1  # the refused post is no measure
        last = receiver.store.records()[-1]
        assert last.status == 421 and last.kind == "other"  # but it is recorded


def test_the_configured_host_name_is_accepted():
    with live_receiver(host="localhost") as (receiver, client):
        assert client.get("/_receiver/summary").status_code == 200


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example", "Content-Type": "text/plain"},
    {"Origin": "null", "Content-Type": "text/plain"},
    {"Origin": "http://127.0.0.1:1", "Content-Type": "text/plain"},
    {"Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"},
])
def test_a_cross_origin_simple_post_cannot_reset_or_inject(headers):
    with live_receiver() as (receiver, client):
        client.post("/measure", json=measure())
        reset = client.post("/_receiver/reset", content=b"{}", headers=headers)
        assert reset.status_code == 403 and "cross-origin" in reset.json()["error"]
        fault = client.post("/_receiver/faults", content=b'{"kind": "500", "count": 3}', headers=headers)
        assert fault.status_code == 403
        assert receiver.store.count() == 1 and receiver.faults.pending() == []


def test_a_form_or_text_body_is_refused_by_the_control_api_even_without_origin():
    with live_receiver() as (receiver, client):
        client.post("/measure", json=measure())
        for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
            answer = client.post("/_receiver/faults", content=b'{"kind": "500"}', headers={"Content-Type": kind})
            assert answer.status_code == 415, kind
        assert receiver.faults.pending() == []


def test_the_receivers_own_origin_may_use_the_control_api():
    with live_receiver() as (receiver, client):
        answer = client.post("/_receiver/faults", json={"kind": "500"},
                             headers={"Origin": f"http://127.0.0.1:{receiver.port}"})
        assert answer.status_code == 201


def test_no_answer_carries_cors_headers():
    with live_receiver() as (receiver, client):
        origin = {"Origin": "http://evil.example"}
        preflight = client.options("/_receiver/reset", headers={
            **origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type",
        })
        answers = [
            preflight,
            client.options("/measure", headers={**origin, "Access-Control-Request-Method": "POST"}),
            client.post("/measure", json=measure(), headers=origin),
            client.get("/status", headers=origin),
            client.get("/_receiver/summary"),
        ]
        for answer in answers:
            assert not [h for h in answer.headers if h.lower().startswith("access-control-")], answer.headers
        assert preflight.status_code == 403


# -- where serve takes its token ------------------------------------------------------------
def _serve(*args: str, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "dacc_gui", "serve", "--memory", "--port", "0", *args],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    first = proc.stderr.readline()
    found = re.search(r"http://127\.0\.0\.1:\d+", first)
    if not found:
        proc.kill()
        raise AssertionError(f"serve did not start: {first}{proc.stderr.read()}")
    return proc, found.group(0)


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=20)


@pytest.mark.parametrize("how", ["file", "environment"])
def test_serve_takes_the_token_from_a_file_or_the_environment_and_ps_does_not_show_it(tmp_path, how):
    if how == "file":
        token_file = tmp_path / "token"
        token_file.write_text(TOKEN + "\n")
        proc, url = _serve("--token-file", str(token_file))
    else:
        proc, url = _serve(env={"DACC_GUI_RECEIVER_TOKEN": TOKEN})
    try:
        assert not any(TOKEN in part for part in psutil.Process(proc.pid).cmdline())
        assert httpx.get(url + "/_receiver/summary").status_code == 401
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert httpx.get(url + "/_receiver/summary", headers=auth).status_code == 200
        assert httpx.post(url + "/measure", json=measure(), headers=auth).status_code == 201
        assert httpx.post(url + "/measure", json=measure()).status_code == 401  # as the real DACC
    finally:
        _stop(proc)


def test_serve_says_why_a_token_file_cannot_be_used(tmp_path, capsys):
    assert main(["serve", "--memory", "--port", "0", "--token-file", str(tmp_path / "missing")]) == 2
    assert "cannot read it" in capsys.readouterr().err
    (tmp_path / "empty").write_text("\n")
    assert main(["serve", "--memory", "--port", "0", "--token-file", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert "the file is empty" in err and "Traceback" not in err
