"""A receiver someone else runs (a QA team's shared one), used through its control API.

``RemoteReceiver`` offers what the app uses of a built-in :class:`Receiver`
(its URL, its records through ``.store``, the aggregates two ways, an
aggregation pass, the faults, the answering mode, listeners told of new
records), over HTTP with the receiver's token. New records are found by
asking for those after the last one seen, once a second, on a thread of
its own; the remote server itself is never started or stopped from here.
Qt-free.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import httpx

from dacc_gui.receiver.faults import Fault, FaultError
from dacc_gui.receiver.records import Record

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
PAGE = 500


class RemoteError(Exception):
    """The shared receiver cannot be used: unreachable, a wrong token, an answer that is not its own."""


def record_from_json(data: dict[str, Any]) -> Record:
    """A record as the control API gives it (``Record.to_json``), back as a ``Record``."""
    measure = data.get("measure")
    return Record(
        id=data.get("id"), received_at=data.get("receivedAt", ""), method=data.get("method", ""),
        path=data.get("path", ""), kind=data.get("kind", "measure"), shape=data.get("shape"),
        headers=dict(data.get("headers") or {}), body=str(data.get("body") or "").encode("utf-8", "surrogatepass"),
        measure=measure, has_measure=measure is not None, status=int(data.get("status") or 0),
        response=data.get("response") or "", error=data.get("error"), warnings=list(data.get("warnings") or []),
        production_status=data.get("productionStatus"), production_note=data.get("productionNote"),
        production_response=data.get("productionResponse"), stored=data.get("stored"),
        not_stored_reason=data.get("notStoredReason"), mode=data.get("mode"), fault=data.get("fault"),
    )


class _Api:
    def __init__(self, url: str, token: str | None, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RemoteError(f"the shared receiver at {self.url} does not answer ({type(exc).__name__}: {exc})") \
                from None
        if response.status_code in (401, 403):
            raise RemoteError(f"the shared receiver at {self.url} refused the token ({response.status_code}): "
                              "ask whoever runs it for the token given to its serve --token")
        try:
            body = response.json()
        except ValueError:
            raise RemoteError(f"{self.url}{path} answered {response.status_code} with no JSON: "
                              "is this a DACC Inspector receiver?") from None
        if response.status_code >= 400:
            message = body.get("error") if isinstance(body, dict) else None
            raise RemoteError(f"{self.url}{path}: {message or response.status_code}")
        return body

    def close(self) -> None:
        self.http.close()


class RemoteStore:
    """The records of the shared receiver, read as ``Store`` gives them."""

    def __init__(self, api: _Api) -> None:
        self.api = api

    def records(self, limit: int | None = None, offset: int = 0, **filters: Any) -> list[Record]:
        params = {"offset": offset, "limit": limit if limit is not None else 100_000}
        for name, value in filters.items():
            if value is not None:
                params["measureName" if name == "measure" else name] = value
        body = self.api.call("GET", "/_receiver/measures", params=params)
        return [record_from_json(r) for r in body.get("records", [])]

    def summary(self) -> dict[str, Any]:
        return self.api.call("GET", "/_receiver/summary")

    def count(self) -> int:
        return int(self.summary().get("requests", 0))

    def reset(self) -> int:
        return int(self.api.call("POST", "/_receiver/reset").get("removed", 0))

    def export(self) -> dict[str, Any]:
        return self.api.call("GET", "/_receiver/export")

    def flush(self, timeout: float | None = None) -> bool:
        return True  # what the shared receiver answered is already in its database


class RemoteFaults:
    """The shared receiver's fault injection (``/_receiver/faults``)."""

    def __init__(self, api: _Api) -> None:
        self.api = api

    def inject(self, kind: str, count: int = 1, delay: float | None = None) -> None:
        try:
            self.api.call("POST", "/_receiver/faults", json={"kind": kind, "count": count, "delay": delay})
        except RemoteError as exc:
            raise FaultError(str(exc)) from None  # the shared receiver's own refusal, said as the built-in's

    def clear(self) -> int:
        return int(self.api.call("DELETE", "/_receiver/faults").get("cleared", 0))

    def pending(self) -> list[Fault]:
        return [Fault(f["kind"], int(f["remaining"]), float(f.get("delay") or 0.0))
                for f in self.api.call("GET", "/_receiver/faults").get("pending", [])]


