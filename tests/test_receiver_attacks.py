"""What an attack on the receiver found, each case replayed against a live server.

Odd bodies (lone surrogates, deep nesting) never touch other requests' records;
every request that reaches the app is recorded with what was really answered;
what the HTTP layer refuses first is counted; an unusable database file is
refused before anything is written to it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tests.receiver_support import (
    file_hash, live_receiver, measure, raw_exchange, raw_request, wait_for_records, wrapped,
)

from dacc_gui.cli.main import main
from dacc_gui.receiver import Receiver, Store, StoreError
from dacc_gui.receiver.app import NOT_DELIVERED, UNFINISHED

ROOT = Path(__file__).resolve().parent.parent


def _status_line(answer: bytes) -> str:
    return answer.split(b"\r\n", 1)[0].decode()


# -- lone surrogates ---------------------------------------------------------------------
SURROGATE_BODIES = [
    b'{"measureName": "\\ud800"}',  # the JSON escape
    b'{"measureName": "\xed\xa0\x80"}',  # the raw bytes (Python's parser takes them)
]


@pytest.mark.parametrize("body", SURROGATE_BODIES, ids=["escaped", "raw-bytes"])
def test_a_lone_surrogate_is_answered_recorded_and_exported(body):
    with live_receiver() as (receiver, client):
        response = client.post("/measure", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 400
        assert response.json() == {"error": "No measure definition found for: \ud800"}
        record = receiver.store.records()[-1]
        assert record.status == 400 and record.body == body
        assert record.measure == {"measureName": "\ud800"}  # read back as it was parsed
        exported = client.get("/_receiver/export")
        assert exported.status_code == 200
        assert exported.json()["records"][-1]["measure"] == {"measureName": "\ud800"}
        wrapped_body = json.dumps({"data": body.decode("utf-8", "surrogatepass")}).encode()
        assert client.post("/", content=wrapped_body, headers={"content-type": "application/json"}).status_code == 400


def test_lone_surrogates_among_many_senders_spoil_no_valid_measure():
    """2 senders of surrogates among 20 senders of valid measures: every valid one is stored."""
    with live_receiver() as (receiver, _):
        valid = [measure(value=n, startDate=f"2021-12-{1 + n % 28:02d}", group1={"device": f"d{n}"})
                 for n in range(400)]

        async def send_all() -> tuple[list[int], list[int]]:
            async with httpx.AsyncClient(base_url=receiver.url, timeout=20) as client:
                async def good(k: int) -> list[int]:
                    return [(await client.post("/measure", json=m)).status_code for m in valid[k::20]]

                async def bad(k: int) -> list[int]:
                    codes = []
                    for _ in range(20):
                        r = await client.post("/measure", content=SURROGATE_BODIES[k],
                                              headers={"content-type": "application/json"})
                        codes.append(r.status_code)
                    return codes

                results = await asyncio.gather(*(good(k) for k in range(20)), bad(0), bad(1))
            return [c for r in results[:20] for c in r], [c for r in results[20:] for c in r]

        good_codes, bad_codes = asyncio.run(send_all())
        assert good_codes == [201] * 400
        assert bad_codes == [400] * 40
        summary = receiver.store.summary()
        assert summary["accepted"] == 400 and summary["total"] == 440
        # resent, the valid ones are duplicates of what was stored, and only that
        again = httpx.post(receiver.url + "/measure", json=valid[0])
        assert again.status_code == 201
        assert receiver.store.records()[-1].warnings[-1].startswith("duplicate")


def test_serve_logs_a_lone_surrogate_without_a_traceback():
    proc = subprocess.Popen(
        [sys.executable, "-m", "dacc_gui", "serve", "--memory", "--port", "0"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+", proc.stderr.readline()).group(0)
        answer = httpx.post(url + "/measure", content=SURROGATE_BODIES[0], headers={"content-type": "application/json"})
        assert answer.status_code == 400
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert out.splitlines()[0].startswith("400 No measure definition found for: \\ud800")
    assert "Traceback" not in err


# -- deep nesting ------------------------------------------------------------------------------
@pytest.mark.parametrize("depth", [500, 900])
def test_a_deeply_nested_body_does_not_break_the_export_or_the_list(depth):
    with live_receiver() as (receiver, client):
        nested = "[" * depth + "]" * depth
        body = ('{"measureName": "connection-count-daily", "value": ' + nested + "}").encode()
        response = client.post("/measure", content=body, headers={"content-type": "application/json"})
        assert response.status_code in (400, 500)
        client.post("/measure", json=measure())
        for path in ("/_receiver/export", "/_receiver/measures"):
            answer = client.get(path)
            assert answer.status_code == 200, answer.text[:200]
            records = answer.json()["records"]
            assert len(records) == 2
        value = receiver.store.records()[0].measure["value"]
        levels = 0
        while value:
            value, levels = value[0], levels + 1
        assert levels == depth - 1  # the innermost list is empty
        # and it keeps working afterwards (it used to fail until a reset)
        assert client.get("/_receiver/measures").status_code == 200


# -- records agree with answers ------------------------------------------------------------
def test_a_body_uvicorn_cannot_parse_is_recorded_as_its_400_not_as_a_500():
    with live_receiver() as (receiver, _):
        head = (f"POST /measure HTTP/1.1\r\nHost: 127.0.0.1:{receiver.port}\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
        answer = raw_exchange(receiver.port, head + b"zz\r\n{}\r\n")
        assert _status_line(answer) == "HTTP/1.1 400 Bad Request"
        [record] = wait_for_records(receiver.store, 1)
        assert record.status == 400
        assert "by the HTTP layer" in record.error and "ClientDisconnect" not in record.error


def test_a_client_leaving_mid_body_is_recorded_as_unanswered():
    with live_receiver() as (receiver, _):
        data = raw_request(receiver.port, body=json.dumps(measure()).encode())
        sock = socket.create_connection(("127.0.0.1", receiver.port))
        sock.sendall(data[:-10])
        time.sleep(0.2)
        sock.close()
        [record] = wait_for_records(receiver.store, 1)
        assert record.status == 0 and record.error == UNFINISHED
        assert record.body == data[data.index(b"\r\n\r\n") + 4:-10]  # what did arrive
        assert receiver.store.summary()["accepted"] == 0


def test_options_star_is_recorded():
    with live_receiver() as (receiver, _):
        answer = raw_exchange(receiver.port, f"OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1:{receiver.port}\r\n"
                                             "Connection: close\r\n\r\n".encode())
        assert _status_line(answer) == "HTTP/1.1 404 Not Found"
        receiver.store.flush()
        [record] = receiver.store.records()
        assert (record.method, record.path, record.status) == ("OPTIONS", "*", 404)


def test_a_complete_post_whose_client_half_closed_is_answered_as_recorded():
    with live_receiver() as (receiver, _):
        data = raw_request(receiver.port, body=json.dumps(measure()).encode())
        answer = raw_exchange(receiver.port, data, half_close=True)
        assert _status_line(answer) == "HTTP/1.1 201 Created"
        assert answer.endswith(b'{"ok": true}')
        receiver.store.flush()
        [record] = receiver.store.records()
        assert record.status == 201 and record.error is None


def test_an_answer_the_client_never_got_is_noted_in_its_record():
    with live_receiver() as (receiver, _):
        receiver.faults.inject("delay", 1, delay=0.5)
        sock = socket.create_connection(("127.0.0.1", receiver.port))
        sock.sendall(raw_request(receiver.port, body=json.dumps(measure()).encode()))
        time.sleep(0.1)  # the request is in the app, waiting out its delay
        # A reset, not a close: after a close (FIN) the client may still read, and is answered.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        [record] = wait_for_records(receiver.store, 1)
        assert record.status == 201  # stored, as production stores before answering
        assert NOT_DELIVERED in record.error


def test_a_stalled_body_gets_408_and_is_recorded():
    with live_receiver(read_timeout=0.4) as (receiver, _):
        data = raw_request(receiver.port, body=json.dumps(measure()).encode())
        started = time.monotonic()
        answer = raw_exchange(receiver.port, data[:-5], timeout=5)
        assert time.monotonic() - started < 3
        assert _status_line(answer) == "HTTP/1.1 408 Request Timeout"
        [record] = wait_for_records(receiver.store, 1)
        assert record.status == 408 and "did not arrive within 0.4 s" in record.error


def test_what_the_http_layer_refuses_first_is_counted_in_the_summary(tmp_path):
    db = tmp_path / "r.sqlite3"
    with live_receiver(db, read_timeout=0.4) as (receiver, client):
        heard = []
        receiver.add_refusal_listener(lambda status, reason: heard.append(status))
        assert _status_line(raw_exchange(receiver.port, b"GARBAGE\r\n\r\n")) == "HTTP/1.1 400 Bad Request"
        stalled = raw_exchange(receiver.port, b"POST /measure HTTP/1.1\r\nHost: 127", timeout=5)
        assert _status_line(stalled) == "HTTP/1.1 408 Request Timeout"
        receiver.store.flush()
        summary = client.get("/_receiver/summary").json()
        assert summary["httpRefused"] == 2 and summary["requests"] == 0
        assert set(summary["httpRefusedWhy"]) == {
            "400 Invalid HTTP request received.", "408 the request's headers did not arrive within 0.4 s",
        }
        assert heard == [400, 408]
    with live_receiver(db) as (receiver, client):  # kept with the records
        assert client.get("/_receiver/summary").json()["httpRefused"] == 2
        client.post("/_receiver/reset")
        assert client.get("/_receiver/summary").json()["httpRefused"] == 0


def _refuse_inserts(db, when: str) -> None:
    """Make SQLite refuse some inserts, as a full disk or a broken file would."""
    conn = sqlite3.connect(db)
    conn.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON records WHEN {when} "
                 "BEGIN SELECT RAISE(ABORT, 'disk I/O error (simulated)'); END")
    conn.commit()
    conn.close()


def test_a_request_the_store_could_not_keep_is_recorded_as_the_503_it_got(tmp_path):
    db = tmp_path / "r.sqlite3"
    with live_receiver(db) as (receiver, client):
        _refuse_inserts(db, "NEW.status = 201")
        response = client.post("/measure", json=measure())
        assert response.status_code == 503
        assert "disk I/O error (simulated)" in response.json()["error"]
        [record] = receiver.store.records()
        assert record.status == 503 and record.response == response.text
        assert receiver.store.summary()["accepted"] == 0
        # the measure was not stored: sent again once the store works, it is no duplicate
        sqlite3.connect(db).execute("DROP TRIGGER refuse").connection.commit()
        again = client.post("/measure", json=measure())
        assert again.status_code == 201
        assert receiver.store.records()[-1].warnings == []


# -- database files refused before anything is written ------------------------------------
def _receiver_db(path) -> None:
    with live_receiver(path) as (_, client):
        for n in range(300):
            client.post("/measure", json=measure(value=n, group1={"device": f"device-{n}" * 5}))


def _garbage_in_the_middle(path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 3000] = bytes((n * 37 + 11) % 256 for n in range(3000))
    path.write_bytes(bytes(data))


def _newer_schema(path) -> None:
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()


def _foreign(path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (x)")
    conn.execute("INSERT INTO notes VALUES (1)")
    conn.commit()
    conn.close()


def _not_sqlite(path) -> None:
    path.write_bytes(b"this is not sqlite at all\n" * 200)


@pytest.mark.parametrize("spoil, message", [
    (lambda p: (_receiver_db(p), _garbage_in_the_middle(p)), "is damaged"),
    (_newer_schema, "written by a newer dacc-gui"),
    (_foreign, "not a receiver database"),
    (_not_sqlite, "not a receiver database"),
], ids=["garbage-in-the-middle", "newer-schema", "foreign-sqlite", "not-sqlite"])
def test_an_unusable_database_file_is_refused_and_left_untouched(tmp_path, capsys, spoil, message):
    db = tmp_path / "spoilt.sqlite3"
    spoil(db)
    before, files = file_hash(db), sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(StoreError, match=message) as refused:
        Store(db)
    assert file_hash(db) == before
    assert "left untouched" in str(refused.value)
    assert main(["serve", "--db", str(db), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "DatabaseError" not in err
    with pytest.raises(StoreError):
        Receiver(db, port=0)
    assert file_hash(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files  # no -wal or -shm made beside it


def test_a_good_database_still_opens_after_the_checks(tmp_path):
    db = tmp_path / "good.sqlite3"
    _receiver_db(db)
    with live_receiver(db) as (receiver, client):
        assert client.get("/_receiver/summary").json()["total"] == 300
        assert client.post("/", json=wrapped(measure(value=999))).status_code == 201


def test_with_a_token_the_authorization_value_reaches_the_app_as_sent():
    """uvicorn strips trailing whitespace from header values; the real DACC refuses "Bearer <token> "."""
    from dacc_gui.receiver.httplayer import RAW_AUTHORIZATION

    seen = []
    with live_receiver(token="tok") as (receiver, _):
        app = receiver.http.app

        async def spy(scope, receive, send):
            seen.append(scope.get(RAW_AUTHORIZATION))
            await app(scope, receive, send)

        receiver.http.app = spy
        receiver.restart(port=0)
        raw_exchange(receiver.port, f"GET /status HTTP/1.1\r\nHost: 127.0.0.1:{receiver.port}\r\n"
                                    "Authorization: Bearer tok \r\nConnection: close\r\n\r\n".encode())
    assert seen == [b"Bearer tok "]
