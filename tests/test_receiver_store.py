"""What the receiver keeps: persistence across restarts, reset, cap, schema guard,
the control API's views of it, and the in-process events."""

from __future__ import annotations

import sqlite3
import threading
import time

import httpx
import pytest
from tests.receiver_support import live_receiver, measure, wrapped

from dacc_gui.receiver import Receiver, Store, StoreError
from dacc_gui.receiver.backends import open_store
from dacc_gui.receiver.records import Record, now_iso
from dacc_gui.receiver.store import SCHEMA_VERSION


def test_records_survive_a_restart_of_the_receiver(tmp_path):
    db = tmp_path / "r.sqlite3"
    with live_receiver(db) as (receiver, client):
        client.post("/measure", json=measure())
        client.post("/measure", json=measure(value="x"))
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with live_receiver(db) as (receiver, client):
        summary = client.get("/_receiver/summary").json()
        assert {k: summary[k] for k in ("total", "accepted", "rejected", "warnings")} == {
            "total": 2, "accepted": 1, "rejected": 1, "warnings": 0,
        }
        # the duplicate keys came back too: the same measure is flagged
        client.post("/measure", json=measure())
        assert receiver.store.records()[-1].warnings[0].startswith("duplicate")


def test_stop_and_start_again_on_another_port_keeps_everything():
    with live_receiver() as (receiver, client):
        client.post("/measure", json=measure())
        old_port = receiver.port
        receiver.restart(port=0)
        assert receiver.running and receiver.port != old_port
        response = httpx.post(receiver.url + "/measure", json=measure(value=2))
        assert response.status_code == 201
        assert receiver.store.summary()["accepted"] == 2
        receiver.stop()
        assert not receiver.running
        with pytest.raises(httpx.ConnectError):
            httpx.get(receiver.url + "/status")


def test_reset_empties_records_and_forgets_duplicates(receiver_db):
    with live_receiver(receiver_db) as (receiver, client):
        client.post("/measure", json=measure())
        client.post("/measure", json=measure())
        assert client.post("/_receiver/reset").json() == {"ok": True, "removed": 2}
        assert client.get("/_receiver/summary").json()["total"] == 0
        client.post("/measure", json=measure())
        assert receiver.store.records()[-1].warnings == []


def test_the_cap_drops_the_oldest_and_the_summary_says_so(tmp_path, receiver_db):
    db = receiver_db or tmp_path / "c.sqlite3"
    with live_receiver(db, cap=3) as (receiver, client):
        for value in range(5):
            client.post("/measure", json=measure(value=value))
        kept = receiver.store.records()
        assert [r.measure["value"] for r in kept] == [2, 3, 4]
        summary = client.get("/_receiver/summary").json()
        assert summary["total"] == 3 and summary["dropped"] == 2
        assert "cap of 3 reached" in summary["note"]
    store = open_store(db, cap=3)  # the count of dropped records persists
    assert store.summary()["dropped"] == 2
    store.close()


def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path):
    db = tmp_path / "new.sqlite3"
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer dacc-gui"):
        Store(db)


def test_a_foreign_database_is_refused(tmp_path):
    db = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (x)")
    conn.close()
    with pytest.raises(StoreError, match="not a receiver database"):
        Store(db)
    (tmp_path / "junk.sqlite3").write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError):
        Store(tmp_path / "junk.sqlite3")


def test_listeners_get_each_new_record_after_commit_from_another_thread(receiver_db):
    got: list[tuple[Record, str, int]] = []
    with live_receiver(receiver_db) as (receiver, client):
        def listener(record: Record) -> None:
            # committed already: the store can read it back
            got.append((record, threading.current_thread().name, len(receiver.store.records())))

        receiver.add_listener(listener)
        client.post("/measure", json=measure())
        client.post("/", json=wrapped(measure(value="bad")))
        receiver.store.flush()
        assert [r.status for r, _, _ in got] == [201, 400]
        assert all(r.id is not None for r, _, _ in got)
        assert {name for _, name, _ in got} == {"dacc-receiver-writer"}
        assert [n for _, _, n in got] == [1, 2]
        receiver.remove_listener(listener)
        client.post("/measure", json=measure())
        receiver.store.flush()
        assert len(got) == 2


