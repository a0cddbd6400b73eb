"""The receiver on PostgreSQL, for a team: several processes on one database, the schema
guard, and clear messages when the server cannot be used. (The receiver's answer tests
run on PostgreSQL too, through the ``receiver_db`` and ``module_db`` fixtures.)"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict
from tests.receiver_support import live_receiver, measure, raw_exchange, raw_request

from dacc_gui.cli.main import main
from dacc_gui.dacc.validation import duplicate_key
from dacc_gui.receiver import StoreError
from dacc_gui.receiver.pg_store import PostgresStore
from dacc_gui.receiver.records import Record, now_iso
from dacc_gui.receiver.store import SCHEMA_VERSION, Ticket

ROOT = Path(__file__).resolve().parents[1]
DUPLICATE = "duplicate: the same measure, startDate and groups were already received"


def _days(n: int) -> list[str]:
    return [(date(2022, 1, 1) + timedelta(days=i)).isoformat() for i in range(n)]


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- several processes on one database ------------------------------------------------------
def test_two_receivers_on_one_database_flag_a_measure_sent_to_both_once(postgres_url):
    # Two receivers are what two worker processes are to the database: nothing shared but it.
    with live_receiver(postgres_url) as (first, one), live_receiver(postgres_url) as (_, other):
        days = _days(40)
        barrier = threading.Barrier(2)

        def send(client):
            barrier.wait()
            return [client.post("/measure", json=measure(startDate=d)).status_code for d in days]

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(send, (one, other)))
        assert answers == [[201] * 40, [201] * 40]
        records = first.store.records(kind="measure")
        assert len(records) == 80 and len({r.id for r in records}) == 80
        flagged = [r.measure["startDate"] for r in records if any(DUPLICATE in w for w in r.warnings)]
        assert sorted(flagged) == days  # each day's second copy, whichever receiver got it
        assert first.store.count() == 80 and first.store.summary()["warnings"] == 40


def test_passes_run_from_two_receivers_at_once_aggregate_each_measure_once(postgres_url):
    with live_receiver(postgres_url) as (first, client), live_receiver(postgres_url) as (second, _):
        for value in range(1, 13):
            assert client.post("/measure", json=measure(value=value)).status_code == 201
        barrier = threading.Barrier(2)

        def run(receiver):
            barrier.wait()
            return receiver.run_aggregation(measure="connection-count-daily")[0]

        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(run, (first, second)))
        assert sorted(o.ran for o in outcomes) == [False, True]  # the other found nothing new
        [row] = first.aggregate("connection-count-daily", "2021-12-01", "2021-12-31", view="production")
        assert row["count"] == 12 and row["sum"] == 78


def test_the_cap_holds_across_two_receivers(postgres_url):
    with live_receiver(postgres_url, cap=5) as (first, one), live_receiver(postgres_url, cap=5) as (_, other):
        for i, day in enumerate(_days(12)):
            (one if i % 2 else other).post("/measure", json=measure(startDate=day))
        kept = first.store.records()
        assert [r.measure["startDate"] for r in kept] == _days(12)[7:]
        assert first.store.summary()["dropped"] == 7 and first.store.count() == 5


def _start_serve(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
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


def test_serve_in_one_process_on_postgresql_keeps_what_it_acknowledged(postgres_url):
    proc, url = _start_serve("--db", postgres_url)
    try:
        assert httpx.post(url + "/measure", json=measure()).status_code == 201
        assert httpx.post(url + "/measure", json=measure(value="bad")).status_code == 400
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.splitlines()[0] == "201 connection-count-daily 2021-12-08 device=mobile value=1"
    assert "2 measure requests kept, 1 accepted, 1 rejected" in err
    store = PostgresStore(postgres_url)  # and a new process finds them
    try:
        assert [r.status for r in store.records()] == [201, 400]
    finally:
        store.close()


def _workers(proc: subprocess.Popen) -> list[psutil.Process]:
    """The server processes under serve (multiprocessing's resource tracker is no server)."""
    children = psutil.Process(proc.pid).children()
    return [p for p in children if "resource_tracker" not in " ".join(p.cmdline())]


def test_serve_with_two_workers_records_every_request_once(postgres_url):
    proc, url = _start_serve("--db", postgres_url, "--workers", "2")
    days = _days(60)
    try:
        deadline = time.monotonic() + 30
        while len(_workers(proc)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_workers(proc)) == 2

        def post(day: str) -> int:
            with httpx.Client(base_url=url, timeout=30) as client:  # a connection each: both workers get some
                return client.post("/measure", json=measure(startDate=day)).status_code

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(post, days + days))  # every day twice: 60 duplicates
        assert answers == [201] * 120
        export = httpx.get(url + "/_receiver/export", timeout=30).json()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    records = [r for r in export["records"] if r["kind"] == "measure"]
    assert len(records) == 120 and len({r["id"] for r in records}) == 120  # acknowledged == stored
    flagged = sorted(r["measure"]["startDate"] for r in records if any(DUPLICATE in w for w in r["warnings"]))
    assert flagged == days
    assert export["summary"]["total"] == 120 and export["summary"]["warnings"] == 60
    # one log line per request, whichever worker printed it
    assert sum(line.startswith("201 connection-count-daily") for line in out.splitlines()) == 120


