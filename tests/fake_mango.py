"""The Mango part of the fake Cozy stack: json indexes, selectors, ``_find``.

Follows CouchDB 3's mango (``mango_idx_view``, ``mango_selector``) as far as
the documents this project touches need: an index on fields ``[a, b]`` holds
only the documents that have both; it is usable for a query when the
selector requires every one of its fields to exist (sort fields excepted) and
the sort, if any, is a prefix of its fields; the special ``_all_docs`` index
(by ``_id``) serves a query only without a warning when the selector ranges
over ``_id``. Left out: text indexes, ``$elemMatch``/``$allMatch``/``$keyMapMatch``,
``$mod``, ``$type``, partitioned databases, and CouchDB's choice among several
usable indexes (the fake takes the one with the most fields).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

MISSING = object()
DESIGN = "_design/"


class MangoError(Exception):
    """A CouchDB error for ``_find`` or ``_index``: status, error and reason as CouchDB says them."""

    def __init__(self, status: int, error: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.error, self.reason = status, error, reason


# --- values ---------------------------------------------------------------------

def collation(value: Any) -> tuple:
    """CouchDB's order: null < false < true < numbers < strings < arrays < objects."""
    if value is None:
        return (0,)
    if value is False:
        return (1,)
    if value is True:
        return (2,)
    if isinstance(value, (int, float)):
        return (3, value)
    if isinstance(value, str):
        return (4, value)
    if isinstance(value, list):
        return (5, [collation(v) for v in value])
    return (6, json.dumps(value, sort_keys=True))


def get_field(doc: Any, path: str) -> Any:
    value = doc
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return MISSING
        value = value[part]
    return value


