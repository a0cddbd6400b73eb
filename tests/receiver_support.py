"""Shared helpers for the receiver tests: a live receiver on an ephemeral port."""

from __future__ import annotations

import hashlib
import json
import socket
import time
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
    kwargs.setdefault("host", "127.0.0.1")
    receiver = Receiver(db_path, port=0, **kwargs).start()
    try:
        with httpx.Client(base_url=receiver.url, timeout=10) as client:
            yield receiver, client
    finally:
        receiver.close()


def raw_request(port: int, path: str = "/measure", body: bytes = b"", host: str | None = None,
                headers: str = "Content-Type: application/json\r\n") -> bytes:
    """A whole HTTP/1.1 POST as bytes, for tests that cut or stall it."""
    host = host or f"127.0.0.1:{port}"
    return (f"POST {path} HTTP/1.1\r\nHost: {host}\r\n{headers}Content-Length: {len(body)}\r\n\r\n").encode() + body


def raw_exchange(port: int, data: bytes, half_close: bool = False, timeout: float = 5.0) -> bytes:
    """Send bytes on a fresh connection and read until the server closes it (or ``timeout``)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            answer += chunk
        return answer
    finally:
        sock.close()


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wait_for_records(store, n: int, timeout: float = 5.0) -> list:
    """The store's records once there are ``n`` (those of requests still being handled come late)."""
    deadline = time.monotonic() + timeout
    while store.count() < n and time.monotonic() < deadline:
        time.sleep(0.01)
    store.flush()
    records = store.records()
    assert len(records) == n, f"expected {n} records, got {len(records)}"
    return records