TOKEN = "s3cret-team-token"


@pytest.mark.parametrize("how", ["file", "environment"])
def test_with_two_workers_the_token_comes_from_a_file_or_the_environment(postgres_url, tmp_path, how):
    if how == "file":
        (tmp_path / "token").write_text(TOKEN + "\n")
        proc, url = _start_serve("--db", postgres_url, "--workers", "2", "--token-file", str(tmp_path / "token"))
    else:
        proc, url = _start_serve("--db", postgres_url, "--workers", "2", env={"DACC_GUI_RECEIVER_TOKEN": TOKEN})
    auth = {"Authorization": f"Bearer {TOKEN}"}
    try:
        assert not any(TOKEN in part for part in psutil.Process(proc.pid).cmdline())
        for _ in range(4):  # new connections: whichever worker answers
            assert httpx.post(url + "/measure", json=measure()).status_code == 401  # as the real DACC
            assert httpx.post(url + "/measure", json=measure(), headers=auth).status_code == 201
            assert httpx.get(url + "/_receiver/summary").status_code == 401  # the control API too
            assert httpx.get(url + "/_receiver/summary", headers=auth).status_code == 200
        # The token as sent: one followed by a space is refused, as production does.
        port = int(url.rsplit(":", 1)[1])
        body = json.dumps(measure()).encode()
        spaced = f"Content-Type: application/json\r\nAuthorization: Bearer {TOKEN} \r\nConnection: close\r\n"
        assert raw_exchange(port, raw_request(port, body=body, headers=spaced)).startswith(b"HTTP/1.1 401")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err


def test_with_two_workers_a_stalled_body_gets_408_after_the_read_timeout(postgres_url):
    proc, url = _start_serve("--db", postgres_url, "--workers", "2", "--read-timeout", "0.5")
    port = int(url.rsplit(":", 1)[1])
    try:
        body = b'{"measureName": "connection-count-daily"'
        head = (f"POST /measure HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body) + 100}\r\n\r\n").encode()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            started = time.monotonic()
            sock.sendall(head + body)  # and nothing more
            answer = sock.recv(4096)
            waited = time.monotonic() - started
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert 0.4 < waited < 5
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err


