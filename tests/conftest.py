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


@pytest.fixture(scope="module")
def shared_receiver():
    """A live receiver and a client on it, one per test module."""
    from tests.receiver_support import live_receiver

    with live_receiver() as pair:
        yield pair


@pytest.fixture
def live(shared_receiver):
    """The module's receiver and client, emptied before each test."""
    shared_receiver[0].store.reset()
    return shared_receiver