def test_a_failing_listener_does_not_stop_the_receiver():
    with live_receiver() as (receiver, client):
        receiver.add_listener(lambda record: 1 / 0)
        assert client.post("/measure", json=measure()).status_code == 201
        assert client.post("/measure", json=measure()).status_code == 201


def test_measures_filters_of_the_control_api(receiver_db):
    with live_receiver(receiver_db) as (receiver, client):
        client.post("/measure", json=measure())
        client.post("/measure", json=measure())  # duplicate: a warning
        client.post("/measure", json=measure(measureName="quiz-stars", group1=...))  # rejected
        client.post("/measure", json=measure(startDate="2021-12-09"))
        client.get("/status")
        get = lambda **p: client.get("/_receiver/measures", params=p).json()  # noqa: E731
        assert get()["count"] == 5
        assert get(status="accepted")["count"] == 3
        assert get(status="rejected")["count"] == 1
        assert get(status="warning")["count"] == 1
        assert get(status="400")["records"][0]["measureName"] == "quiz-stars"
        assert get(measureName="quiz-stars")["count"] == 1
        page = get(limit=2, offset=1)["records"]
        assert [r["id"] for r in page] == [r.id for r in receiver.store.records()[1:3]]
        first_id = receiver.store.records()[0].id
        assert get(after=first_id)["count"] == 4
        cut = receiver.store.records()[3].received_at
        assert all(r["receivedAt"] >= cut for r in get(since=cut)["records"])
        assert get(since="2999-01-01T00:00:00Z")["count"] == 0
        assert client.get("/_receiver/measures", params={"status": "weird"}).status_code == 400
        assert client.get("/_receiver/measures", params={"since": "yesterday"}).status_code == 400
        assert client.get("/_receiver/measures", params={"limit": "x"}).status_code == 400


def test_export_has_everything_kept(receiver_db):
    with live_receiver(receiver_db) as (receiver, client):
        client.post("/measure", json=measure(), headers={"Authorization": "Bearer abc"})
        client.post("/measure", content=b"\xff not json")
        export = client.get("/_receiver/export").json()
        assert export["summary"]["total"] == 2
        first, second = export["records"]
        assert first["measure"] == measure() and first["status"] == 201
        assert first["headers"]["authorization"] == "Bearer <redacted>"
        # no Content-Type: production reads no JSON and answers 500 on None
        assert second["status"] == 500 and second["measure"] is None
        assert "not application/json" in second["productionNote"]
        # control requests themselves are not recorded
        assert receiver.store.summary()["requests"] == 2


def test_non_finite_values_are_kept_and_exported_as_valid_json(receiver_db):
    with live_receiver(receiver_db) as (receiver, client):
        response = client.post("/measure", content=b'{"createdBy":"ecolyo","measureName":"quiz-stars",'
                                b'"startDate":"2021-12-08","value":NaN,"group1":{"challenge_id":"C1"},'
                                b'"group2":{"quiz_id":"Q1"}}')
        assert response.status_code == 500  # no Content-Type: nothing read
        response = client.post("/measure", headers={"content-type": "application/json"},
                               content=receiver.store.records()[0].body)
        assert response.status_code == 201  # float(NaN) passes the DACC's check
        export = client.get("/_receiver/export")
        assert export.json()["records"][1]["measure"]["value"] == "nan"
        assert export.json()["records"][1]["stored"] is True  # NUMERIC takes NaN


def test_store_in_process_add_records_and_filters(receiver_db):
    store = open_store(receiver_db)
    try:
        rec = Record(received_at=now_iso(), method="POST", path="/measure", status=201,
                     measure=measure(), has_measure=True)
        store.add(rec)
        assert rec.id is not None
        assert store.records(measure="connection-count-daily")[0].measure == measure()
        assert store.records(kind="query") == []
        assert store.count() == 1
    finally:
        store.close()


def test_default_database_path_is_in_the_user_data_dir(monkeypatch, tmp_path):
    import platformdirs

    from dacc_gui.receiver import default_db_path

    monkeypatch.setattr(platformdirs, "user_data_dir", lambda app: str(tmp_path / app))
    assert default_db_path() == tmp_path / "dacc-gui" / "receiver.sqlite3"
    receiver = Receiver(port=0)
    try:
        assert receiver.db_path == tmp_path / "dacc-gui" / "receiver.sqlite3"
        assert receiver.db_path.exists()
    finally:
        receiver.close()


