"""The live receiver answers every row of the spec as production does, on the three body
shapes; with clear errors, production's 500s and silent 201s fail loudly instead."""

from __future__ import annotations

import json
import socket

import httpx
import pytest
from tests.dacc_spec_cases import CASES, JSON, LARGE, Case, measure
from tests.receiver_support import live_receiver

STACK_502 = {"status": "502", "title": "Bad Gateway",
             "detail": "the content-type for the response is not authorized", "source": {}}

# (path, how the measure's text is carried): the three shapes, on / and on /remote.
SHAPES = {
    "raw /measure": ("/measure", None),
    "data on /": ("/", lambda s: {"data": s}),
    "path+data on /": ("/", lambda s: {"path": "measure", "data": s}),
    "data on /remote": ("/remote/cc.cozycloud.dacc.dev", lambda s: {"data": s}),
    "path+data on /remote v2": ("/remote/cc.cozycloud.dacc_v2", lambda s: {"path": "measure", "data": s}),
}
RUNS = [(c, shape) for c in CASES if c.id != LARGE for shape in SHAPES if shape == "raw /measure" or c.wrappable]


def post(client: httpx.Client, shape: str, case: Case, headers: dict | None = None) -> httpx.Response:
    path, wrap = SHAPES[shape]
    headers = dict(headers or {})
    if any(v != v.rstrip() for v in headers.values()):  # httpx refuses to send a trailing space
        body = case.raw if wrap is None else json.dumps(wrap(case.body)).encode()
        return raw_post(client, path, {"content-type": JSON, **headers}, body)
    if wrap is None:
        if case.content_type:
            headers["content-type"] = case.content_type
        return client.post(path, content=case.raw, headers=headers)
    return client.post(path, json=wrap(case.body), headers=headers)