class RemoteReceiver:
    """A shared receiver at ``url``, reached with ``token`` (see the module doc)."""

    def __init__(self, url: str, token: str | None = None, poll_seconds: float = POLL_SECONDS) -> None:
        self.api = _Api(url, token)
        self.url = self.api.url
        self.store = RemoteStore(self.api)
        self.faults = RemoteFaults(self.api)
        self.poll_seconds = poll_seconds
        self._listeners: list[Callable[[Record], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_id = 0
        self.error: str | None = None  # the last polling failure, if any

    # --- what the app uses of a receiver -------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def port(self) -> int:
        return httpx.URL(self.url).port or 80

    def start(self) -> RemoteReceiver:
        """Check that it answers with this token, then follow its new records."""
        summary = self.store.summary()  # raises RemoteError with the reason
        newest = self.store.records(limit=1, offset=max(0, int(summary.get("requests", 0)) - 1))
        self._last_id = newest[-1].id or 0 if newest else 0
        self._stop.clear()
        self._thread = threading.Thread(target=self._follow, name="shared-receiver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop following it (the shared receiver itself keeps serving)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def close(self) -> None:
        self.stop()
        self.api.close()

    def add_listener(self, listener: Callable[[Record], None]) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Record], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    @property
    def clear_errors(self) -> bool:
        return bool(self.api.call("GET", "/_receiver/mode").get("clearErrors"))

    @clear_errors.setter
    def clear_errors(self, value: bool) -> None:
        self.api.call("POST", "/_receiver/mode", json={"clearErrors": bool(value)})

    def aggregate(self, measure: str, start: str, end: str, created_by: str | None = None,
                  include_hidden: bool = False, view: str = "live") -> list[dict[str, Any]]:
        params = {"measureName": measure, "startDate": start, "endDate": end, "view": view,
                  "hidden": "true" if include_hidden else "false"}
        if created_by is not None:
            params["createdBy"] = created_by
        rows = self.api.call("GET", "/_receiver/aggregates", params=params).get("rows", [])
        # the live view always comes with its hidden groups, marked
        return rows if include_hidden else [r for r in rows if not r.get("hidden")]

    def run_aggregation(self, force: bool = True, measure: str | None = None) -> list[Any]:
        body = self.api.call("POST", "/_receiver/aggregation",
                             json={"force": force, **({"measureName": measure} if measure else {})})
        return [_Outcome(o) for o in body.get("passes", [])]

    def aggregation_status(self) -> dict[str, Any]:
        return self.api.call("GET", "/_receiver/aggregation")

    # --- following -------------------------------------------------------------------------
    def poll(self) -> list[Record]:
        """The records after the last one seen (the listeners are told of each)."""
        found = self.store.records(after=self._last_id, limit=PAGE)
        for record in found:
            self._last_id = max(self._last_id, record.id or 0)
            for listener in list(self._listeners):
                listener(record)
        return found

    def _follow(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                while len(self.poll()) == PAGE and not self._stop.is_set():
                    pass  # a burst: read on at once
                self.error = None
            except RemoteError as exc:
                if self.error != str(exc):
                    log.warning("shared receiver: %s", exc)
                self.error = str(exc)


class _Outcome:
    """One definition's pass, as ``/_receiver/aggregation`` reports it (``PassOutcome``'s fields)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.measure_name = data.get("measureName")
        self.ran = bool(data.get("ran"))
        self.ok = bool(data.get("ok", True))
        self.raw_rows = int(data.get("rawRows") or 0)
        self.groups = int(data.get("groups") or 0)
        self.error = data.get("error")