def test_since_within_a_millisecond_leaves_out_the_record_before_it():
    from dacc_gui.receiver.store import _since_text

    # a record received at .123400 is stored as .123; since .123600 must not take it
    assert _since_text("2026-01-01T10:00:00.123600Z") == "2026-01-01T10:00:00.124Z"
    assert _since_text("2026-01-01T10:00:00.123000Z") == "2026-01-01T10:00:00.123Z"
    assert _since_text("2026-01-01T10:00:00.999500+00:00") == "2026-01-01T10:00:01.000Z"


def test_a_schema_1_database_is_migrated_and_keeps_its_records(tmp_path):
    db = tmp_path / "v1.sqlite3"
    conn = sqlite3.connect(db)
    conn.executescript(_SCHEMA_1 + "PRAGMA user_version = 1;")
    conn.execute(
        "INSERT INTO records (received_at, method, path, kind, headers, body, has_measure, status, response, "
        "warnings, n_warnings, value) VALUES ('2021-12-08T00:00:00.000Z', 'POST', '/measure', 'measure', '{}', "
        "x'', 0, 201, '{}', '[]', 0, 1.0), ('2021-12-08T00:00:01.000Z', 'POST', '/measure', 'measure', '{}', "
        "x'', 0, 201, '{}', '[]', 0, NULL)"
    )
    conn.commit()
    conn.close()
    store = Store(db)
    try:
        assert [r.stored for r in store.records()] == [True, False]  # estimated from the old status and value
        assert store.summary()["stored"] == 1
        assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    finally:
        store.close()


# -- the writer: one record never spoils another, nothing waits forever -----------------
def _record(path: str = "/measure", **fields) -> Record:
    return Record(received_at=now_iso(), method="POST", path=path, status=fields.pop("status", 400), **fields)


def test_the_writer_survives_a_record_it_cannot_serialise(caplog):
    store = Store()
    try:
        odd = _record(measure={"value": object()}, has_measure=True)  # no JSON for that
        store.add(odd, timeout=5)
        assert "could not keep this request in full" in odd.error
        assert "cannot serialise" in caplog.text
        after = store.add(_record(measure={"value": 1}, has_measure=True), timeout=5)
        assert after.id == odd.id + 1
        kept = store.records()
        assert [r.measure for r in kept] == [None, {"value": 1}]
    finally:
        store.close()


# The records table of schema 1, as it was written.
_SCHEMA_1 = """
CREATE TABLE records (
    id INTEGER PRIMARY KEY AUTOINCREMENT, received_at TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL,
    kind TEXT NOT NULL, shape TEXT, headers TEXT NOT NULL, body BLOB NOT NULL, has_measure INTEGER NOT NULL,
    measure TEXT, measure_name TEXT, status INTEGER NOT NULL, response TEXT NOT NULL, error TEXT,
    warnings TEXT NOT NULL, n_warnings INTEGER NOT NULL, production_status INTEGER, production_note TEXT,
    fault TEXT, created_by TEXT, start_ts TEXT, g1 TEXT, g2 TEXT, g3 TEXT, value REAL
);
CREATE INDEX records_by_measure ON records (measure_name, start_ts);
CREATE INDEX records_by_time ON records (received_at);
CREATE TABLE duplicate_keys (key TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
"""


def test_a_record_sqlite_refuses_fails_alone_in_its_batch(tmp_path):
    db = tmp_path / "r.sqlite3"
    store = Store(db)
    try:
        conn = sqlite3.connect(db)
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON records WHEN NEW.path = '/bad' AND NEW.status = 400 "
                     "BEGIN SELECT RAISE(ABORT, 'simulated failure'); END")
        conn.commit()
        conn.close()
        outcomes: dict[str, BaseException | None] = {}
        finished = threading.Event()

        def done(record: Record, error: BaseException | None) -> None:
            outcomes[record.path] = error
            if len(outcomes) == 21:
                finished.set()

        # Holding the writer's lock while submitting puts the 20 last records in one batch.
        with store._write_lock:
            store.submit(_record("/first"), done)
            time.sleep(0.1)
            for n in range(20):
                store.submit(_record("/bad" if n == 7 else f"/good/{n}"), done)
        assert finished.wait(10)
        assert outcomes.pop("/bad") is not None
        assert all(error is None for error in outcomes.values())
        kept = {r.path: r for r in store.records()}
        assert len(kept) == 21  # the bad one too: as the 503 it was answered
        assert kept["/bad"].status == 503 and "simulated failure" in kept["/bad"].error
    finally:
        store.close()


