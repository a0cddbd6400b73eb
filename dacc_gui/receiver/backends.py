"""The one place that picks the receiver's store from a ``--db`` value.

A ``postgresql://`` (or ``postgres://``) URL opens :class:`PostgresStore`, a team's
shared receiver; anything else is a SQLite file (``None``: memory), the default.
"""

from __future__ import annotations

from pathlib import Path

from dacc_gui.receiver.store import DEFAULT_CAP, Store

URL_PREFIXES = ("postgresql://", "postgres://")


def is_postgres_url(db: object) -> bool:
    return isinstance(db, str) and db.startswith(URL_PREFIXES)


def open_store(db: str | Path | None, cap: int = DEFAULT_CAP) -> Store:
    if is_postgres_url(db):
        from dacc_gui.receiver.pg_store import PostgresStore  # psycopg only loaded when asked for

        return PostgresStore(db, cap=cap)  # type: ignore[arg-type]
    return Store(db, cap=cap)
