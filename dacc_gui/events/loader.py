"""Loading usage events from a JSON export, whatever its shape.

Bad input never raises anything but ``LoadError`` (a message that says what
and where); documents that are not events are reported and kept aside.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dacc_gui import DEFAULT_DOCTYPE
from dacc_gui.common import collector, jsontext
from dacc_gui.common.cancel import Cancelled, release
from dacc_gui.common.jsontext import JSONTextError
from dacc_gui.events.context import ContextError, UserContext
from dacc_gui.events.model import Reader
from dacc_gui.events.eventset import EventSet, RejectedDocument, Shape

Progress = Callable[[int, int], None]  # (done, total)
CHUNK = 2_000  # events built between two looks at Cancel (a few milliseconds)
_BOM = codecs.BOM_UTF8


class LoadError(Exception):
    """A source that cannot be read at all; the message says what and where."""


def load_file(
    path: str | Path,
    doctype: str = DEFAULT_DOCTYPE,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> EventSet:
    """Read events from a file (JSON in any known shape, or JSON Lines)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    result = parse_events(data, doctype, progress, cancelled, name=str(path))
    result.source = str(path)
    return result


@collector.paused()
def parse_events(
    data: bytes | str,
    doctype: str = DEFAULT_DOCTYPE,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    name: str = "input",
) -> EventSet:
    """Read events from the text of an export."""
    if isinstance(data, bytes):
        # Standard JSON in UTF-8, the common case, is read from the bytes as
        # they are (no copy as text); anything else goes the way below.
        top = _outline(memoryview(data)[3:] if data[:3] == _BOM else data, doctype)
        if top is not jsontext.UNREAD:
            try:
                return from_json(top, doctype, progress, cancelled, name)
            except (_Unread, LoadError):
                # A document that is not standard JSON, or a source refused
                # before its documents were all read: read again below, so
                # that what is said is what reading the whole text says.
                pass
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise LoadError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    if not data.strip():
        raise LoadError(f"{name}: the file is empty")
    try:
        top = jsontext.loads(data, finite=True)
    except JSONTextError as exc:
        if exc.reason == "Extra data" and "\n" in data.strip():
            return _from_documents(_json_lines(data, name), Shape.JSONL, doctype, None, {}, progress, cancelled, name)
        raise LoadError(f"{name}: {exc}") from None
    return from_json(top, doctype, progress, cancelled, name)


@collector.paused()
def from_json(
    top: Any,
    doctype: str = DEFAULT_DOCTYPE,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    name: str = "input",
) -> EventSet:
    """Read events from already-parsed JSON, detecting the export's shape."""
    if isinstance(top, list):
        return _from_documents(top, Shape.ARRAY, doctype, None, {}, progress, cancelled, name)
    if not isinstance(top, dict):
        raise LoadError(f"{name}: expected a JSON array or object of events, got {_kind(top)}")
    key = _documents_key(top, doctype)
    if key == "events":
        extra = _placeholder(top, "events")
        context = _context(top.get("context"), name)
        return _from_documents(top["events"], Shape.OWN, doctype, context, extra, progress, cancelled, name)
    if key == "rows" and _normal_docs_rows(top):
        extra = _placeholder(top, "rows")
        return _from_documents(top["rows"], Shape.NORMAL_DOCS, doctype, None, extra, progress, cancelled, name)
    if key == "rows":
        docs = []
        for n, row in enumerate(top["rows"]):
            docs.append(row["doc"] if isinstance(row, dict) and isinstance(row.get("doc"), dict) else _Unwrapped(row))
        extra = _placeholder(top, "rows")
        result = _from_documents(docs, Shape.ALL_DOCS, doctype, None, extra, progress, cancelled, name)
        # Keep what was rejected as the row it was, so that saving writes it back as read.
        for rejected in result.rejected:
            rejected.raw = top["rows"][rejected.index]
        return result
    if key == "docs":
        extra = _placeholder(top, "docs")
        return _from_documents(top["docs"], Shape.FIND, doctype, None, extra, progress, cancelled, name)
    if key is not None:
        # An ACH export: of the doctype, or of another spelling of it (…usageevents).
        extra = _placeholder(top, key)
        return _from_documents(top[key], Shape.ACH, key, None, extra, progress, cancelled, name)
    keys = ", ".join(list(top)[:5]) or "none"
    # An expected key holding something else than a list is the likely mistake: name it.
    wrong = [f"'{k}' is {_kind(top[k])}" for k in ("events", "rows", "docs", doctype) if k in top]
    why = f"; {', '.join(wrong)}, not a list" if wrong else ""
    raise LoadError(
        f"{name}: no events found: expected a list, or an object with 'events', 'rows', 'docs' "
        f"or '{doctype}' (keys found: {keys}){why}"
    )


def _documents_key(top: dict[str, Any], doctype: str) -> str | None:
    """The key of an export object that holds the documents, or None: the
    first of 'events', 'rows', 'docs' and the doctype that is an array, else
    the only array whose key is a doctype (has a dot)."""
    for key in ("events", "rows", "docs", doctype):
        if isinstance(top.get(key), list):
            return key
    lists = [k for k, v in top.items() if isinstance(v, list)]
    return lists[0] if len(lists) == 1 and "." in lists[0] else None


