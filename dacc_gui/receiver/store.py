"""Where the receiver keeps every request: SQLite (WAL), written by one thread.

Requests are handed to a writer thread that commits them in batches (one
transaction for whatever arrived meanwhile), then calls each request's
``done`` callback and the listeners. The server answers a request only once
its ``done`` has fired, so what was acknowledged is stored.

One record never spoils another's: a record that cannot be serialised is kept
without the part that failed, and a batch SQLite refuses is retried one record
at a time, so only the record at fault is answered 503 (and kept as such when
SQLite takes that). The writer survives anything and whoever waits on it does
so with a timeout.

A file is checked before anything is written to it: not SQLite, damaged, of a
newer schema or someone else's database is refused with a clear message and
left exactly as it was.

Also kept: the keys of accepted measures, to flag one received twice (they
survive a restart; ``reset`` clears them; a key counts once its record is
committed), how many old records were dropped under the cap, how many
requests the HTTP layer refused before they reached the receiver, and
production's aggregation passes (``aggregates``, ``aggregation_passes``: see
``receiver.passes``). ``PRAGMA user_version`` holds the schema version; an
older one is migrated, a newer one refused.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import queue
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from dacc_gui.dacc.aggregate import stored_columns
from dacc_gui.receiver import jsontext
from dacc_gui.receiver.filters import status_filter
from dacc_gui.receiver.records import Kind, Record
from dacc_gui.dacc.validation import duplicate_key

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
DEFAULT_CAP = 1_000_000
BATCH_MAX = 1000
WAIT = 30.0  # seconds anyone waits on the writer before giving up
SQLITE_HEADER = b"SQLite format 3\x00"
_TABLES = {"records", "duplicate_keys", "meta"}

Done = Callable[[Record, BaseException | None], None]
Listener = Callable[[Record], None]

_SCHEMA = """
CREATE TABLE records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    shape TEXT,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    has_measure INTEGER NOT NULL,
    measure TEXT,
    measure_name TEXT,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    error TEXT,
    warnings TEXT NOT NULL,
    n_warnings INTEGER NOT NULL,
    production_status INTEGER,
    production_note TEXT,
    production_response TEXT,
    stored INTEGER,
    not_stored_reason TEXT,
    mode TEXT,
    fault TEXT,
    created_by TEXT,
    start_ts TEXT,
    g1 TEXT,
    g2 TEXT,
    g3 TEXT,
    value REAL
);
CREATE INDEX records_by_measure ON records (measure_name, start_ts);
CREATE INDEX records_by_time ON records (received_at);
CREATE TABLE duplicate_keys (key TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
"""

# Since schema 2: production's aggregation, kept beside the records.
_SCHEMA_AGGREGATION = """
CREATE TABLE aggregates (
    key TEXT PRIMARY KEY,
    measure_name TEXT NOT NULL,
    created_by TEXT,
    start_ts TEXT NOT NULL,
    g1 TEXT,
    g2 TEXT,
    g3 TEXT,
    figures TEXT NOT NULL,
    first_pass INTEGER NOT NULL,
    last_pass INTEGER NOT NULL
);
CREATE INDEX aggregates_by_measure ON aggregates (measure_name, start_ts);
CREATE TABLE aggregation_passes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    measure_name TEXT NOT NULL,
    ran_at TEXT NOT NULL,
    forced INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    through_id INTEGER,
    raw_rows INTEGER NOT NULL,
    groups INTEGER NOT NULL,
    error TEXT
);
"""
_SCHEMA += _SCHEMA_AGGREGATION

# Schema 1 -> 2: production's answer in full (body, stored or not) and its aggregation.
# A version-1 record was judged by older rules: "stored" is estimated from its status and value.
_MIGRATE_1_TO_2 = """
ALTER TABLE records ADD COLUMN production_response TEXT;
ALTER TABLE records ADD COLUMN stored INTEGER;
ALTER TABLE records ADD COLUMN not_stored_reason TEXT;
ALTER TABLE records ADD COLUMN mode TEXT;
UPDATE records SET stored = (status = 201 AND value IS NOT NULL AND abs(value) < 1e10) WHERE kind = 'measure';
""" + _SCHEMA_AGGREGATION

_COLUMNS = (
    "received_at, method, path, kind, shape, headers, body, has_measure, measure, measure_name, "
    "status, response, error, warnings, n_warnings, production_status, production_note, "
    "production_response, stored, not_stored_reason, mode, fault, "
    "created_by, start_ts, g1, g2, g3, value"
)
_SELECT = f"SELECT id, {_COLUMNS} FROM records"
_N_COLUMNS = 1 + len(_COLUMNS.split(", "))
_CHUNKS = (256, 128, 64, 32, 16, 8, 4, 2, 1)  # rows per INSERT: a few statements, all cached


@functools.lru_cache(maxsize=None)
def _insert_sql(rows: int) -> str:
    # Ids are given (not lastrowid) so that a whole batch is one statement: SQLite
    # then runs it without taking the interpreter lock back row by row.
    one = "(" + ", ".join("?" * _N_COLUMNS) + ")"
    return f"INSERT INTO records (id, {_COLUMNS}) VALUES " + ", ".join([one] * rows)


def stored_failure(error: BaseException | str) -> str:
    """The error a request gets (and its record keeps) when the store could not keep it."""
    return f"the receiver could not store this request: {error}"


class StoreError(Exception):
    """The database cannot be used (newer schema, not a receiver database, I/O)."""


class Ticket:
    """A record handed to the writer; ``abandon`` it when its answer cannot wait any longer."""

    __slots__ = ("record", "done", "claimed", "settled", "abandoned", "finished")

    def __init__(self, record: Record, done: Done | None):
        self.record = record
        self.done = done
        self.claimed = False  # the writer took it (its commit is under way)
        self.settled = False  # its outcome is decided: ``done`` is about to fire
        self.abandoned: str | None = None  # the 503 answer given instead, kept in the record
        self.finished = False


class _Seen:
    """The duplicate keys as the core validator's ``seen`` set sees them.

    A key the validator adds is pending until its record is committed, then
    remembered (or forgotten, if the record could not be stored).
    """

    __slots__ = ("_committed", "_pending", "_lock", "added")

    def __init__(self, committed: set[str], pending: Counter, lock: threading.Lock):
        self._committed = committed
        self._pending = pending
        self._lock = lock
        self.added: str | None = None  # the key the validator just checked, for the record

    # A class, not @contextmanager: it runs once a measure, and a generator costs more.
    def __enter__(self) -> _Seen:
        self._lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()

    def __contains__(self, key: str) -> bool:
        return key in self._committed or key in self._pending

    def add(self, key: str) -> None:
        self._pending[key] += 1
        self.added = key


class Store:
    """Every request the receiver got, in SQLite; ``path=None`` keeps it in memory."""

    # Committed duplicate keys are remembered in this process (PostgreSQL claims them in
    # the database, in each record's own transaction, for every process at once).
    _remembers_keys = True

    _NO_LIMIT: int | None = -1  # SQLite's LIMIT for "all rows" (PostgreSQL's is NULL)

    def __init__(self, path: str | Path | None = None, cap: int = DEFAULT_CAP):
        if cap < 1:
            raise ValueError("the record cap must be at least 1")
        self.path = Path(path) if path is not None else None
        self.cap = cap
        self._listeners: list[Listener] = []
        fresh = True if self.path is None else _inspect(self.path)  # before anything is written
        self._write = self._connect()
        self._write_lock = threading.Lock()
        if fresh:
            self._create_schema(self._write)
        elif self._write.execute("PRAGMA user_version").fetchone()[0] == 1:
            # A file of schema 1: what production would have stored is estimated from it.
            self._write.executescript(f"BEGIN; {_MIGRATE_1_TO_2} PRAGMA user_version = 2; COMMIT;")
        if self.path is None:  # one connection: a memory database is private to it
            self._read, self._read_lock = self._write, self._write_lock
        else:
            self._read, self._read_lock = self._connect(), threading.Lock()
        try:
            self._count = self._write.execute("SELECT count(*) FROM records").fetchone()[0]
            self._next_id = 1 + max(
                self._write.execute("SELECT coalesce(max(id), 0) FROM records").fetchone()[0],
                int((self._write.execute("SELECT seq FROM sqlite_sequence WHERE name = 'records'").fetchone()
                     or (0,))[0]),
            )
            self._dropped = int(self._meta("dropped") or 0)
            self._refused: Counter = Counter(json.loads(self._meta("http_refused") or "{}"))
            committed = {row[0] for row in self._write.execute("SELECT key FROM duplicate_keys")}
        except (sqlite3.Error, ValueError) as exc:
            self._close_connections()
            raise StoreError(f"cannot read the receiver database {self.path}: {exc}") from exc
        self._unrecorded = 0  # answered 503 and not even that could be stored
        self._seen_lock = threading.Lock()
        self._seen = committed
        self._pending: Counter = Counter()
        self._claim_lock = threading.Lock()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="dacc-receiver-writer", daemon=True)
        self._thread.start()

    # -- opening -----------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        target = ":memory:" if self.path is None else str(self.path)
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for {self.path}: {exc.strerror}") from exc
        try:
            conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None, timeout=WAIT)
            if self.path is not None:
                conn.execute("PRAGMA journal_mode=WAL")
                # In WAL mode a commit is in the file once COMMIT returns: it survives the
                # process being killed (kill -9); only a power cut may lose the last ones.
                conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the receiver database {target}: {exc}") from exc
        return conn

    @staticmethod
    def _create_schema(conn: sqlite3.Connection) -> None:
        try:
            conn.executescript(_SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION};")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot create the receiver database: {exc}") from exc

    def _meta(self, name: str) -> str | None:
        row = self._write.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    # -- writing -------------------------------------------------------------
    def duplicate_keys(self) -> _Seen:
        """The keys of accepted measures, for ``validate_measure(seen=...)``, as a context
        manager (``with store.duplicate_keys() as seen``).

        Held under a lock so that checking a key and remembering it is one step.
        """
        return _Seen(self._seen, self._pending, self._seen_lock)

    def submit(self, record: Record, done: Done | None = None) -> Ticket:
        """Queue a record; ``done(record, error)`` fires in the writer thread after commit.

        With an error the record was not kept as it was: the writer set its
        ``status`` to 503 and its ``response`` to what the request must be answered.
        """
        ticket = Ticket(record, done)
        self.submit_all([ticket])
        return ticket

    def submit_all(self, tickets: list[Ticket]) -> None:
        """Queue several records at once (``Ticket(record, done)`` each): the writer wakes once."""
        if self._closed:
            self._release([t.record for t in tickets], stored=False)
            raise StoreError("the receiver store is closed")
        self._queue.put(("add", tickets))

    def abandon(self, ticket: Ticket, answer: str) -> bool:
        """Answer the request 503 ``answer`` without waiting any longer: its record will say so
        (committed later, or corrected after a commit under way).

        False if it is too late: its outcome is decided and ``done`` fires at once.
        """
        with self._claim_lock:
            if ticket.settled:
                return False
            ticket.abandoned = answer
            return True

    def count_refused(self, status: int, reason: str) -> None:
        """Count a request the HTTP layer refused before the receiver saw it (kept with the records)."""
        if not self._closed:
            self._queue.put(("refused", f"{status} {reason}"))

    def annotate(self, record_id: int, error: str, status: int | None = None, response: str | None = None) -> None:
        """Say after the fact what happened to an answer (the client had gone, it came too late)."""
        if not self._closed:
            self._queue.put(("note", (record_id, error, status, response)))

    def add(self, record: Record, timeout: float = WAIT) -> Record:
        """Store a record and wait for it (in-process use and tests)."""
        finished = threading.Event()
        errors: list[BaseException] = []

        def done(_: Record, error: BaseException | None) -> None:
            if error is not None:
                errors.append(error)
            finished.set()

        ticket = self.submit(record, done)
        if not finished.wait(timeout):
            if self.abandon(ticket, stored_failure("the store did not answer in time")):
                raise StoreError("the receiver store did not answer in time")
            finished.wait(timeout)  # decided meanwhile: its outcome is on its way
        if errors:
            raise StoreError(f"could not store the record: {errors[0]}")
        return record

    def flush(self, timeout: float = WAIT) -> None:
        """Wait until everything submitted so far is committed."""
        self._command("flush", timeout)

    def reset(self, timeout: float = WAIT) -> int:
        """Forget every record and duplicate key; returns how many records went."""
        return self._command("reset", timeout)

    def _command(self, name: str, timeout: float) -> Any:
        if self._closed:
            raise StoreError("the receiver store is closed")
        finished = threading.Event()
        box: list[Any] = []
        self._queue.put((name, (box, finished)))
        if not finished.wait(timeout):
            raise StoreError(f"the receiver store did not finish {name} in time")
        if box and isinstance(box[0], BaseException):
            raise StoreError(f"the receiver store could not {name}: {box[0]}")
        return box[0] if box else None

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(record)`` for each new record, from the writer thread, after commit.

        Keep it short and thread-safe (a Qt app emits a signal, which Qt queues to
        the GUI thread). An exception in a listener is logged and ignored.
        """
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def close(self, timeout: float = WAIT) -> None:
        """Commit what is queued, stop the writer, close the database."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(("stop", None))
        self._thread.join(timeout)
        if self._thread.is_alive():  # stuck in SQLite: leave its connection to it
            log.error("receiver store: the writer did not stop within %g s", timeout)
            return
        self._close_connections()

    def _close_connections(self) -> None:
        for conn in {id(c): c for c in (getattr(self, "_write", None), getattr(self, "_read", None))
                     if c is not None}.values():
            try:
                conn.close()
            except sqlite3.Error:
                pass

    # -- the writer thread -------------------------------------------------------
    def _run(self) -> None:
        while True:
            tickets: list[Ticket] = []
            try:
                kind, payload = self._queue.get()
                extras: list[tuple[str, Any]] = []
                barrier = None
                while True:  # everything queued meanwhile goes in one transaction
                    if kind == "add":
                        tickets += payload
                    elif kind in ("refused", "note"):
                        extras.append((kind, payload))
                    else:
                        barrier = (kind, payload)
                        break
                    if len(tickets) >= BATCH_MAX:
                        break
                    try:
                        kind, payload = self._queue.get_nowait()
                    except queue.Empty:
                        break
                if tickets or extras:
                    self._commit(tickets, extras)
                if barrier is not None:
                    kind, payload = barrier
                    if kind == "stop":
                        return
                    box, finished = payload
                    try:
                        if kind == "reset":
                            box.append(self._reset())
                    except Exception as exc:
                        log.error("receiver store: %s failed: %s", kind, exc)
                        box.append(exc)
                    finished.set()
            except BaseException as exc:  # never die: requests wait on this thread
                log.error("receiver store: the writer recovered from %s: %s", type(exc).__name__, exc)
                for ticket in tickets:
                    if not ticket.finished:
                        self._finish(ticket, exc)

    def _commit(self, tickets: list[Ticket], extras: list[tuple[str, Any]]) -> None:
        with self._claim_lock:
            for ticket in tickets:
                ticket.claimed = True
        for ticket in tickets:
            if ticket.abandoned is not None:  # answered 503 meanwhile: kept as answered
                _set_failed(ticket.record, ticket.abandoned)
        rows = [self._row_of(ticket.record) for ticket in tickets]
        keep = [(t, r) for t, r in zip(tickets, rows) if r is not None]
        failed: list[tuple[Ticket, BaseException]] = [
            (t, ValueError("the record cannot be serialised")) for t, r in zip(tickets, rows) if r is None
        ]
        try:
            self._transaction(keep, extras)
        except Exception as exc:
            if len(keep) + len(extras) <= 1:
                failed += [(t, exc) for t, _ in keep]
            else:  # one record at fault must not fail the others: each alone
                log.warning("receiver store: a batch of %d failed (%s); committing one by one", len(keep), exc)
                for ticket, row in keep:
                    try:
                        self._transaction([(ticket, row)], [])
                    except Exception as alone:
                        failed.append((ticket, alone))
                for extra in extras:
                    try:
                        self._transaction([], [extra])
                    except Exception as alone:
                        log.error("receiver store: could not keep %s: %s", extra[0], alone)
        failed_ids = {id(t) for t, _ in failed}
        stored = [t for t, _ in keep if id(t) not in failed_ids]
        for ticket, error in failed:
            self._keep_failure(ticket, error)
        with self._claim_lock:  # from now on, nobody may answer them otherwise
            late = [t for t in stored if t.abandoned is not None and t.record.status != 503]
            for ticket in tickets:
                ticket.settled = True
        for ticket in late:  # answered 503 while its commit was under way: the record says it
            _set_failed(ticket.record, ticket.abandoned)
            failed.append((ticket, StoreError(ticket.abandoned)))
            self._correct(ticket.record)
        self._release([t.record for t in tickets], stored={id(t.record) for t in stored})
        for ticket in tickets:
            self._finish(ticket, next((e for t, e in failed if t is ticket), None))
        for ticket in stored:
            for listener in list(self._listeners):
                try:
                    listener(ticket.record)
                except Exception:
                    log.exception("receiver store: a listener failed")

    def _transaction(self, rows: list[tuple[Ticket, tuple]], extras: list[tuple[str, Any]]) -> None:
        """One transaction: the rows, their duplicate keys, the counters; all or nothing."""
        next_id, count, dropped, refused = self._next_id, self._count, self._dropped, Counter(self._refused)
        with self._write_lock:
            cur = self._write.cursor()
            cur.execute("BEGIN")
            try:
                values = []
                for ticket, row in rows:
                    ticket.record.id = self._next_id
                    values.append((self._next_id, *row))
                    self._next_id += 1
                start = 0
                for size in _CHUNKS:
                    while len(values) - start >= size:
                        cur.execute(_insert_sql(size), [v for row in values[start:start + size] for v in row])
                        start += size
                keys = [
                    (record.duplicate_key or duplicate_key(record.measure),)
                    for record in (t.record for t, _ in rows)
                    if record.stored and isinstance(record.measure, dict)
                ]
                if keys:
                    cur.executemany("INSERT OR IGNORE INTO duplicate_keys (key) VALUES (?)", keys)
                for kind, payload in extras:
                    if kind == "refused":
                        self._refused[payload] += 1
                    else:
                        record_id, error, status, response = payload
                        cur.execute(
                            "UPDATE records SET error = ?, status = coalesce(?, status), "
                            "response = coalesce(?, response) WHERE id = ?",
                            (jsontext.encodable(error), status,
                             None if response is None else jsontext.encodable(response), record_id),
                        )
                if self._refused != refused:
                    cur.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('http_refused', ?)",
                                (json.dumps(self._refused, ensure_ascii=False),))
                self._count += len(rows)
                if self._count > self.cap:
                    self._drop_oldest(cur)
                cur.execute("COMMIT")
            except BaseException:
                self._next_id, self._count, self._dropped, self._refused = next_id, count, dropped, refused
                for ticket, _ in rows:
                    ticket.record.id = None
                try:
                    cur.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                raise

    def _row_of(self, record: Record) -> tuple | None:
        """The record's row; one that cannot be serialised is kept without what failed."""
        try:
            return _clean(_row(record))
        except Exception as exc:
            log.error("receiver store: cannot serialise the record of %s %s: %s: %s",
                      record.method, record.path, type(exc).__name__, exc)
            note = f"the receiver could not keep this request in full ({type(exc).__name__}: {exc})"
            record.error = f"{record.error}; {note}" if record.error else note
        try:
            bare = dataclasses.replace(record, headers={}, measure=None, has_measure=False, warnings=[])
            row = _clean(_row(bare))
            record.measure, record.has_measure = None, False  # what the record now says
            return row
        except Exception as exc:
            log.error("receiver store: cannot serialise even the bare record: %s", exc)
            return None

    def _correct(self, record: Record) -> None:
        try:
            self._transaction([], [("note", (record.id, record.error, record.status, record.response))])
        except Exception as exc:
            log.error("receiver store: could not correct record %s: %s", record.id, exc)

    def _keep_failure(self, ticket: Ticket, error: BaseException) -> None:
        """A record SQLite would not take: its request gets 503, kept as such if possible."""
        record = ticket.record
        log.error("receiver store: could not store the record of %s %s: %s", record.method, record.path, error)
        _set_failed(record, stored_failure(error))
        bare = dataclasses.replace(record, headers={}, measure=None, has_measure=False, warnings=[])
        try:
            self._transaction([(Ticket(bare, None), _clean(_row(bare)))], [])
            record.id = bare.id
        except Exception as again:
            self._unrecorded += 1
            record.id = None
            log.error("receiver store: not even its 503 could be stored: %s", again)

    def _release(self, records: list[Record], stored: set[int] | bool) -> None:
        """Pending duplicate keys become remembered (committed, and stored by production) or are forgotten."""
        with self._seen_lock:
            for record in records:
                key = record.duplicate_key
                if key is None:
                    continue
                if self._pending[key] <= 1:
                    self._pending.pop(key, None)
                else:
                    self._pending[key] -= 1
                if self._remembers_keys and stored is not False and id(record) in stored and record.stored:
                    self._seen.add(key)

    def _finish(self, ticket: Ticket, error: BaseException | None) -> None:
        ticket.finished = True
        if ticket.done is not None:
            try:
                ticket.done(ticket.record, error)
            except Exception:
                log.exception("receiver store: a done callback failed")

    def _drop_oldest(self, cur: sqlite3.Cursor) -> None:
        excess = self._count - self.cap
        cur.execute(
            "DELETE FROM records WHERE id IN (SELECT id FROM records ORDER BY id LIMIT ?)", (excess,)
        )
        self._count -= cur.rowcount
        self._dropped += cur.rowcount
        cur.execute(
            "INSERT OR REPLACE INTO meta (name, value) VALUES ('dropped', ?)", (str(self._dropped),)
        )

    def _reset(self) -> int:
        with self._write_lock:
            cur = self._write.cursor()
            cur.execute("BEGIN")
            try:
                cur.execute("DELETE FROM records")
                removed = cur.rowcount
                cur.execute("DELETE FROM duplicate_keys")
                cur.execute("DELETE FROM meta WHERE name IN ('dropped', 'http_refused')")
                cur.execute("DELETE FROM aggregates")
                cur.execute("DELETE FROM aggregation_passes")
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            self._count = 0
            self._dropped = 0
            self._refused = Counter()
            self._unrecorded = 0
        with self._seen_lock:
            self._seen.clear()
        return removed

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        """One write transaction beside the writer thread's (the aggregation passes)."""
        with self._write_lock:
            cur = self._write.cursor()
            cur.execute("BEGIN")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    @contextmanager
    def pass_lock(self) -> Iterator[None]:
        """Held during an aggregation pass: one process here, so the passes' own lock suffices."""
        yield

    # -- reading -------------------------------------------------------------
    def _query(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        with self._read_lock:
            return self._read.execute(sql, params).fetchall()

    def read(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        """Rows of a read-only query (the aggregation passes' tables)."""
        return self._query(sql, params)

    def summary(self) -> dict[str, Any]:
        """Measure requests: total, accepted (201), rejected, accepted with warnings, and what
        production would have stored and not (a 201 that stores nothing), with the reasons."""
        total, accepted, warned, stored = self._query(
            # FILTER rather than a sum of booleans: the same SQL and integer counts in PostgreSQL
            "SELECT count(*), count(*) FILTER (WHERE status = 201), "
            "count(*) FILTER (WHERE status = 201 AND n_warnings > 0), count(*) FILTER (WHERE stored = 1) "
            "FROM records WHERE kind = ?",
            (Kind.MEASURE,),
        )[0]
        reasons = dict(self._query(
            "SELECT not_stored_reason, count(*) FROM records WHERE kind = ? AND production_status = 201 "
            "AND stored = 0 GROUP BY not_stored_reason ORDER BY count(*) DESC, not_stored_reason",
            (Kind.MEASURE,),
        ))
        requests = self._query("SELECT count(*) FROM records")[0][0]
        refused = dict(self._refused)
        out: dict[str, Any] = {
            "total": total,
            "accepted": accepted,
            "rejected": total - accepted,
            "warnings": warned,
            "stored": stored,
            "notStoredByProduction": sum(reasons.values()),
            "notStoredReasons": {str(k): v for k, v in reasons.items()},
            "requests": requests,
            "cap": self.cap,
            "dropped": self._dropped,
            # Answered by the HTTP layer before the receiver saw them (not records).
            "httpRefused": sum(refused.values()),
            "httpRefusedWhy": refused,
        }
        if self._unrecorded:
            out["unrecorded"] = self._unrecorded
        if self._dropped:
            out["note"] = (
                f"record cap of {self.cap} reached: the {self._dropped} oldest records were dropped"
            )
        return out

    def records(
        self,
        status: str | int | None = None,
        measure: str | None = None,
        since: str | datetime | None = None,
        after: int | None = None,
        kind: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Record]:
        """Kept records, oldest first.

        ``status``: ``accepted``, ``rejected`` (measure requests not answered 201),
        ``warning`` (accepted with warnings), ``not-stored`` (production answers 201
        but stores nothing), ``error`` (answered 4xx/5xx), or an HTTP status; ``measure``: a measureName; ``since``: received at or after
        this time (ISO text or datetime); ``after``: records with a greater id.
        """
        where, params = [], []
        if status is not None and status != "" and status != "all":
            clause, extra = _status_clause(status)
            where.append(clause)
            params += extra
        if measure:
            where.append("measure_name = ?")
            params.append(measure)
        if since:
            where.append("received_at >= ?")
            params.append(_since_text(since))
        if after is not None:
            where.append("id > ?")
            params.append(int(after))
        if kind:
            where.append("kind = ?")
            params.append(kind)
        sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        sql += " LIMIT ? OFFSET ?"
        params += [self._NO_LIMIT if limit is None else int(limit), int(offset)]
        return [_record(row) for row in self._query(sql, params)]

    def count(self) -> int:
        return self._count

    def aggregation_rows(self, query) -> list[tuple]:
        """(created_by, start_ts, g1, g2, g3, value) of what production stored in a query's range."""
        sql = (
            "SELECT created_by, start_ts, g1, g2, g3, value FROM records "
            "WHERE measure_name = ? AND start_ts >= ? AND start_ts < ? AND kind = ? AND stored = 1"
        )
        params: list[Any] = [query.measure_name, query.start, query.end, Kind.MEASURE]
        if query.created_by is not None:
            sql += " AND created_by = ?"
            params.append(query.created_by)
        return self._query(sql, params)

    def export(self) -> dict[str, Any]:
        """Everything kept, as JSON: the summary and every record."""
        return {
            "exportedAt": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "summary": self.summary(),
            "records": [r.to_json() for r in self.records()],
        }


def _status_clause(status: str | int) -> tuple[str, list]:
    found = status_filter(status)
    return found.sql, list(found.params)


def _since_text(since: str | datetime) -> str:
    if isinstance(since, datetime):
        moment = since if since.tzinfo else since.replace(tzinfo=timezone.utc)
    else:
        try:
            moment = datetime.fromisoformat(since.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"since {since!r} is not an ISO 8601 time") from exc
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    # Reception times are kept to the millisecond: round up, so that a record
    # of the same millisecond but before ``since`` is not taken as after it.
    if moment.microsecond % 1000:
        moment += timedelta(microseconds=1000 - moment.microsecond % 1000)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _inspect(path: Path) -> bool:
    """Check a database file without writing to it; True if it is new (or empty).

    Raises StoreError, saying what is wrong, for a file that is not SQLite, is
    damaged, is of a newer schema or holds someone else's tables: such a file
    is left exactly as it is (no journal switch, no schema written).
    """
    def refuse(why: str) -> StoreError:
        return StoreError(f"{path} {why}; it was left untouched: choose another --db file or move it away")

    try:
        if not path.exists():
            return True
        if path.is_dir():
            raise StoreError(f"{path} is a folder, not a database file")
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
        if not os.access(path, os.W_OK):
            raise StoreError(f"cannot write to the receiver database {path} (no permission)")
    except OSError as exc:
        raise StoreError(f"cannot read the receiver database {path}: {exc.strerror or exc}") from exc
    if not header:
        return True  # an empty file is an empty database
    if header != SQLITE_HEADER:
        raise refuse("is not a receiver database (not an SQLite file)")
    # Without a -wal file beside it the file is the whole database: "immutable" reads
    # it without creating -wal/-shm files. With one (a crash), read it through it.
    wal = Path(f"{path}-wal")
    mode = "mode=ro" if wal.exists() and wal.stat().st_size else "immutable=1"
    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?{mode}", uri=True, timeout=WAIT)
    except sqlite3.Error as exc:
        raise refuse(f"cannot be opened as a database ({exc})") from exc
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        tables -= {"sqlite_sequence"}
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{path} was written by a newer dacc-gui (schema {version}, this one reads "
                f"{SCHEMA_VERSION}); it was left untouched: use another --db file"
            )
        if version == 0 and not tables:
            return True
        if version == 0 or not _TABLES <= tables:
            raise refuse("is not a receiver database (it has other tables)")
        # Reads every page: garbage in the middle of the file shows here, not at the first insert.
        problems = [r[0] for r in conn.execute("PRAGMA quick_check(5)")]
        if problems != ["ok"]:
            raise refuse("is damaged (SQLite: " + "; ".join(problems) + ")")
    except sqlite3.DatabaseError as exc:
        raise refuse(f"is damaged or not a database (SQLite: {exc})") from exc
    finally:
        conn.close()
    return False


def _clean(row: tuple) -> tuple:
    """The row with every text encodable as UTF-8 (a lone surrogate as a \\udXXX escape)."""
    return tuple(jsontext.encodable(v) if type(v) is str else v for v in row)


def _set_failed(record: Record, error: str) -> None:
    """The record says it was answered 503 with ``error``."""
    record.status = 503
    record.error = error
    record.response = jsontext.dumps({"error": error})


def _row(record: Record) -> tuple:
    measure_json = jsontext.dumps(record.measure, keep_nan=True) if record.has_measure else None
    columns = stored_columns(record.row if record.stored else None)
    return (
        record.received_at,
        record.method,
        record.path,
        record.kind,
        record.shape,
        json.dumps(record.headers, ensure_ascii=False),
        record.body,
        int(record.has_measure),
        measure_json,
        record.measure_name,
        record.status,
        record.response,
        record.error,
        json.dumps(record.warnings, ensure_ascii=False) if record.warnings else "[]",
        len(record.warnings),
        record.production_status,
        record.production_note,
        record.production_response,
        None if record.stored is None else int(record.stored),
        record.not_stored_reason,
        record.mode,
        record.fault,
        columns["created_by"],
        columns["start_ts"],
        columns["g1"],
        columns["g2"],
        columns["g3"],
        columns["value"],
    )


def _record(row: tuple) -> Record:
    (
        id_, received_at, method, path, kind, shape, headers, body, has_measure, measure,
        _name, status, response, error, warnings, _n, production_status, production_note,
        production_response, stored, not_stored_reason, mode, fault,
        *_aggregation,
    ) = row
    return Record(
        id=id_,
        received_at=received_at,
        method=method,
        path=path,
        kind=kind,
        shape=shape,
        headers=json.loads(headers),
        body=bytes(body),
        has_measure=bool(has_measure),
        measure=jsontext.loads(measure) if measure is not None else None,
        status=status,
        response=response,
        error=error,
        warnings=json.loads(warnings),
        production_status=production_status,
        production_note=production_note,
        production_response=production_response,
        stored=None if stored is None else bool(stored),
        not_stored_reason=not_stored_reason,
        mode=mode,
        fault=fault,
    )
