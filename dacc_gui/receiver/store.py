"""Where the receiver keeps every request: SQLite (WAL), written by one thread.

Requests are handed to a writer thread that commits them in batches (one
transaction for whatever arrived meanwhile), then calls each request's
``done`` callback and the listeners. The server answers a request only once
its ``done`` has fired, so what was acknowledged is stored.

Also kept: the keys of accepted measures, to flag one received twice (they
survive a restart; ``reset`` clears them), and how many old records were
dropped under the cap, and production's aggregation passes (``aggregates``,
``aggregation_passes``: see ``receiver.passes``). ``PRAGMA user_version``
holds the schema version; an older one is migrated, a newer one refused.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from dacc_gui.dacc.aggregate import stored_columns
from dacc_gui.receiver.filters import status_filter
from dacc_gui.receiver.records import Kind, Record
from dacc_gui.dacc.validation import duplicate_key

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
DEFAULT_CAP = 1_000_000
BATCH_MAX = 1000

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
_INSERT = f"INSERT INTO records ({_COLUMNS}) VALUES ({', '.join('?' * len(_COLUMNS.split(', ')))})"
_SELECT = f"SELECT id, {_COLUMNS} FROM records"


class StoreError(Exception):
    """The database cannot be used (newer schema, not a receiver database, I/O)."""


class _Seen:
    """The duplicate keys as the core validator's ``seen`` set sees them."""

    def __init__(self, keys: set[str]):
        self._keys = keys
        self.added: str | None = None  # the key the validator just checked, for the record

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def add(self, key: str) -> None:
        self._keys.add(key)
        self.added = key