def raw_post(client: httpx.Client, path: str, headers: dict, body: bytes) -> httpx.Response:
    """A POST written on the socket, header values byte for byte."""
    url = httpx.URL(str(client.base_url))
    lines = [f"POST {path} HTTP/1.1", f"Host: {url.host}:{url.port}", f"Content-Length: {len(body)}",
             "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
    with socket.create_connection((url.host, url.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, content = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    fields = [tuple(h.split(": ", 1)) for h in header_lines]
    return httpx.Response(int(status_line.split()[1]), headers=fields, content=content)


@pytest.fixture(scope="module")
def served(module_db):
    with live_receiver(module_db) as pair:
        yield pair


def last(receiver):
    return receiver.store.records()[-1]


@pytest.mark.parametrize("case,shape", RUNS, ids=[f"{c.id} | {s}" for c, s in RUNS])
def test_production_answers_by_default(served, case, shape):
    receiver, client = served
    response = post(client, shape, case)
    assert response.status_code == case.status
    assert response.headers["content-type"] == "application/json"
    if case.status == 201:
        assert response.json() == {"ok": True}
    elif case.prefix:
        assert response.json()["error"].startswith(case.error)
    else:
        assert response.json() == {"error": case.error}
    record = last(receiver)
    assert (record.status, record.production_status, record.mode) == (case.status, case.status, "production")
    assert json.loads(record.production_response) == response.json()
    assert record.stored is bool(case.stored)
    assert record.not_stored_reason == case.reason
    if not case.stored:  # what was wrong, in words
        assert record.production_note


@pytest.mark.parametrize("case,shape", RUNS, ids=[f"{c.id} | {s}" for c, s in RUNS])
def test_clear_errors_fail_loudly_and_keep_productions_answer(clear, case, shape):
    receiver, client = clear
    response = post(client, shape, case)
    record = last(receiver)
    if case.status == 500:
        assert response.status_code == 400
        assert response.json()["production"] == {"status": 500, "error": record.production_response and json.loads(record.production_response)["error"]}
        assert response.json()["error"] == record.production_note
    elif case.status == 201 and not case.stored:
        assert response.status_code == 422
        assert response.json()["error"].startswith("production would answer 201 but store nothing: ")
        assert response.json()["production"] == {"status": 201, "ok": True, "stored": False}
    else:  # production's 400s and stored 201s are already clear
        assert response.status_code == case.status
    assert (record.production_status, record.mode, record.stored) == (case.status, "clear-errors", bool(case.stored))


@pytest.fixture(scope="module")
def clear():
    with live_receiver(clear_errors=True) as pair:
        yield pair


def test_a_body_over_the_limit_is_refused_and_says_production_would_take_it(served):
    receiver, client = served
    case = next(c for c in CASES if c.id == LARGE)
    response = client.post("/measure", content=case.raw, headers={"content-type": JSON})
    assert response.status_code == 413
    assert "production has no size limit" in response.json()["error"]
    assert "would have read" in last(receiver).production_note


# -- the token, exactly -----------------------------------------------------------
BAD_AUTH = {
    "no token": {},
    "unknown token": {"Authorization": "Bearer nope"},
    "another scheme": {"Authorization": "Basic s3cret"},
    "trailing space": {"Authorization": "Bearer s3cret "},
}


@pytest.fixture(scope="module")
def guarded():
    with live_receiver(token="s3cret") as pair:
        yield pair


@pytest.mark.parametrize("auth", BAD_AUTH)
@pytest.mark.parametrize("shape", SHAPES)
def test_a_wrong_token_is_the_401_page_and_the_stacks_502_on_remote(guarded, shape, auth):
    receiver, client = guarded
    good = next(c for c in CASES if c.id == "valid measure")
    response = post(client, shape, good, BAD_AUTH[auth])
    record = last(receiver)
    if SHAPES[shape][0].startswith("/remote/"):
        assert (response.status_code, response.json()) == (502, STACK_502)
        assert record.production_status == 502 and "HTML" in record.production_note
    else:
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("text/html")
        assert response.text == "Unauthorized Access"
        assert record.production_status == 401
    assert record.stored is None and receiver.store.summary()["stored"] == 0


@pytest.mark.parametrize("shape", SHAPES)
def test_the_exact_token_is_accepted(guarded, shape):
    _, client = guarded
    good = next(c for c in CASES if c.id == "valid measure")
    assert post(client, shape, good, {"Authorization": "Bearer s3cret"}).status_code == 201


# -- what production did not store, said everywhere ---------------------------------------
def test_summary_and_export_count_what_production_would_not_store():
    with live_receiver() as (receiver, client):
        for changes in ({}, {"value": True}, {"value": False}, {"startDate": "2022"}, {"value": "x"}):
            client.post("/measure", json=measure(**changes))
        summary = client.get("/_receiver/summary").json()
        assert (summary["total"], summary["accepted"], summary["rejected"], summary["stored"]) == (5, 4, 1, 1)
        assert summary["notStoredByProduction"] == 3
        assert summary["notStoredReasons"] == {"value is a boolean": 2, "startDate is no PostgreSQL timestamp": 1}
        assert summary["mode"] == "production"
        export = client.get("/_receiver/export").json()
        assert export["summary"]["notStoredByProduction"] == 3
        assert [r["stored"] for r in export["records"]] == [True, False, False, False, False]
        assert export["records"][1]["notStoredReason"] == "value is a boolean"
        dropped = client.get("/_receiver/measures", params={"status": "not-stored"}).json()
        assert dropped["count"] == 3
        assert "NOT STORED by production" in receiver.store.records()[1].log_line()


def test_the_mode_switches_through_the_control_api_and_in_process():
    with live_receiver() as (receiver, client):
        bad = measure(value=True)
        assert client.post("/measure", json=bad).status_code == 201
        response = client.post("/_receiver/mode", json={"clearErrors": True})
        assert response.json()["mode"] == "clear-errors" and receiver.clear_errors
        assert client.post("/measure", json=bad).status_code == 422
        assert client.get("/_receiver/mode").json()["clearErrors"] is True
        receiver.clear_errors = False
        assert client.post("/measure", json=bad).status_code == 201
        assert client.post("/_receiver/mode", json={"clearErrors": "maybe"}).status_code == 400
        assert [r.mode for r in receiver.store.records()] == ["production", "clear-errors", "production"]


def test_a_lint_says_production_rounds_a_value_with_more_decimals(served):
    receiver, client = served
    assert client.post("/measure", json=measure(value=2.675, startDate="2021-12-09")).status_code == 201
    assert any("production stores 2.68" in w for w in last(receiver).warnings)
