"""A real PostgreSQL for the tests (the ``pgserver`` wheel bundles its binaries).

One server per test session, on a Unix socket in a temporary folder; each
test gets a database of its own (``fresh_database``), so that tests never see
each other's records.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.conninfo import conninfo_to_dict

_numbers = itertools.count(1)


@contextmanager
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL started for the session; stopped and removed after."""
    folder = tempfile.mkdtemp(prefix="dacc-pg-")
    with warnings.catch_warnings():  # its lock files' folder: platformdirs warns without XDG_RUNTIME_DIR
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(folder, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(server_url: str) -> str:
    """A new empty database on the server, as a URL."""
    name = f"receiver_{next(_numbers)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    parts = conninfo_to_dict(server_url)
    parts["dbname"] = name
    return "postgresql://" + "?" + "&".join(f"{k}={v}" for k, v in parts.items() if v not in (None, ""))
