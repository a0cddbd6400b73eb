"""Reading every usage event of a Cozy, page by page.

Two ways (cozy-api.md): ``_normal_docs`` (the default: every document but
design docs, 1000 a page, a bookmark to go on, stop on a short page) or Mango
``_find`` after creating its index on ``eventDate`` (documents without an
``eventDate`` are not in that index, so ``_find`` does not return them). A
doctype whose database does not exist yet is an empty list.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dacc_gui import DEFAULT_DOCTYPE
from dacc_gui.cozy.client import CozyClient, CozyHTTPError
from dacc_gui.events.eventset import EventSet, Shape
from dacc_gui.common.cancel import Cancelled
from dacc_gui.events.loader import from_json

Progress = Callable[[int, int], None]  # (documents read, total; 0 when unknown)

PAGE_SIZE = 1000  # the stack's cap: a larger limit is silently reset to 100
NO_DATABASE = "Database does not exist."
NORMAL_DOCS, FIND = "normal_docs", "find"


@dataclass
class PullResult:
    """What was read: the documents as the server gave them, and as events."""

    documents: list[dict[str, Any]]
    event_set: EventSet
    database_missing: bool = False

    def originals(self) -> dict[str, dict[str, Any]]:
        """The documents read, by ``_id``: what edits are compared with on save."""
        return {d["_id"]: d for d in self.documents if isinstance(d.get("_id"), str)}


def _missing_database(exc: CozyHTTPError) -> bool:
    body = exc.body if isinstance(exc.body, dict) else {}
    return exc.status == 404 and body.get("reason") == NO_DATABASE


def read_documents(
    client: CozyClient,
    doctype: str = DEFAULT_DOCTYPE,
    *,
    method: str = NORMAL_DOCS,
    page_size: int = PAGE_SIZE,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """Every document of ``doctype``, and whether its database was missing."""
    if not 0 < page_size <= PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {PAGE_SIZE} (the stack resets more to 100)")
    reader = {NORMAL_DOCS: _normal_docs, FIND: _find}.get(method)
    if reader is None:
        raise ValueError(f"unknown read method {method!r} (expected {NORMAL_DOCS!r} or {FIND!r})")
    try:
        return reader(client, doctype, page_size, progress, cancelled), False
    except CozyHTTPError as exc:
        if _missing_database(exc):
            if progress is not None:
                progress(0, 0)
            return [], True
        raise


def _normal_docs(client: CozyClient, doctype: str, page_size: int, progress: Progress | None,
                 cancelled: Callable[[], bool] | None) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    bookmark = ""
    while True:
        if cancelled is not None and cancelled():
            raise Cancelled()
        params: dict[str, Any] = {"limit": page_size}
        if bookmark:
            params["bookmark"] = bookmark
        page = client.json("GET", f"/data/{doctype}/_normal_docs", params=params, cancelled=cancelled)
        rows = page.get("rows") or []
        docs.extend(rows)
        total = int(page.get("total_rows") or 0)
        if progress is not None:
            progress(len(docs), max(total, len(docs)))
        next_mark = page.get("bookmark") or ""
        # No ``next`` field: a short page is the last one.
        if len(rows) < page_size or not next_mark or next_mark == bookmark:
            return docs
        bookmark = next_mark


def _find(client: CozyClient, doctype: str, page_size: int, progress: Progress | None,
          cancelled: Callable[[], bool] | None) -> list[dict[str, Any]]:
    client.json("POST", f"/data/{doctype}/_index", json={"index": {"fields": ["eventDate"]}})
    docs: list[dict[str, Any]] = []
    bookmark = None
    while True:
        if cancelled is not None and cancelled():
            raise Cancelled()
        body: dict[str, Any] = {"selector": {"eventDate": {"$gt": None}}, "limit": page_size}
        if bookmark:
            body["bookmark"] = bookmark
        page = client.json("POST", f"/data/{doctype}/_find", json=body, cancelled=cancelled)
        rows = page.get("docs") or []
        docs.extend(rows)
        if progress is not None:
            progress(len(docs), 0)  # _find does not say how many there are
        if not page.get("next") or not rows:
            if progress is not None:
                progress(len(docs), len(docs))
            return docs
        bookmark = page.get("bookmark")


def pull_events(
    client: CozyClient,
    doctype: str = DEFAULT_DOCTYPE,
    *,
    method: str = NORMAL_DOCS,
    page_size: int = PAGE_SIZE,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> PullResult:
    """Every usage event, as documents and as an ``EventSet`` (own format, ``_rev`` kept)."""
    docs, missing = read_documents(
        client, doctype, method=method, page_size=page_size, progress=progress, cancelled=cancelled
    )
    # The events get their own copy: editing them never touches the originals.
    event_set = from_json(json.loads(json.dumps(docs)), doctype, name=client.url)
    event_set.shape = Shape.OWN
    event_set.extra = {}
    event_set.source = client.url
    return PullResult(docs, event_set, missing)
