"""Writing events back to a file: this project's format, ACH's, or the source's own shape.

The text is what ``json.dumps(..., ensure_ascii=False, indent=2)`` wrote
(JSON Lines: ``json.dumps`` of each document), written by msgspec, a minute
less for a million events; only the spelling of some floats differs (``1e16``
for ``1e+16``, the same number).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dacc_gui.common import collector, jsontext
from dacc_gui.common.atomic import write_atomic
from dacc_gui.events.context import UserContext
from dacc_gui.events.model import UsageEvent
from dacc_gui.events.eventset import EventSet, Shape


def documents(event_set: EventSet, strip_rev: bool = False) -> list[Any]:
    """Every document of the set, rejected ones back at their place."""
    docs: list[Any] = [e.to_document() for e in event_set.events]
    if strip_rev:
        for doc in docs:
            doc.pop("_rev", None)
    for rejected in sorted(event_set.rejected, key=lambda r: r.index):
        docs.insert(min(rejected.index, len(docs)), rejected.raw)
    return docs


def own_format(events: list[UsageEvent], context: UserContext | None, extra: dict[str, Any] | None = None,
               rejected: list | None = None) -> dict[str, Any]:
    """``{"events": [...], "context": {...}}``, other top-level keys kept in place."""
    docs = documents(EventSet(events=events, rejected=list(rejected or [])))
    return _fill(extra or {}, "events", docs, context)


def _fill(extra: dict[str, Any], key: str, docs: Any, context: UserContext | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, value in extra.items():
        out[k] = docs if k == key else value
    out.setdefault(key, docs)
    if context is not None:
        raw = extra.get("context")
        # An unchanged context is written as it was read (defaults not spelled out).
        if not (isinstance(raw, dict) and _same_context(raw, context)):
            out["context"] = context.to_json()
    return out


def _same_context(raw: dict[str, Any], context: UserContext) -> bool:
    try:
        return UserContext.model_validate(raw) == context
    except ValueError:
        return False


@collector.paused()  # a dict per event, and more for the rows of _all_docs
def to_json_object(event_set: EventSet, shape: Shape | None = None) -> Any:
    """The set as a JSON value of the given shape (default: its own)."""
    shape = shape or event_set.shape
    if shape is Shape.OWN:
        return own_format(event_set.events, event_set.context, event_set.extra, event_set.rejected)
    if shape is Shape.ACH:
        # ACH export strips _rev, and ACH import expects it absent.
        docs = documents(event_set, strip_rev=event_set.shape is not Shape.ACH)
        return _fill(event_set.extra if event_set.shape is Shape.ACH else {}, event_set.doctype, docs, None)
    if shape is Shape.ALL_DOCS:
        # The rejected documents of an _all_docs source are its rows as read
        # (a row without doc, a design doc's row): written back unwrapped.
        as_read = event_set.shape is Shape.ALL_DOCS
        rows: list[Any] = [_row(e.to_document()) for e in event_set.events]
        for rejected in sorted(event_set.rejected, key=lambda r: r.index):
            raw = rejected.raw
            rows.insert(min(rejected.index, len(rows)), raw if as_read or not isinstance(raw, dict) else _row(raw))
        return _fill(event_set.extra if as_read else {}, "rows", rows, None)
    docs = documents(event_set)
    if shape is Shape.ARRAY or shape is Shape.JSONL:
        return docs
    if shape is Shape.FIND:
        return _fill(event_set.extra if event_set.shape is Shape.FIND else {}, "docs", docs, None)
    if shape is Shape.NORMAL_DOCS:
        return _fill(event_set.extra if event_set.shape is Shape.NORMAL_DOCS else {}, "rows", docs, None)
    raise ValueError(f"unknown shape {shape}")


def _row(doc: dict[str, Any]) -> dict[str, Any]:
    """A CouchDB ``_all_docs?include_docs=true`` row."""
    return {"id": doc.get("_id"), "key": doc.get("_id"), "value": {"rev": doc.get("_rev")}, "doc": doc}


def _json_text(value: Any, shape: Shape, ensure_ascii: bool) -> str:
    """The text as the standard library writes it."""
    if shape is Shape.JSONL:
        return "".join(json.dumps(d, ensure_ascii=ensure_ascii) + "\n" for d in value)
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=2) + "\n"


def _utf8(value: Any, shape: Shape) -> bytes:
    """The same text in UTF-8, written by msgspec; UnicodeEncodeError on a lone surrogate."""
    if shape is Shape.JSONL:
        return b"".join([jsontext.encode(d, indent=0) + b"\n" for d in value])
    return jsontext.encode(value) + b"\n"


def dumps(event_set: EventSet, shape: Shape | None = None, ensure_ascii: bool = False) -> str:
    shape = shape or event_set.shape
    value = to_json_object(event_set, shape)
    if not ensure_ascii:
        try:
            return _utf8(value, shape).decode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate, kept in the text as the standard library writes it
    return _json_text(value, shape, ensure_ascii)


def encode(event_set: EventSet, shape: Shape | None = None) -> bytes:
    """The bytes ``save_file`` writes: UTF-8 JSON, indented (JSON Lines: a document a line)."""
    shape = shape or event_set.shape
    value = to_json_object(event_set, shape)
    try:
        return _utf8(value, shape)
    except UnicodeEncodeError:
        # A lone surrogate (read from a "\ud800" escape) has no UTF-8 form:
        # write every non-ASCII character escaped instead, losing nothing.
        return _json_text(value, shape, ensure_ascii=True).encode("ascii")


def save_file(event_set: EventSet, path: str | Path, shape: Shape | None = None) -> Path:
    """Write atomically: a crash mid-write never leaves half a file."""
    path = Path(path)
    data = encode(event_set, shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, data)
