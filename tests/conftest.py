"""Shared fixtures. Qt runs headless in every test."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# No per-example deadline: on a shared build machine a slow example is load, not a bug.
settings.register_profile("dacc", deadline=None)
settings.load_profile("dacc")

DATA = Path(__file__).parent / "data"
GOLDEN = sorted((DATA / "golden").glob("*.json"))


@pytest.fixture
def golden_cases() -> list[dict]:
    return [json.loads(p.read_text()) for p in GOLDEN]


@pytest.fixture(scope="module")
def cozy_server():
    """A fake Cozy stack on an ephemeral port, one per test module."""
    from tests.fake_cozy import FakeCozyServer

    with FakeCozyServer() as server:
        yield server


# The receiver's answer tests run on both stores: SQLite (in memory) and PostgreSQL.
BACKENDS = ["sqlite", "postgresql"]


def _database(request) -> str | None:
    """None (SQLite in memory) or an empty PostgreSQL database, as the parameter says."""
    if request.param == "sqlite":
        return None
    from tests.postgres_support import fresh_database

    return fresh_database(request.getfixturevalue("postgres_server"))


@pytest.fixture(params=BACKENDS)
def receiver_db(request):
    """Where a test's receiver keeps its records: each test once per store."""
    return _database(request)


@pytest.fixture(scope="module", params=BACKENDS)
def module_db(request):
    """The same, for a module's receiver: one database per module and store."""
    return _database(request)


@pytest.fixture(scope="module")
def shared_receiver(module_db):
    """A live receiver and a client on it, one per test module and store."""
    from tests.receiver_support import live_receiver

    with live_receiver(module_db) as pair:
        yield pair


@pytest.fixture
def live(shared_receiver):
    """The module's receiver and client, emptied before each test."""
    shared_receiver[0].store.reset()
    return shared_receiver


@pytest.fixture(scope="session")
def postgres_server():
    """One real PostgreSQL for the whole session (started only by tests that ask for it)."""
    from tests.postgres_support import postgres_server as start

    with start() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server):
    """An empty database of its own on the session's PostgreSQL."""
    from tests.postgres_support import fresh_database

    return fresh_database(postgres_server)