def project(doc: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """Only the named fields (dotted paths kept nested), like ``fields`` in ``_find``."""
    out: dict[str, Any] = {}
    for path in fields:
        value = get_field(doc, path)
        if value is MISSING:
            continue
        parts = path.split(".")
        target = out
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return out


# --- selectors ------------------------------------------------------------------

_COMPARE = {
    "$eq": lambda v, a: collation(v) == collation(a),
    "$ne": lambda v, a: collation(v) != collation(a),
    "$gt": lambda v, a: collation(v) > collation(a),
    "$gte": lambda v, a: collation(v) >= collation(a),
    "$lt": lambda v, a: collation(v) < collation(a),
    "$lte": lambda v, a: collation(v) <= collation(a),
}
_COMBINATIONS = ("$and", "$or", "$nor")


def _operator(op: str, value: Any, arg: Any) -> bool:
    if op == "$exists":
        return (value is not MISSING) == bool(arg)
    if op in _COMPARE:
        return _COMPARE[op](value, arg)
    if op in ("$in", "$nin"):
        if not isinstance(arg, list):
            raise MangoError(400, "bad_arg", f"{op} requires an array")
        found = any(collation(value) == collation(a) for a in arg)
        return found if op == "$in" else not found
    if op == "$not":
        return not _condition(value, arg)
    if op == "$regex":
        return isinstance(value, str) and re.search(arg, value) is not None
    if op == "$size":
        return isinstance(value, list) and len(value) == arg
    if op == "$all":
        return isinstance(value, list) and all(any(collation(v) == collation(a) for v in value) for a in arg)
    raise MangoError(400, "invalid_operator", f"Invalid operator: {op}")


def _condition(value: Any, condition: Any) -> bool:
    if value is MISSING:
        # CouchDB: a missing field fails every condition but {"$exists": false}.
        return condition == {"$exists": False}
    if isinstance(condition, dict) and condition and all(k.startswith("$") for k in condition):
        return all(_operator(op, value, arg) for op, arg in condition.items())
    if isinstance(condition, dict) and condition:
        # A sub-object selector: {"a": {"b": 1}} is a.b == 1.
        return all(_condition(get_field(value, k), c) for k, c in condition.items())
    return collation(value) == collation(condition)


def matches(doc: dict[str, Any], selector: dict[str, Any]) -> bool:
    for key, condition in selector.items():
        if key == "$and":
            if not all(matches(doc, s) for s in condition):
                return False
        elif key == "$or":
            if not any(matches(doc, s) for s in condition):
                return False
        elif key == "$nor":
            if any(matches(doc, s) for s in condition):
                return False
        elif key == "$not":
            if matches(doc, condition):
                return False
        elif key.startswith("$"):
            raise MangoError(400, "invalid_operator", f"Invalid operator: {key}")
        elif not _condition(get_field(doc, key), condition):
            return False
    return True


def required_fields(selector: dict[str, Any], prefix: str = "") -> set[str]:
    """The fields the selector needs to exist (seen through ``$and`` only, as CouchDB does)."""
    out: set[str] = set()
    for key, condition in selector.items():
        if key == "$and" and isinstance(condition, list):
            for sub in condition:
                if isinstance(sub, dict):
                    out |= required_fields(sub, prefix)
        elif key.startswith("$"):
            continue
        elif isinstance(condition, dict) and condition and all(k.startswith("$") for k in condition):
            if condition != {"$exists": False}:
                out.add(prefix + key)
        elif isinstance(condition, dict) and condition:
            out |= required_fields(condition, prefix + key + ".")
        else:
            out.add(prefix + key)
    return out


def _constant_fields(selector: dict[str, Any]) -> set[str]:
    out = set()
    for key, condition in selector.items():
        if key == "$and" and isinstance(condition, list):
            for sub in condition:
                if isinstance(sub, dict):
                    out |= _constant_fields(sub)
        elif not key.startswith("$") and (not isinstance(condition, dict) or set(condition) == {"$eq"}):
            out.add(key)
    return out


def _ranges_over(selector: dict[str, Any], name: str) -> bool:
    """The selector narrows ``name`` with an operator an index can use ($eq, $gt…)."""
    for key, condition in selector.items():
        if key == "$and" and isinstance(condition, list):
            if any(isinstance(s, dict) and _ranges_over(s, name) for s in condition):
                return True
        elif key == name:
            if not isinstance(condition, dict):
                return True
            if set(condition) & {"$eq", "$gt", "$gte", "$lt", "$lte"}:
                return True
    return False


# --- indexes --------------------------------------------------------------------

@dataclass
class Index:
    ddoc: str  # "_design/…"
    name: str
    fields: list[tuple[str, str]]  # (field, "asc"|"desc")
    partial: dict[str, Any] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return [f for f, _ in self.fields]

    def holds(self, doc: dict[str, Any]) -> bool:
        return all(get_field(doc, f) is not MISSING for f in self.columns) and (
            not self.partial or matches(doc, self.partial))

    def usable(self, selector: dict[str, Any], sort: list[tuple[str, str]]) -> bool:
        sort_fields = [f for f, _ in sort]
        required = set(self.columns) - set(sort_fields) - {"_id", "_rev"}
        if not required <= required_fields(selector):
            return False
        return can_use_sort(self.columns, sort_fields, _constant_fields(selector))


ALL_DOCS = Index("_all_docs", "_all_docs", [("_id", "asc")])


def can_use_sort(columns: list[str], sort_fields: list[str], constant: set[str]) -> bool:
    """``mango_idx_view:can_use_sort``: leading constant columns may be skipped."""
    if not sort_fields:
        return True
    cols = list(columns)
    while cols:
        if cols[0] == sort_fields[0]:
            return cols[:len(sort_fields)] == sort_fields
        if cols[0] not in constant:
            return False
        cols.pop(0)
    return False


def parse_fields(raw: Any) -> list[tuple[str, str]]:
    """``["a", {"b": "desc"}]`` → ``[("a", "asc"), ("b", "desc")]``; MangoError when malformed."""
    if not isinstance(raw, list):
        raise MangoError(400, "invalid_sort_json", "Sort must be an array")
    out = []
    for item in raw:
        if isinstance(item, str) and item:
            out.append((item, "asc"))
        elif isinstance(item, dict) and len(item) == 1:
            (name, direction), = item.items()
            if direction not in ("asc", "desc"):
                raise MangoError(400, "invalid_sort_dir", f"Invalid sort direction: {direction}")
            out.append((name, direction))
        else:
            raise MangoError(400, "invalid_sort_field", f"Invalid sort field: {json.dumps(item)}")
    return out


def index_definition(body: Any) -> tuple[str, str, dict[str, Any]]:
    """(ddoc id, name, definition) of a ``POST _index`` body, names generated as CouchDB does when absent."""
    if not isinstance(body, dict) or not isinstance(body.get("index"), dict):
        raise MangoError(400, "missing_required_key", "Missing required key: index")
    if body.get("type", "json") != "json":
        raise MangoError(400, "invalid_index_type", f"Invalid type for index: {body.get('type')}")
    index = body["index"]
    if "fields" not in index:
        raise MangoError(400, "missing_required_key", "Missing required key: fields")
    fields = parse_fields(index["fields"])
    if not fields:
        raise MangoError(400, "invalid_index_fields", "Index fields must be a non-empty array")
    definition: dict[str, Any] = {"fields": index["fields"]}
    if "partial_filter_selector" in index:
        if not isinstance(index["partial_filter_selector"], dict):
            raise MangoError(400, "invalid_partial_filter_selector", "Partial filter selector must be an object")
        definition["partial_filter_selector"] = index["partial_filter_selector"]
    # CouchDB names an index after a hash of its definition; the fake does too (another hash).
    generated = hashlib.sha1(json.dumps(definition, sort_keys=True).encode()).hexdigest()
    ddoc = body.get("ddoc") or generated
    ddoc = ddoc if ddoc.startswith(DESIGN) else DESIGN + ddoc
    return ddoc, body.get("name") or generated, definition


def view_of(definition: dict[str, Any]) -> dict[str, Any]:
    """The view CouchDB stores in the design doc of a json index."""
    fields = parse_fields(definition["fields"])
    return {
        "map": {"fields": dict(fields), "partial_filter_selector": definition.get("partial_filter_selector", {})},
        "reduce": "_count",
        "options": {"def": definition},
    }


def indexes_of(design_docs: list[dict[str, Any]]) -> list[Index]:
    out = []
    for ddoc in design_docs:
        if ddoc.get("language") != "query":
            continue
        for name, view in (ddoc.get("views") or {}).items():
            fields = view.get("map", {}).get("fields")
            if isinstance(fields, dict):
                out.append(Index(ddoc["_id"], name, list(fields.items()),
                                 view["map"].get("partial_filter_selector") or {}))
    return out


def choose_index(indexes: list[Index], selector: dict[str, Any], sort: list[tuple[str, str]],
                 use_index: Any) -> Index:
    """The index a query runs on, or the CouchDB (and stack) error when none will do."""
    wanted = None
    if isinstance(use_index, str) and use_index:
        wanted = (use_index if use_index.startswith(DESIGN) else DESIGN + use_index, None)
    elif isinstance(use_index, list) and use_index:
        ddoc = use_index[0] if use_index[0].startswith(DESIGN) else DESIGN + use_index[0]
        wanted = (ddoc, use_index[1] if len(use_index) > 1 else None)
    usable = [ix for ix in indexes if ix.usable(selector, sort)]
    if wanted is not None:
        named = [ix for ix in usable if ix.ddoc == wanted[0] and wanted[1] in (None, ix.name)]
        if named:
            return named[0]
        # CouchDB falls back to another index (with a warning the stack does not pass on).
    if usable:
        return max(usable, key=lambda ix: (len(ix.columns), ix.ddoc, ix.name))
    sort_fields = [f for f, _ in sort]
    if sort_fields and sort_fields != ["_id"]:
        raise MangoError(400, "no_usable_index", "No index exists for this sort, try indexing by the sort fields.")
    if not _ranges_over(selector, "_id"):
        # CouchDB would scan every document with a warning; the stack refuses that.
        raise MangoError(400, "no_index", "no matching index found, create an index")
    return ALL_DOCS


@dataclass
class FindResult:
    docs: list[dict[str, Any]]
    bookmark: str
    examined: int


def find(docs: list[dict[str, Any]], indexes: list[Index], query: dict[str, Any], limit: int) -> FindResult:
    """Run a ``_find`` body over the (non-design) documents of a database."""
    selector = query.get("selector")
    if not isinstance(selector, dict):
        raise MangoError(400, "invalid_selector_json", "Selector must be a JSON object")
    sort = parse_fields(query.get("sort", []))
    if len({d for _, d in sort}) > 1:
        raise MangoError(400, "unsupported_mixed_sort", "Sorts currently only support a single direction for all fields.")
    index = choose_index(indexes, selector, sort, query.get("use_index"))
    held = [d for d in docs if index.holds(d)]
    hits = [d for d in held if matches(d, selector)]
    descending = bool(sort) and sort[0][1] == "desc"
    hits.sort(key=lambda d: ([collation(get_field(d, f)) for f in index.columns], d["_id"]), reverse=descending)
    skip = query.get("skip", 0)
    if not isinstance(skip, int) or skip < 0:
        raise MangoError(400, "invalid_skip", "skip must be a non-negative integer")
    start = unbookmark(query.get("bookmark")) + skip
    page = hits[start:start + limit]
    fields = query.get("fields")
    out = [json.loads(json.dumps(project(d, fields) if isinstance(fields, list) else d)) for d in page]
    # CouchDB answers "nil" for an empty page, which the stack turns into "".
    mark = bookmark(start + len(page)) if page else ""
    return FindResult(out, mark, len(held))


def bookmark(offset: int) -> str:
    """Opaque to clients; here the position reached (CouchDB encodes the last key)."""
    return base64.urlsafe_b64encode(json.dumps(["fake", offset]).encode()).decode().rstrip("=")


def unbookmark(mark: Any) -> int:
    if not mark:
        return 0
    try:
        value = json.loads(base64.urlsafe_b64decode(str(mark) + "=" * (-len(str(mark)) % 4)))
    except ValueError:
        value = None
    if not (isinstance(value, list) and len(value) == 2 and value[0] == "fake" and isinstance(value[1], int)):
        raise MangoError(400, "invalid_bookmark", f"Invalid bookmark value: {json.dumps(mark)}")
    return value[1]