class Store:
    """Every request the receiver got, in SQLite; ``path=None`` keeps it in memory."""

    _NO_LIMIT: int | None = -1  # SQLite's LIMIT for "all rows" (PostgreSQL's is NULL)

    def __init__(self, path: str | Path | None = None, cap: int = DEFAULT_CAP):
        if cap < 1:
            raise ValueError("the record cap must be at least 1")
        self.path = Path(path) if path is not None else None
        self.cap = cap
        self._listeners: list[Listener] = []
        self._write = self._connect()
        self._write_lock = threading.Lock()
        self._check_schema(self._write)
        if self.path is None:  # one connection: a memory database is private to it
            self._read, self._read_lock = self._write, self._write_lock
        else:
            self._read, self._read_lock = self._connect(), threading.Lock()
        self._count = self._write.execute("SELECT count(*) FROM records").fetchone()[0]
        self._dropped = int(self._meta("dropped") or 0)
        self._seen_lock = threading.Lock()
        self._seen = {row[0] for row in self._write.execute("SELECT key FROM duplicate_keys")}
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
            conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None, timeout=30)
            if self.path is not None:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the receiver database {target}: {exc}") from exc
        return conn

    def _check_schema(self, conn: sqlite3.Connection) -> None:
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a receiver database: {exc}") from exc
        if version == 0:
            if tables - {"sqlite_sequence"}:
                raise StoreError(f"{self.path} is not a receiver database (it has other tables)")
            conn.executescript(_SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION};")
        elif version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer dacc-gui (schema {version}, this one reads "
                f"{SCHEMA_VERSION}); use another --db file"
            )
        elif version == 1:
            conn.executescript(f"BEGIN; {_MIGRATE_1_TO_2} PRAGMA user_version = 2; COMMIT;")

    def _meta(self, name: str) -> str | None:
        row = self._write.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    # -- writing -------------------------------------------------------------
    @contextmanager
    def duplicate_keys(self) -> Iterator[_Seen]:
        """The keys of accepted measures, for ``validate_measure(seen=...)``.

        Held under a lock so that checking a key and remembering it is one step.
        """
        with self._seen_lock:
            yield _Seen(self._seen)

    def submit(self, record: Record, done: Done | None = None) -> None:
        """Queue a record; ``done(record, error)`` fires in the writer thread after commit."""
        if self._closed:
            raise StoreError("the receiver store is closed")
        self._queue.put(("add", record, done))

    def add(self, record: Record, timeout: float = 30) -> Record:
        """Store a record and wait for it (in-process use and tests)."""
        finished = threading.Event()
        errors: list[BaseException] = []

        def done(_: Record, error: BaseException | None) -> None:
            if error is not None:
                errors.append(error)
            finished.set()

        self.submit(record, done)
        if not finished.wait(timeout):
            raise StoreError("the receiver store did not answer in time")
        if errors:
            raise StoreError(f"could not store the record: {errors[0]}")
        return record

    def flush(self, timeout: float = 30) -> None:
        """Wait until everything submitted so far is committed."""
        self._command("flush", timeout)

    def reset(self, timeout: float = 30) -> int:
        """Forget every record and duplicate key; returns how many records went."""
        with self._seen_lock:
            self._seen.clear()
            return self._command("reset", timeout)

    def _command(self, name: str, timeout: float) -> Any:
        if self._closed:
            raise StoreError("the receiver store is closed")
        finished = threading.Event()
        box: list[Any] = []
        self._queue.put((name, box, finished))
        if not finished.wait(timeout):
            raise StoreError(f"the receiver store did not finish {name} in time")
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

    def close(self) -> None:
        """Commit what is queued, stop the writer, close the database."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(("stop", None, None))
        self._thread.join()
        for conn in {id(self._write): self._write, id(self._read): self._read}.values():
            conn.close()

    def _run(self) -> None:
        while True:
            op = self._queue.get()
            batch = []
            while op[0] == "add":
                batch.append(op)
                if len(batch) >= BATCH_MAX:
                    op = None
                    break
                try:
                    op = self._queue.get_nowait()
                except queue.Empty:
                    op = None
                    break
            if batch:
                self._commit(batch)
            if op is None:
                continue
            name, box, finished = op
            if name == "stop":
                return
            try:
                if name == "reset":
                    box.append(self._reset())
            except sqlite3.Error as exc:
                log.error("receiver store: %s failed: %s", name, exc)
                box.append(0)
            finished.set()

    def _commit(self, batch: list[tuple]) -> None:
        error: BaseException | None = None
        rows = [_row(record) for _, record, _ in batch]
        try:
            with self._write_lock:
                cur = self._write.cursor()
                cur.execute("BEGIN")
                try:
                    for (_, record, _), row in zip(batch, rows):
                        cur.execute(_INSERT, row)
                        record.id = cur.lastrowid
                    keys = [
                        (record.duplicate_key or duplicate_key(record.measure),)
                        for _, record, _ in batch
                        if record.stored and isinstance(record.measure, dict)
                    ]
                    if keys:
                        cur.executemany("INSERT OR IGNORE INTO duplicate_keys (key) VALUES (?)", keys)
                    self._count += len(batch)
                    if self._count > self.cap:
                        self._drop_oldest(cur)
                    cur.execute("COMMIT")
                except BaseException:
                    cur.execute("ROLLBACK")
                    self._count = cur.connection.execute("SELECT count(*) FROM records").fetchone()[0]
                    raise
        except Exception as exc:  # disk full, locked file...: the requests learn it
            log.error("receiver store: could not commit %d records: %s", len(batch), exc)
            error = exc
            for _, record, _ in batch:
                record.id = None
        for _, record, done in batch:
            if done is not None:
                try:
                    done(record, error)
                except Exception:
                    log.exception("receiver store: a done callback failed")
        if error is None:
            for record in (r for _, r, _ in batch):
                for listener in list(self._listeners):
                    try:
                        listener(record)
                    except Exception:
                        log.exception("receiver store: a listener failed")

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
            cur.execute("DELETE FROM records")
            removed = cur.rowcount
            cur.execute("DELETE FROM duplicate_keys")
            cur.execute("DELETE FROM meta WHERE name = 'dropped'")
            cur.execute("DELETE FROM aggregates")
            cur.execute("DELETE FROM aggregation_passes")
            cur.execute("COMMIT")
            self._count = 0
            self._dropped = 0
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
        }
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


def _row(record: Record) -> tuple:
    measure_json = (
        json.dumps(record.measure, ensure_ascii=False, allow_nan=True) if record.has_measure else None
    )
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
        measure=json.loads(measure) if measure is not None else None,
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