class _Unread(Exception):
    """A document of an outline that is not standard JSON."""


def _outline(data: bytes | memoryview, doctype: str) -> Any:
    """Standard JSON text read with its documents left as parts, each read as
    the loader comes to it: what a document leaves behind is reused by the
    next one instead of a whole file's worth of parsed documents being freed
    in the middle of the events (a fifth of the memory held, with the
    allocator's slack). Everything else is read at once. ``UNREAD`` when the
    text is not standard JSON (or not an array or object)."""
    top = jsontext.read_outline(data)
    if isinstance(top, list) or top is jsontext.UNREAD:
        return top
    # One level down, arrays as parts, to know the documents' key as from_json will.
    out: dict[str, Any] = {}
    for key, part in top.items():
        value = jsontext.read_part(part, parts=bytes(memoryview(part)[:1]) == b"[")
        if value is jsontext.UNREAD:
            return value
        out[key] = value
    docs = _documents_key(out, doctype)
    if docs == "rows":  # rows are looked into to tell _all_docs from _normal_docs
        docs = None
    for key, value in out.items():
        if isinstance(value, list) and key != docs:
            value = [jsontext.read_part(part) for part in value]
            if any(v is jsontext.UNREAD for v in value):
                return jsontext.UNREAD
            out[key] = value
    return out


def _normal_docs_rows(top: dict[str, Any]) -> bool:
    """``rows`` holding the documents themselves (cozy-stack's ``_normal_docs``), not
    ``_all_docs`` rows (which always have a ``key``, and a ``doc`` with include_docs)."""
    rows = top["rows"]
    if any(isinstance(r, dict) and ("key" in r or "doc" in r) for r in rows):
        return False
    return any(isinstance(r, dict) and "_id" in r for r in rows) or (not rows and "bookmark" in top)


def _placeholder(top: dict[str, Any], key: str) -> dict[str, Any]:
    """The top-level keys in their order, the events' own key left empty."""
    return {k: (None if k == key else v) for k, v in top.items()}


class _Unwrapped:
    """An ``_all_docs`` row without its document (``include_docs`` missing)."""

    def __init__(self, row: Any) -> None:
        self.row = row


def _json_lines(data: str, name: str) -> list[Any]:
    docs = []
    # split("\n"), not splitlines(): a JSON string may hold a raw U+2028 or
    # form feed, which splitlines() would cut the line at.
    for lineno, line in enumerate(data.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            docs.append(jsontext.loads(line, finite=True))
        except JSONTextError as exc:
            if exc.colno is None:  # no position within the line (nested too deeply)
                raise LoadError(f"{name}: JSON {exc.reason} at line {lineno}") from None
            raise LoadError(f"{name}: invalid JSON at line {lineno}, column {exc.colno}: {exc.reason}") from None
    return docs


def _context(raw: Any, name: str) -> UserContext | None:
    if raw is None:
        return None
    try:
        return UserContext.parse(raw, where=f"{name}: context")
    except ContextError as exc:
        raise LoadError(str(exc)) from None


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _from_documents(
    docs: list[Any],
    shape: Shape,
    doctype: str,
    context: UserContext | None,
    extra: dict[str, Any],
    progress: Progress | None,
    cancelled: Callable[[], bool] | None,
    name: str,
) -> EventSet:
    result = EventSet(context=context, shape=shape, doctype=doctype, extra=extra, source=name)
    events = result.events
    total = len(docs)
    build = Reader().event
    part, read, unread = jsontext.Part, jsontext.read_part, jsontext.UNREAD
    for start in range(0, total, CHUNK):
        if cancelled is not None and cancelled():
            release(result.events, result.rejected, docs)  # what was read goes, without holding the app
            raise Cancelled()
        for index in range(start, min(start + CHUNK, total)):
            doc = docs[index]
            if type(doc) is part:
                doc = read(doc)
                if doc is unread:
                    raise _Unread()
            if type(doc) is not dict:
                result.rejected.append(_reject_shape(index, doc))
                continue
            try:
                event = build(doc)
            except ValidationError as exc:
                result.rejected.append(_reject_invalid(index, doc, exc))
                continue
            events.append(event)
        if progress is not None:
            progress(min(start + CHUNK, total), total)
    if progress is not None and total == 0:
        progress(0, 0)
    return result


def _reject_shape(index: int, doc: Any) -> RejectedDocument:
    if isinstance(doc, _Unwrapped):
        row = doc.row
        doc_id = row.get("id") if isinstance(row, dict) else None
        return RejectedDocument(index, "row without its document (was include_docs=true missing?)", row, doc_id)
    return RejectedDocument(index, f"not an event: expected an object, got {_kind(doc)}", doc)


def _reject_invalid(index: int, doc: dict[str, Any], exc: ValidationError) -> RejectedDocument:
    doc_id = doc.get("_id") if isinstance(doc.get("_id"), str) else None
    if isinstance(doc_id, str) and doc_id.startswith("_design/"):
        return RejectedDocument(index, "design document, not an event", doc, doc_id)
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err["loc"]) or "document"
        parts.append(f"{loc}: {err['msg'].lower()}")
    return RejectedDocument(index, "not an event: " + "; ".join(parts), doc, doc_id)
