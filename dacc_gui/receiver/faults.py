"""Fault injection: answer the next N requests badly, to test the sender.

Kinds: ``delay`` (answer normally, but after ``delay`` seconds), ``500``
(the real DACC's JSON 500) and ``401`` (the real DACC's HTML page for a bad
token). A ``delay`` can be given with the other kinds too. Faults apply to the
DACC routes in the order they were injected, never to the control API.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

KINDS = ("delay", "500", "401")
MAX_DELAY = 60.0


@dataclass
class Fault:
    kind: str
    remaining: int
    delay: float = 0.0

    def to_json(self) -> dict:
        return {"kind": self.kind, "remaining": self.remaining, "delay": self.delay}


class FaultError(ValueError):
    """A fault request that makes no sense (unknown kind, negative count...)."""


class Faults:
    """The queue of pending faults; thread-safe (the app and the server share it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[Fault] = []

    def inject(self, kind: str | int, count: int = 1, delay: float | None = None) -> Fault:
        """Answer the next ``count`` requests with ``kind`` (after ``delay`` seconds)."""
        kind = str(kind).strip().lower()
        if kind not in KINDS:
            raise FaultError(f"unknown fault kind {kind!r}: use one of {', '.join(KINDS)}")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise FaultError(f"count must be a whole number of requests, at least 1 (got {count!r})")
        if delay is None:
            delay = 1.0 if kind == "delay" else 0.0
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= MAX_DELAY:
            raise FaultError(f"delay must be a number of seconds between 0 and {MAX_DELAY:g} (got {delay!r})")
        fault = Fault(kind, count, float(delay))
        with self._lock:
            self._pending.append(fault)
        return fault

    def take(self) -> Fault | None:
        """The fault for the request at hand, if any (uses one of its count)."""
        with self._lock:
            if not self._pending:
                return None
            fault = self._pending[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._pending.pop(0)
            return Fault(fault.kind, 1, fault.delay)

    def pending(self) -> list[Fault]:
        with self._lock:
            return [Fault(f.kind, f.remaining, f.delay) for f in self._pending]

    def clear(self) -> int:
        with self._lock:
            n = sum(f.remaining for f in self._pending)
            self._pending.clear()
            return n