def test_with_two_workers_faults_and_the_mode_hold_whichever_worker_answers(postgres_url):
    proc, url = _start_serve("--db", postgres_url, "--workers", "2")

    def post(body) -> int:
        with httpx.Client(base_url=url, timeout=30) as client:  # a new connection: any worker
            return client.post("/measure", json=body).status_code

    try:
        deadline = time.monotonic() + 30
        while len(_workers(proc)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        with httpx.Client(base_url=url, timeout=30) as control:
            assert control.post("/_receiver/faults", json={"kind": "500", "count": 3}).status_code == 201
            assert [post(measure(startDate=d)) for d in _days(6)] == [500, 500, 500, 201, 201, 201]
            assert control.get("/_receiver/faults").json()["pending"] == []
            assert post(measure(value=True)) == 201  # production's silent 201
            assert control.post("/_receiver/mode", json={"clearErrors": True}).json()["clearErrors"] is True
            assert [post(measure(value=True)) for _ in range(6)] == [422] * 6
            assert control.get("/_receiver/mode").json()["clearErrors"] is True
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err



def test_with_two_workers_a_stop_cuts_injected_delays_and_answers_every_request(postgres_url):
    proc, url = _start_serve("--db", postgres_url, "--workers", "2")
    codes: dict[int, object] = {}

    def post(n: int, day: str) -> None:
        try:
            with httpx.Client(base_url=url, timeout=60) as client:  # a connection each: both workers get some
                codes[n] = client.post("/measure", json=measure(startDate=day)).status_code
        except httpx.HTTPError as exc:
            codes[n] = type(exc).__name__

    try:
        deadline = time.monotonic() + 30
        while len(_workers(proc)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        with httpx.Client(base_url=url, timeout=30) as control:
            # Far longer than the graceful stop (the read timeout + 5 s): only a cut delay ends in time.
            assert control.post("/_receiver/faults", json={"kind": "delay", "count": 8, "delay": 60}).status_code == 201
            threads = [threading.Thread(target=post, args=(n, day)) for n, day in enumerate(_days(8))]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 30
            while control.get("/_receiver/faults").json()["pending"] and time.monotonic() < deadline:
                time.sleep(0.05)
            assert control.get("/_receiver/faults").json()["pending"] == []  # all 8 are waiting in a worker
    finally:
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        stopped_in = time.monotonic() - started
    for thread in threads:
        thread.join(10)
    assert codes == {n: 201 for n in range(8)}
    assert stopped_in < 8, stopped_in
    assert proc.returncode == 0 and "Traceback" not in err

# -- the schema guard ------------------------------------------------------------------------
def test_a_newer_schema_is_refused_with_a_clear_message_and_nothing_written(postgres_url, capsys):
    PostgresStore(postgres_url).close()
    with psycopg.connect(postgres_url) as conn:
        conn.execute("UPDATE meta SET value = %s WHERE name = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreError, match=rf"newer dacc-gui \(schema {SCHEMA_VERSION + 1}, this one reads "
                                         rf"{SCHEMA_VERSION}\)"):
        PostgresStore(postgres_url)
    assert main(["serve", "--db", postgres_url, "--port", "0", "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert "newer dacc-gui" in err and "Traceback" not in err
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone() == (
            str(SCHEMA_VERSION + 1),
        )
        assert conn.execute("SELECT count(*) FROM records").fetchone() == (0,)


def test_a_database_with_other_tables_is_refused_and_left_alone(postgres_url):
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TABLE invoices (id int)")
    with pytest.raises(StoreError, match="is not a receiver database"):
        PostgresStore(postgres_url)
    assert _tables(postgres_url) == {"invoices"}


def test_a_new_database_gets_the_schema_once_with_two_stores_opening_it_together(postgres_url):
    with ThreadPoolExecutor(2) as pool:
        stores = list(pool.map(lambda _: PostgresStore(postgres_url), range(2)))
    for store in stores:
        store.close()
    assert {"records", "duplicate_keys", "meta", "aggregates", "aggregation_passes"} <= _tables(postgres_url)


# -- a server that cannot be used -------------------------------------------------------------
@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_unreachable_server_is_a_message_naming_the_host(workers, capsys):
    port = _free_port()
    url = f"postgresql://tester:s3cretpw@127.0.0.1:{port}/receiver"
    assert main(["serve", "--db", url, "--port", "0", "--workers", workers]) == 2
    err = capsys.readouterr().err
    assert f"cannot connect to PostgreSQL at 127.0.0.1:{port}, database receiver as tester" in err
    assert "Traceback" not in err and "s3cretpw" not in err


def test_a_refused_login_is_a_message_naming_the_server_and_the_user(postgres_server, capsys):
    parts = conninfo_to_dict(postgres_server)
    url = f"postgresql://nosuchtester@/postgres?host={parts['host']}"
    assert main(["serve", "--db", url, "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert f"cannot connect to PostgreSQL at the socket in {parts['host']}, database postgres as nosuchtester" in err
    assert 'role "nosuchtester" does not exist' in err and "Traceback" not in err


def test_several_workers_need_postgresql(tmp_path, capsys):
    assert main(["serve", "--db", str(tmp_path / "r.sqlite3"), "--port", "0", "--workers", "2"]) == 2
    assert "--workers needs a PostgreSQL --db" in capsys.readouterr().err
    assert not (tmp_path / "r.sqlite3").exists()


def test_a_nul_postgresql_text_cannot_hold_is_stored_and_the_measure_kept_whole(postgres_url):
    with live_receiver(postgres_url) as (receiver, client):
        sent = measure(measureName="bad\u0000name")
        response = client.post("/measure", json=sent)
        assert response.status_code == 400  # an unknown measureName, as production answers
        [record] = receiver.store.records()
        assert record.measure == sent and record.status == 400


# -- the writer's protocol, in PostgreSQL ---------------------------------------------------
def _refuse_inserts(url: str, condition: str) -> None:
    """A trigger that makes PostgreSQL refuse the records matching ``condition``."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF {condition} THEN RAISE EXCEPTION 'simulated failure'; END IF; RETURN NEW; END $$"
        )
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON records FOR EACH ROW EXECUTE FUNCTION refuse()")


def _allow_inserts(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TRIGGER refuse ON records")
        conn.execute("DROP FUNCTION refuse()")


def test_a_record_postgresql_refuses_fails_alone_in_its_batch(postgres_url):
    store = PostgresStore(postgres_url)
    try:
        _refuse_inserts(postgres_url, "NEW.path = '/bad' AND NEW.status = 400")
        outcomes: dict[str, BaseException | None] = {}
        finished = threading.Event()

        def done(record: Record, error: BaseException | None) -> None:
            outcomes[record.path] = error
            if len(outcomes) == 20:
                finished.set()

        paths = ["/bad" if n == 7 else f"/good/{n}" for n in range(20)]
        store.submit_all([Ticket(_record(path), done) for path in paths])  # one batch
        assert finished.wait(10)
        assert outcomes.pop("/bad") is not None
        assert all(error is None for error in outcomes.values())
        kept = {r.path: r for r in store.records()}
        assert len(kept) == 20 and store.count() == 20  # the bad one too: as the 503 it was answered
        assert kept["/bad"].status == 503 and "simulated failure" in kept["/bad"].error
        good = [r.path for r in store.records() if r.path != "/bad"]
        assert good == [p for p in paths if p != "/bad"]  # in the order they were submitted
    finally:
        store.close()


def test_a_duplicate_key_counts_once_its_record_is_committed(postgres_url):
    with live_receiver(postgres_url) as (receiver, client):
        _refuse_inserts(postgres_url, "NEW.status = 201")
        assert client.post("/measure", json=measure()).status_code == 503
        _allow_inserts(postgres_url)
        assert client.post("/measure", json=measure()).status_code == 201
        assert receiver.store.records()[-1].warnings == []  # not a duplicate of what was never stored
        assert client.post("/measure", json=measure()).status_code == 201
        assert receiver.store.records()[-1].warnings[0].startswith(DUPLICATE)


def test_a_copy_committed_by_another_process_while_this_one_waited_is_flagged(postgres_url):
    # The first receiver checks the measure (new to it), then its writer is held; meanwhile the
    # second receiver stores the same measure. The first, committing after, finds the key claimed.
    with live_receiver(postgres_url) as (first, one), live_receiver(postgres_url) as (second, other):
        held, release = threading.Event(), threading.Event()

        def hold(record: Record) -> None:
            if record.path == "/status" and not held.is_set():
                held.set()
                release.wait(10)

        first.store.add_listener(hold)
        assert one.get("/status").status_code == 200
        assert held.wait(10)  # the first receiver's writer is busy now
        with ThreadPoolExecutor(1) as pool:
            late = pool.submit(lambda: one.post("/measure", json=measure()).status_code)
            deadline = time.monotonic() + 10
            while not first.store._pending and time.monotonic() < deadline:
                time.sleep(0.01)
            assert first.store._pending  # validated, waiting for its commit
            assert other.post("/measure", json=measure()).status_code == 201
            release.set()
            assert late.result(10) == 201
        by_path = [(r.id, r.warnings) for r in first.store.records(kind="measure")]
        assert len(by_path) == 2
        (_, earlier), (_, later) = by_path
        assert earlier == [] and later[0].startswith(DUPLICATE)  # the one committed second
        assert first.store.summary()["warnings"] == 1


def test_the_http_layers_refusals_are_counted_for_every_process(postgres_url):
    with live_receiver(postgres_url) as (first, _), live_receiver(postgres_url) as (second, _):
        first.store.count_refused(400, "Invalid HTTP request received.")
        second.store.count_refused(400, "Invalid HTTP request received.")
        first.store.flush()
        second.store.flush()
        summary = first.store.summary()
        assert summary["httpRefused"] == 2
        assert summary["httpRefusedWhy"] == {"400 Invalid HTTP request received.": 2}
        first.store.reset()
        assert second.store.summary()["httpRefused"] == 0


def _record(path: str = "/measure", **fields) -> Record:
    return Record(received_at=now_iso(), method="POST", path=path, status=fields.pop("status", 400), **fields)


def test_a_copy_found_claimed_in_a_batch_that_failed_keeps_its_flag_when_retried_alone(postgres_url):
    first, second = PostgresStore(postgres_url), PostgresStore(postgres_url)
    try:
        sent = measure()
        second.add(_record(status=201, measure=sent, has_measure=True, stored=True))  # claims the key
        _refuse_inserts(postgres_url, "NEW.path = '/bad'")
        copy = _record(status=201, measure=sent, has_measure=True, stored=True, duplicate_key=duplicate_key(sent))
        finished = threading.Event()
        outcomes: list[BaseException | None] = []

        def done(record: Record, error: BaseException | None) -> None:
            outcomes.append(error)
            if len(outcomes) == 2:
                finished.set()

        first.submit_all([Ticket(copy, done), Ticket(_record("/bad"), done)])  # one batch, which fails
        assert finished.wait(10)
        [kept] = [r for r in first.records() if r.id == copy.id]
        assert len(kept.warnings) == 1 and kept.warnings[0].startswith(DUPLICATE)  # as the record says
        assert kept.warnings == copy.warnings
    finally:
        first.close()
        second.close()