def test_the_duplicate_memory_follows_what_was_committed(tmp_path):
    db = tmp_path / "r.sqlite3"
    with live_receiver(db) as (receiver, client):
        conn = sqlite3.connect(db)
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON records WHEN NEW.status = 201 "
                     "BEGIN SELECT RAISE(ABORT, 'simulated failure'); END")
        conn.commit()
        assert client.post("/measure", json=measure()).status_code == 503
        conn.execute("DROP TRIGGER refuse")
        conn.commit()
        conn.close()
        assert client.post("/measure", json=measure()).status_code == 201
        assert receiver.store.records()[-1].warnings == []  # not a duplicate of what was never stored
        assert client.post("/measure", json=measure()).status_code == 201
        assert receiver.store.records()[-1].warnings[0].startswith("duplicate")


def test_waiting_on_a_stuck_writer_ends_with_an_error(tmp_path):
    store = Store(tmp_path / "r.sqlite3")
    try:
        with store._write_lock:  # the writer is stuck (a locked or hung disk)
            started = time.monotonic()
            with pytest.raises(StoreError, match="did not answer in time"):
                store.add(_record(), timeout=0.3)
            with pytest.raises(StoreError, match="did not finish flush in time"):
                store.flush(timeout=0.3)
            assert time.monotonic() - started < 3
        store.flush()
        [record] = store.records()  # kept, as the 503 its caller was told
        assert record.status == 503 and "did not answer in time" in record.error
    finally:
        store.close()


def test_a_request_waiting_on_a_stuck_writer_gets_503_and_its_record_says_so(monkeypatch):
    monkeypatch.setattr("dacc_gui.receiver.app.WAIT", 0.3)
    with live_receiver() as (receiver, client):
        with receiver.store._write_lock:  # the writer is stuck
            started = time.monotonic()
            response = client.post("/measure", json=measure())
            assert time.monotonic() - started < 3
        assert response.status_code == 503
        assert "did not answer within 0.3 s" in response.json()["error"]
        receiver.store.flush()
        [record] = receiver.store.records()
        assert record.status == 503 and record.response == response.text
        assert receiver.store.summary()["accepted"] == 0


# /aggregate itself answers Ecolyo's measures 403 before reading anything (accessApp false):
# the live aggregates of the control API read the records.
@pytest.mark.parametrize("path", ["/status", "/_receiver/aggregates?view=live&measureName=connection-count-daily"
                                  "&startDate=2021-12-01&endDate=2022-01-01", "/_receiver/summary"])
def test_a_slow_query_does_not_hold_up_other_requests(tmp_path, path):
    """/status, the aggregates and the summary read in a worker thread, never on the event loop."""
    with live_receiver(tmp_path / "r.sqlite3") as (receiver, client):
        slow: list[httpx.Response] = []
        with receiver.store._read_lock:  # a long query holds the reading connection
            reader = threading.Thread(target=lambda: slow.append(httpx.get(receiver.url + path, timeout=10)))
            reader.start()
            time.sleep(0.2)
            assert client.post("/measure", json=measure(), timeout=2).status_code == 201
            assert client.get("/_receiver/faults", timeout=2).status_code == 200
            assert not slow  # still waiting for the database
        reader.join(10)
        assert slow[0].status_code == 200


def test_after_a_restart_a_stuck_writer_still_ends_in_503(monkeypatch):
    monkeypatch.setattr("dacc_gui.receiver.app.WAIT", 0.3)
    with live_receiver() as (receiver, client):
        assert client.post("/measure", json=measure()).status_code == 201
        receiver.restart(port=0)  # a new event loop: the watch on commits must follow
        with receiver.store._write_lock:
            response = httpx.post(receiver.url + "/measure", json=measure(value=2), timeout=5)
        assert response.status_code == 503
