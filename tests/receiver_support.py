"""Shared helpers for the receiver tests: a live receiver on an ephemeral port."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from dacc_gui.receiver import Receiver


def measure(**changes) -> dict:
    """A valid connection-count-daily measure, as Ecolyo sends it."""
    m = {
        "createdBy": "ecolyo",
        "measureName": "connection-count-daily",
        "startDate": "2021-12-08",
        "value": 1,
        "group1": {"device": "mobile"},
    }
    for key, value in changes.items():
        if value is ...:
            m.pop(key, None)
        else:
            m[key] = value
    return m


def wrapped(m, path: str | None = None) -> dict:
    body = {"data": json.dumps(m)}
    if path is not None:
        body = {"path": path, **body}
    return body


@contextmanager
def live_receiver(db_path: Path | None = None, **kwargs) -> Iterator[tuple[Receiver, httpx.Client]]:
    """A started receiver (memory unless db_path) and a client on it; both closed after."""
    receiver = Receiver(db_path, host="127.0.0.1", port=0, **kwargs).start()
    try:
        with httpx.Client(base_url=receiver.url, timeout=10) as client:
            yield receiver, client
    finally:
        receiver.close()
