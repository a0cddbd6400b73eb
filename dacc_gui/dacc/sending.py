"""Posting measures as Ecolyo's service does: the one sender of "Send to receiver" and the demo.

Ecolyo's service posts each indicator as
``fetchJSON('POST', url, {data: JSON.stringify(indicator)})``: a JSON body
``{"data": "<compact JSON string>"}`` (``{"path": "measure", "data": ...}``
for the ``_v2`` remote doctypes). Qt-free; callers run it off the UI thread.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

# What cozy-client's fetchJSON sends with a JSON body.
HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
TIMEOUT = httpx.Timeout(10.0, read=70.0)  # an injected delay of the receiver may last up to 60 s


def measure_json(payload: Any) -> str:
    """The measure as ``JSON.stringify`` writes it: compact, non-ASCII kept."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def ecolyo_body(payload: Any, v2: bool = False) -> dict[str, str]:
    """The body Ecolyo posts: the measure as a JSON string under ``data``."""
    if v2:
        return {"path": "measure", "data": measure_json(payload)}
    return {"data": measure_json(payload)}


def ecolyo_bytes(payload: Any) -> bytes:
    return json.dumps(ecolyo_body(payload), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass
class SendResult:
    """One measure and what the receiver answered (``status`` None: nothing answered)."""

    payload: dict[str, Any]
    status: int | None = None
    answer: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 201

    @property
    def level(self) -> str:
        return "ok" if self.ok else "error"

    def outcome(self) -> str:
        if self.status is None:
            return self.error or "not sent"
        text = self.answer.strip()
        try:
            parsed = json.loads(text)
            if isinstance(parsed, dict) and "error" in parsed:
                text = str(parsed["error"])
        except ValueError:
            pass  # an answer that is not JSON (the DACC's 401 page) is shown as it is
        if self.status == 201:
            return "accepted"
        return text[:300] if text else f"HTTP {self.status}"


def post_measures(
    url: str,
    payloads: Sequence[dict[str, Any]],
    on_result: Callable[[SendResult], None],
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    senders: int = 1,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """Post each payload to ``url`` + ``/``, never retried (a measure posted twice counts twice).

    ``senders`` connections run side by side (users' services do too); with
    one, the payloads go in order. ``on_result`` and ``progress`` are called
    one at a time. Returns how many were posted (fewer after a Cancel).
    """
    total = len(payloads)
    if total == 0:
        return 0
    target = url.rstrip("/") + "/"
    lock = threading.Lock()
    sent = [0]

    def post_all(chunk: Sequence[dict[str, Any]]) -> None:
        with httpx.Client(timeout=TIMEOUT, transport=transport) as client:
            for payload in chunk:
                if cancelled is not None and cancelled():
                    return
                result = SendResult(payload)
                try:
                    response = client.post(target, content=ecolyo_bytes(payload), headers=HEADERS)
                except httpx.HTTPError as exc:
                    result.error = f"no answer from {url}: {type(exc).__name__} ({exc})"
                else:
                    result.status, result.answer = response.status_code, response.text
                with lock:
                    on_result(result)
                    sent[0] += 1
                    if progress is not None:
                        progress(sent[0], total)

    senders = max(1, min(senders, total))
    if senders == 1:
        post_all(payloads)
    else:
        chunks = [payloads[i::senders] for i in range(senders)]
        with ThreadPoolExecutor(max_workers=senders, thread_name_prefix="send") as pool:
            for future in [pool.submit(post_all, c) for c in chunks]:
                future.result()
    return sent[0]
