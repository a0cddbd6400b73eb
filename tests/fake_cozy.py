"""A fake Cozy stack for tests and for trying the Cozy mode with no Cozy at hand.

What it follows: cozy-stack's documentation (``docs/data-system.md``,
``docs/mango.md``, ``docs/remote.md``, ``docs/auth.md``) and, where the
documentation is silent, the stack's own handlers (``web/data``,
``pkg/couchdb``, ``web/middlewares/permissions.go``, ``web/auth``) of its
master branch of 2025 (no release is pinned: the one whose ``_normal_docs``
takes ``bookmark`` and ``execution_stats``), over CouchDB 3.3 or later (mango
falls back to another usable index); the doctypes are
``com.grandlyon.ecolyo.usageevent`` (Ecolyo's usage events, as
``shared/spec/cozy-api.md`` describes them) and the remote doctypes
``cc.cozycloud.dacc[.dev][_v2]``. It is checked against Cozy's own JavaScript
client (``tests/cozy_client_js``: ``cozy-stack-client`` 60.21.1 with
``cozy-client`` 60.21.2, pinned) and this project's client;
``docs/cozy-fake.md`` says what it follows and what it leaves out.

The data API: ``GET``/``PUT``/``DELETE /data/:doctype/:id`` (``_type`` added
to what is answered, dropped from what is written; ``_rev`` checked, 409 on a
stale or unknown one), ``POST /data/:doctype/`` (create), ``GET``/``POST
_all_docs`` (``include_docs``, ``keys``, ``limit``, ``skip``, ``descending``),
``_normal_docs`` (``skip``, ``limit`` up to 1000, ``bookmark``,
``execution_stats``; no design docs), ``_design_docs``, ``POST
_design/:ddoc/copy``, ``DELETE _design/:ddoc``, ``_index`` (json indexes,
``ddoc``, ``name``, ``partial_filter_selector``), ``_find`` (``use_index``,
``sort``, ``fields``, ``skip``, ``limit``, ``bookmark``, ``execution_stats``;
``no_index`` when only a full scan would do, as the stack refuses those) and
``_bulk_docs`` (creates the database, like the stack). Errors have the
stack's shapes: CouchDB's ``{"ok": false, "status": "404", "error", "reason"}``
from the stack's own handlers, CouchDB's raw ``{"error", "reason"}`` from the
routes it proxies, ``{"error": "code=400, message=…"}`` for a refused token
on ``/data``. Bearer auth: 401 without a token, 400 + ``WWW-Authenticate:
Bearer error="invalid_token"`` for a bad or expired one, 403 outside the
token's scope. ``/remote/<doctype>`` forwards the ``data`` string to a DACC
(a stand-in served under ``/_dacc`` by default, or any URL, e.g. the
project's receiver) with the 502 for a non-JSON answer. The OAuth routes:
register (and read, and unregister, with the registration token), an
authorize page that approves at once, token exchange with the PKCE S256
check, refresh.

Tests steer it: ``issue_token``, ``expire_tokens``, ``put_docs``, ``touch``,
``delete``, ``fail_next`` (5xx on the next N requests), ``delay_next`` (slow
answers, for timeouts), ``break_path`` (a path that always fails),
``requests`` (what was asked).

By hand::

    python -m tests.fake_cozy --port 8080 --events 5000

prints its address and a token to paste.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import random
import secrets
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests import fake_mango as mango
from tests.fake_mango import DESIGN, MangoError

USAGE_DOCTYPE = "com.grandlyon.ecolyo.usageevent"
REMOTE_DOCTYPES = ("cc.cozycloud.dacc.dev", "cc.cozycloud.dacc.dev_v2", "cc.cozycloud.dacc", "cc.cozycloud.dacc_v2")
MAX_LIMIT = 1000  # consts.MaxItemsPerPageForMango
DEFAULT_LIMIT = 100
NO_DB = "Database does not exist."
# The special members CouchDB accepts in a document; any other "_x" is refused.
SPECIAL_MEMBERS = {"_id", "_rev", "_deleted", "_attachments", "_revisions", "_revs_info", "_conflicts",
                   "_deleted_conflicts", "_local_seq"}
CONFLICT = "Document update conflict."

match_selector = mango.matches  # kept for the tests that match documents themselves


# --- answers -------------------------------------------------------------------

def _errors(status: int, title: str, detail: str) -> JSONResponse:
    """A JSON:API error, as the stack's jsonapi package writes it (/remote)."""
    return JSONResponse({"errors": [{"status": str(status), "title": title, "detail": detail}]}, status,
                        media_type="application/vnd.api+json")


def _couch_error(status: int, error: str, reason: str) -> JSONResponse:
    """A CouchDB error passed on by one of the stack's handlers (``couchdb.Error.JSON``)."""
    return JSONResponse({"ok": False, "status": str(status), "error": error, "reason": reason}, status)


def _couch_raw(status: int, error: str, reason: str) -> JSONResponse:
    """A CouchDB error as CouchDB writes it, for the routes the stack proxies."""
    return JSONResponse({"error": error, "reason": reason}, status)


def _data_error(status: int, message: str) -> JSONResponse:
    """Any other error of a /data route (the stack's couchdbStyleErrorHandler)."""
    return JSONResponse({"error": message}, status)


def _mango_error(exc: MangoError) -> JSONResponse:
    return _couch_error(exc.status, exc.error, exc.reason)


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _with_type(doc: dict[str, Any], doctype: str) -> dict[str, Any]:
    # The stack's JSONDoc.ToMapWithType: the doctype rides along in what it answers.
    return {**_copy(doc), "_type": doctype}


def _bad_member(doc: dict[str, Any]) -> str | None:
    return next((k for k in doc if k.startswith("_") and k not in SPECIAL_MEMBERS), None)


# --- state ----------------------------------------------------------------------

@dataclass
class AccessToken:
    scopes: list[str] | None  # None: every permission (an app token)
    expires_at: float | None = None
    client_id: str | None = None

    def expired(self) -> bool:
        return self.expires_at is not None and time.time() >= self.expires_at

    def allows(self, doctype: str, verb: str) -> bool:
        if self.scopes is None:
            return True
        for scope in self.scopes:
            name, _, verbs = scope.partition(":")
            if name == doctype and (not verbs or verbs == "ALL" or verb in verbs.split(",")):
                return True
        return False


@dataclass
class Fault:
    kind: str  # "status", "delay" (before handling) or "late" (handled, then the answer is late)
    remaining: int | None  # None: for ever
    status: int = 500
    seconds: float = 0.0
    method: str | None = None
    path: str | None = None  # a substring of the path

    def applies(self, method: str, path: str) -> bool:
        if self.method and self.method != method:
            return False
        return self.path is None or self.path in path


@dataclass
class FakeCozy:
    """The state of the fake stack and the switches tests pull."""

    dacc_url: str | None = None  # None: the stand-in DACC of this same server
    dacc_secret: str | None = "dacc-dev-token"  # the instance's DACC token; None: not configured
    dacc_accepts: str = "dacc-dev-token"  # the token the stand-in DACC expects
    remote_timeout: float = 20.0
    token_ttl: float | None = None  # lifetime of OAuth access tokens, seconds
    approve: bool = True  # the authorize page's answer
    # Per doctype, every document by _id, design docs ("_design/…") included.
    databases: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # Per doctype, the revision of each deleted document (CouchDB's tombstones).
    deleted: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    refresh: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    dacc_received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.app = _build_app(self)

    # --- tokens ---
    def issue_token(self, scopes: list[str] | None = None, ttl: float | None = None) -> str:
        token = "tok-" + secrets.token_urlsafe(18)
        with self.lock:
            self.tokens[token] = AccessToken(scopes, time.time() + ttl if ttl is not None else None)
        return token

    def expire_tokens(self) -> None:
        with self.lock:
            for info in self.tokens.values():
                info.expires_at = 0.0

    # --- data ---
    def create_database(self, doctype: str = USAGE_DOCTYPE) -> None:
        with self.lock:
            self.databases.setdefault(doctype, {})

    def put_docs(self, docs: list[dict[str, Any]], doctype: str = USAGE_DOCTYPE) -> None:
        """Store documents as they are, giving each a first revision."""
        with self.lock:
            db = self.databases.setdefault(doctype, {})
            for doc in docs:
                doc = _copy(doc)
                doc_id = doc.pop("_id", None) or uuid.uuid4().hex
                doc.pop("_rev", None)
                rev = _next_rev(db.get(doc_id, {}).get("_rev"), doc)
                db[doc_id] = {"_id": doc_id, "_rev": rev, **doc}  # CouchDB's order

    def touch(self, doc_id: str, doctype: str = USAGE_DOCTYPE, **changes: Any) -> dict[str, Any]:
        """Someone else edits a document (a new revision)."""
        with self.lock:
            db = self.databases[doctype]
            doc = dict(db[doc_id], **changes)
            doc["_rev"] = _next_rev(doc["_rev"], doc)
            db[doc_id] = doc
            return _copy(doc)

    def delete(self, doc_id: str, doctype: str = USAGE_DOCTYPE) -> str:
        """Someone else deletes a document; its tombstone's revision."""
        with self.lock:
            doc = self.databases[doctype].pop(doc_id)
            rev = _next_rev(doc["_rev"], {"_deleted": True})
            self.deleted.setdefault(doctype, {})[doc_id] = rev
            return rev

    def doc(self, doc_id: str, doctype: str = USAGE_DOCTYPE) -> dict[str, Any] | None:
        with self.lock:
            doc = self.databases.get(doctype, {}).get(doc_id)
            return _copy(doc) if doc is not None else None

    def docs(self, doctype: str = USAGE_DOCTYPE) -> dict[str, dict[str, Any]]:
        """The documents of a doctype by _id, design docs left out."""
        with self.lock:
            return {i: _copy(d) for i, d in self.databases.get(doctype, {}).items() if not i.startswith(DESIGN)}

    def design_docs(self, doctype: str = USAGE_DOCTYPE) -> dict[str, dict[str, Any]]:
        with self.lock:
            return {i: _copy(d) for i, d in self.databases.get(doctype, {}).items() if i.startswith(DESIGN)}

    @property
    def indexes(self) -> dict[str, list[list[str]]]:
        """The fields of each mango index, per doctype (read from the design docs)."""
        with self.lock:
            return {doctype: [ix.columns for ix in mango.indexes_of(list(self.design_docs(doctype).values()))]
                    for doctype in self.databases}

    # --- faults ---
    def fail_next(self, n: int = 1, status: int = 500, method: str | None = None, path: str | None = None) -> None:
        with self.lock:
            self.faults.append(Fault("status", n, status=status, method=method, path=path))

    def delay_next(self, n: int, seconds: float, method: str | None = None, path: str | None = None,
                   after: bool = False) -> None:
        """Slow answers; ``after``: the request is handled at once, only its answer is late."""
        with self.lock:
            self.faults.append(Fault("late" if after else "delay", n, seconds=seconds, method=method, path=path))

    def break_path(self, path: str, status: int = 500, method: str | None = None) -> None:
        """Every request whose path contains ``path`` fails, for ever."""
        with self.lock:
            self.faults.append(Fault("status", None, status=status, method=method, path=path))

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def count(self, method: str, path_part: str = "") -> int:
        with self.lock:
            return sum(1 for m, p in self.requests if m == method and path_part in p)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.applies(method, path):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self.faults.remove(fault)
                    return fault
        return None


def _next_rev(previous: str | None, doc: dict[str, Any]) -> str:
    n = int(previous.split("-")[0]) + 1 if previous else 1
    body = json.dumps({k: v for k, v in doc.items() if k != "_rev"}, sort_keys=True)
    return f"{n}-{hashlib.md5(f'{n}{body}{uuid.uuid4()}'.encode()).hexdigest()}"


def _int_param(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _json_param(request: Request, name: str) -> Any:
    """CouchDB's JSON-encoded query parameters (``keys=["a","b"]``); MangoError when not JSON."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise MangoError(400, "bad_request", f"invalid JSON in the {name} parameter") from None


# --- the application -------------------------------------------------------------

def _build_app(fake: FakeCozy) -> Any:
    def auth(request: Request, doctype: str, verb: str, data: bool = True) -> Response | None:
        """The stack's permission check; ``data``: the /data routes' error shape (see _refused)."""
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else ""
        if not token:
            return _refused(401, "No token in request", data)
        with fake.lock:
            info = fake.tokens.get(token)
            if info is not None and info.client_id is not None and info.client_id not in fake.clients:
                info = None  # a revoked client's tokens are refused
        if info is None:
            return _refused(400, "Invalid JWT token", data, 'Bearer error="invalid_token"')
        if info.expired():
            return _refused(400, "Expired token", data,
                            'Bearer error="invalid_token" error_description="The access token expired"')
        if not info.allows(doctype, verb):
            return _refused(403, "Forbidden", data)
        return None

    async def body_json(request: Request) -> Any:
        try:
            return json.loads(await request.body() or b"null")
        except ValueError:
            return mango.MISSING

    def database(doctype: str) -> dict[str, dict[str, Any]] | None:
        return fake.databases.get(doctype)

    def normal(db: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        return [d for i, d in db.items() if not i.startswith(DESIGN)]

    def indexes(db: dict[str, dict[str, Any]]) -> list[mango.Index]:
        return mango.indexes_of([d for i, d in db.items() if i.startswith(DESIGN)])

    # --- reading ---
    async def get_doc(request: Request) -> Response:
        doctype, doc_id = request.path_params["doctype"], request.path_params["id"]
        if (denied := auth(request, doctype, "GET")) is not None:
            return denied
        if doc_id.startswith("_"):
            return _couch_error(400, "bad_id", f"Unsuported couchdb operation {doc_id}")
        with fake.lock:
            db = database(doctype)
            if db is None:
                return _couch_error(404, "not_found", "wrong_doctype")  # fixErrorNoDatabaseIsWrongDoctype
            doc = db.get(doc_id)
            if doc is None:
                gone = doc_id in fake.deleted.get(doctype, {})
                return _couch_error(404, "not_found", "deleted" if gone else "missing")
            return JSONResponse(_with_type(doc, doctype))

    async def all_docs(request: Request) -> Response:
        doctype = request.path_params["doctype"]
        if (denied := auth(request, doctype, "GET")) is not None:
            return denied
        q = request.query_params
        include = q.get("include_docs") == "true"
        try:
            keys = _json_param(request, "keys")
            start = _json_param(request, "start_key") or _json_param(request, "startkey")
            end = _json_param(request, "end_key") or _json_param(request, "endkey")
        except MangoError as exc:
            return _couch_raw(exc.status, exc.error, exc.reason)
        if request.method == "POST":
            body = await body_json(request)
            if isinstance(body, dict) and "keys" in body:
                keys = body["keys"]
        if keys is not None and not isinstance(keys, list):
            return _couch_raw(400, "bad_request", "`keys` member must be an array.")
        limit = _int_param(q.get("limit"), -1)
        skip = max(0, _int_param(q.get("skip"), 0))
        with fake.lock:
            db = database(doctype)
            if db is None:
                return _couch_raw(404, "not_found", NO_DB)
            tombstones = fake.deleted.get(doctype, {})
            if keys is not None:
                wanted = keys
            else:
                wanted = sorted(db, reverse=q.get("descending") == "true")
                if start is not None:
                    wanted = [i for i in wanted if (i <= start if q.get("descending") == "true" else i >= start)]
                if end is not None:
                    wanted = [i for i in wanted if (i >= end if q.get("descending") == "true" else i <= end)]
            wanted = wanted[skip:] if limit < 0 else wanted[skip:skip + limit]
            rows: list[dict[str, Any]] = []
            for key in wanted:
                doc = db.get(key) if isinstance(key, str) else None
                if doc is None and isinstance(key, str) and key in tombstones:
                    row: dict[str, Any] = {"id": key, "key": key, "value": {"rev": tombstones[key], "deleted": True}}
                    if include:
                        row["doc"] = None
                    rows.append(row)
                    continue
                if doc is None:
                    rows.append({"key": key, "error": "not_found"})
                    continue
                row = {"id": key, "key": key, "value": {"rev": doc["_rev"]}}
                if include:
                    row["doc"] = _copy(doc)
                rows.append(row)
            total = len(db)
        return JSONResponse({"total_rows": total, "offset": skip, "rows": rows})

    async def design_docs(request: Request) -> Response:
        doctype = request.path_params["doctype"]
        if (denied := auth(request, doctype, "GET")) is not None:
            return denied
        include = request.query_params.get("include_docs") == "true"
        with fake.lock:
            db = database(doctype)
            if db is None:
                return _couch_raw(404, "not_found", NO_DB)
            every = sorted(db)
            ids = [i for i in every if i.startswith(DESIGN)]
            rows = []
            for doc_id in ids:
                row: dict[str, Any] = {"id": doc_id, "key": doc_id, "value": {"rev": db[doc_id]["_rev"]}}
                if include:
                    row["doc"] = _copy(db[doc_id])
                rows.append(row)
            # CouchDB: total_rows counts every document; offset is where the design docs start.
            offset = every.index(ids[0]) if ids else len(every)
        return JSONResponse({"total_rows": len(every), "offset": offset, "rows": rows})

    async def normal_docs(request: Request) -> Response:
        doctype = request.path_params["doctype"]
        if (denied := auth(request, doctype, "GET")) is not None:
            return denied
        q = request.query_params
        limit = _int_param(q.get("limit"), DEFAULT_LIMIT)
        if limit < 0 or limit > MAX_LIMIT:
            limit = DEFAULT_LIMIT  # the stack silently resets an excessive limit
        skip = max(0, _int_param(q.get("skip"), 0))
        mark = q.get("bookmark", "")
        stats = q.get("execution_stats") == "true"
        started = time.perf_counter()
        with fake.lock:
            db = database(doctype)
            if db is None:
                return _couch_error(404, "not_found", NO_DB)
            # The stack asks CouchDB for _find {"_id": {"$gte": null}}, skip or bookmark, not both.
            query: dict[str, Any] = {"selector": {"_id": {"$gte": None}}}
            if mark:
                query["bookmark"] = mark
            else:
                query["skip"] = skip
            try:
                result = mango.find(normal(db), [], query, limit)
            except MangoError as exc:
                return _mango_error(exc)
            total = skip + len(result.docs) if not mark and len(result.docs) < limit else len(normal(db))
        out: dict[str, Any] = {"total_rows": total, "rows": result.docs, "bookmark": result.bookmark}
        if stats:
            out["execution_stats"] = _stats(result, started)
        return JSONResponse(out)

    async def find(request: Request) -> Response:
        doctype = request.path_params["doctype"]
        if (denied := auth(request, doctype, "GET")) is not None:
            return denied
        body = await body_json(request)
        if not isinstance(body, dict):
            return _data_error(400, "the body is not a JSON object")
        limit = body.get("limit")
        if not isinstance(limit, (int, float)) or isinstance(limit, bool) or limit > MAX_LIMIT or limit < 0:
            limit = DEFAULT_LIMIT
        limit = int(limit)
        started = time.perf_counter()
        with fake.lock:
            db = database(doctype)
            if db is None:
                return _couch_error(404, "not_found", NO_DB)
            try:
                result = mango.find(normal(db), indexes(db), body, limit)
            except MangoError as exc:
                return _mango_error(exc)
        # The stack's rule: there may be more when the page is full.
        out: dict[str, Any] = {"docs": result.docs, "limit": limit, "next": len(result.docs) >= limit,
                               "bookmark": result.bookmark}
        if body.get("execution_stats") is True:
            out["execution_stats"] = _stats(result, started)
        return JSONResponse(out)

    # --- indexes ---
    async def create_index(request: Request) -> Response:
        doctype = request.path_params["doctype"]
        if (denied := auth(request, doctype, "GET")) is not None:
            return denied
        body = await body_json(request)
        try:
            ddoc_id, name, definition = mango.index_definition(body)
        except MangoError as exc:
            return _mango_error(exc)
        with fake.lock:
            db = fake.databases.setdefault(doctype, {})  # "if the doctype does not exist, the database is created"
            ddoc = db.get(ddoc_id)
            view = mango.view_of(definition)
            if ddoc is not None and ddoc.get("views", {}).get(name) == view:
                result = "exists"
            else:
                ddoc = _copy(ddoc) if ddoc is not None else {"_id": ddoc_id, "language": "query", "views": {}}
                ddoc["views"][name] = view
                ddoc["_rev"] = _next_rev(ddoc.get("_rev"), ddoc)
                db[ddoc_id] = {"_id": ddoc_id, "_rev": ddoc["_rev"],
                               **{k: v for k, v in ddoc.items() if k not in ("_id", "_rev")}}
                result = "created"
        return JSONResponse({"result": result, "id": ddoc_id, "name": name})

    async def copy_design_doc(request: Request) -> Response:
        doctype, source = request.path_params["doctype"], DESIGN + request.path_params["ddoc"]
        destination = request.headers.get("destination", "")
        if not destination:
            return JSONResponse("You must set a Destination header", 400)
        if (denied := auth(request, doctype, "GET")) is not None:
            return denied
        with fake.lock:
            db = database(doctype)
            if db is None:
                return _couch_error(404, "not_found", NO_DB)
            if source not in db:
                return _couch_error(404, "not_found", "missing")
            if destination in db:
                return _couch_error(409, "conflict", CONFLICT)
            copy = {k: v for k, v in _copy(db[source]).items() if k not in ("_id", "_rev")}
            rev = _next_rev(fake.deleted.get(doctype, {}).pop(destination, None), copy)
            db[destination] = {"_id": destination, "_rev": rev, **copy}
        return JSONResponse({"ok": True, "id": destination, "rev": rev}, 201)

    async def delete_design_doc(request: Request) -> Response:
        doctype, ddoc_id = request.path_params["doctype"], DESIGN + request.path_params["ddoc"]
        if (denied := auth(request, doctype, "GET")) is not None:
            return denied
        rev = request.query_params.get("rev", "")
        if not rev:
            return JSONResponse({"error": "You must pass a rev param"}, 400)
        with fake.lock:
            db = database(doctype)
            if db is None:
                return _couch_raw(404, "not_found", NO_DB)
            if ddoc_id not in db:
                return _couch_raw(404, "not_found", "deleted" if ddoc_id in fake.deleted.get(doctype, {})
                                  else "missing")
            if db[ddoc_id]["_rev"] != rev:
                return _couch_raw(409, "conflict", CONFLICT)
            gone = db.pop(ddoc_id)
            tombstone = _next_rev(gone["_rev"], {"_deleted": True})
            fake.deleted.setdefault(doctype, {})[ddoc_id] = tombstone
        return JSONResponse({"ok": True, "id": ddoc_id, "rev": tombstone})

    async def get_design_doc(request: Request) -> Response:
        doctype = request.path_params["doctype"]
        if (denied := auth(request, doctype, "GET")) is not None:
            return denied
        return JSONResponse({"error": "_design docs are only readable for replication"}, 400)

    # --- writing ---
    def store(doctype: str, db: dict[str, dict[str, Any]], doc_id: str, doc: dict[str, Any],
              previous: str | None) -> dict[str, Any]:
        body = {k: v for k, v in doc.items() if k not in ("_id", "_rev")}
        stored = {"_id": doc_id, "_rev": _next_rev(previous, body), **body}
        db[doc_id] = stored
        fake.deleted.get(doctype, {}).pop(doc_id, None)
        return _copy(stored)

    def written(doctype: str, stored: dict[str, Any], status: int = 200) -> JSONResponse:
        return JSONResponse({"ok": True, "id": stored["_id"], "rev": stored["_rev"], "type": doctype,
                             "data": _with_type(stored, doctype)}, status)

    async def create_doc(request: Request) -> Response:
        doctype = request.path_params["doctype"]
        doc = await body_json(request)
        if not isinstance(doc, dict):
            return _data_error(400, "the body must be a JSON object")
        doc.pop("_type", None)
        if (denied := auth(request, doctype, "POST")) is not None:
            return denied
        if doc.get("_id"):
            return _couch_error(400, "defined_id", "document _id should be empty")
        if (bad := _bad_member(doc)) is not None:
            return _couch_error(400, "doc_validation", f"Bad special document member: {bad}")
        with fake.lock:
            db = fake.databases.setdefault(doctype, {})
            return written(doctype, store(doctype, db, uuid.uuid4().hex, doc, None), 201)

    async def put_doc(request: Request) -> Response:
        doctype, doc_id = request.path_params["doctype"], request.path_params["id"]
        doc = await body_json(request)
        if not isinstance(doc, dict):
            return _data_error(400, "the body must be a JSON object")
        doc.pop("_type", None)  # JSONDoc.UnmarshalJSON takes it out
        has_id, has_rev = bool(doc.get("_id")), bool(doc.get("_rev"))
        if has_id != has_rev:
            return _data_error(400, "You must either provide an _id and _rev in document (update) or neither "
                                    "(create with fixed id).")
        if has_id and doc["_id"] != doc_id:
            return _data_error(400, "document _id doesnt match url")
        if (denied := auth(request, doctype, "PUT" if has_rev else "POST")) is not None:
            return denied
        if doc_id.startswith("_"):
            return _couch_error(400, "bad_id", f"Unsuported couchdb operation {doc_id}")
        if (bad := _bad_member(doc)) is not None:
            return _couch_error(400, "doc_validation", f"Bad special document member: {bad}")
        with fake.lock:
            if not has_rev:
                # Create with a fixed id: the stack creates the database when needed.
                db = fake.databases.setdefault(doctype, {})
                if doc_id in db:
                    return _couch_error(409, "conflict", CONFLICT)
                return written(doctype, store(doctype, db, doc_id, doc, fake.deleted.get(doctype, {}).get(doc_id)))
            db = database(doctype)
            if db is None:
                return _couch_error(404, "not_found", "wrong_doctype")
            current = db.get(doc_id)
            tombstone = fake.deleted.get(doctype, {}).get(doc_id)
            # CouchDB: a _rev that is not the current one, or for a document that does not exist, conflicts.
            if (current["_rev"] if current is not None else tombstone) != doc["_rev"]:
                return _couch_error(409, "conflict", CONFLICT)
            return written(doctype, store(doctype, db, doc_id, doc, doc["_rev"]))

    async def delete_doc(request: Request) -> Response:
        doctype, doc_id = request.path_params["doctype"], request.path_params["id"]
        in_header, in_query = request.headers.get("if-match", ""), request.query_params.get("rev", "")
        if in_header and in_query and in_header != in_query:
            return _data_error(400, "If-Match Header and rev query parameters mismatch")
        rev = in_header or in_query
        if not rev:
            return _data_error(400, "delete without revision")
        if (denied := auth(request, doctype, "DELETE")) is not None:
            return denied
        with fake.lock:
            db = database(doctype)
            if db is None:
                return _couch_error(404, "not_found", NO_DB)
            current = db.get(doc_id)
            if current is None:
                gone = doc_id in fake.deleted.get(doctype, {})
                return _couch_error(404, "not_found", "deleted" if gone else "missing")
            if current["_rev"] != rev:
                return _couch_error(409, "conflict", CONFLICT)
            del db[doc_id]
            tombstone = _next_rev(rev, {"_deleted": True})
            fake.deleted.setdefault(doctype, {})[doc_id] = tombstone
        # The stack answers "deleted" (docs/data-system.md shows "_deleted").
        return JSONResponse({"ok": True, "id": doc_id, "rev": tombstone, "type": doctype, "deleted": True})

    async def bulk_docs(request: Request) -> Response:
        doctype = request.path_params["doctype"]
        if (denied := auth(request, doctype, "POST")) is not None:
            return denied
        body = await body_json(request)
        docs = body.get("docs") if isinstance(body, dict) else None
        if not isinstance(docs, list) or not all(isinstance(d, dict) for d in docs):
            return _couch_raw(400, "bad_request", "POST body must include `docs` parameter.")
        for doc in docs:
            if (bad := _bad_member(doc)) is not None:
                return _couch_raw(400, "doc_validation", f"Bad special document member: {bad}")
        out = []
        with fake.lock:
            db = fake.databases.setdefault(doctype, {})  # couchdb.EnsureDBExist
            tombstones = fake.deleted.setdefault(doctype, {})
            for doc in docs:
                doc = _copy(doc)
                doc_id = doc.get("_id") or uuid.uuid4().hex
                current, rev = db.get(doc_id), doc.get("_rev")
                # CouchDB: the current _rev, or none (or the tombstone's) for a new or deleted document.
                fits = rev == current["_rev"] if current is not None else rev in (None, tombstones.get(doc_id))
                if not fits:
                    out.append({"id": doc_id, "error": "conflict", "reason": CONFLICT})
                    continue
                previous = current["_rev"] if current is not None else tombstones.get(doc_id)
                if doc.get("_deleted"):
                    db.pop(doc_id, None)
                    tombstones[doc_id] = _next_rev(previous, {"_deleted": True})
                    out.append({"ok": True, "id": doc_id, "rev": tombstones[doc_id]})
                    continue
                stored = store(doctype, db, doc_id, doc, previous)
                out.append({"ok": True, "id": doc_id, "rev": stored["_rev"]})
        return JSONResponse(out, 201)

    # --- remote doctypes ---
    fake_http: dict[str, httpx.AsyncClient | None] = {"client": None}

    async def remote(request: Request) -> Response:
        doctype = request.path_params["doctype"]
        if (denied := auth(request, doctype, "POST", data=False)) is not None:
            return denied
        if doctype not in REMOTE_DOCTYPES:
            return _errors(404, "Not Found", "the remote doctype does not exist")
        body = await body_json(request)
        if not isinstance(body, dict) or not all(isinstance(v, str) for v in body.values()):
            return _errors(400, "Bad Request", "the variables are not valid")
        path = "measure" if not doctype.endswith("_v2") else body.get("path")
        if "data" not in body or path is None or fake.dacc_secret is None:
            return _errors(400, "Bad Request", "a variable is used in the template, but no value was given")
        target = (fake.dacc_url or f"{fake.url}/_dacc").rstrip("/") + "/" + path
        try:
            if fake_http.get("client") is None:  # one client for the server's life: cheap forwards
                fake_http["client"] = httpx.AsyncClient()
            answer = await fake_http["client"].post(
                target, content=body["data"].encode("utf-8"), timeout=fake.remote_timeout,
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {fake.dacc_secret}"},
            )
        except httpx.HTTPError:
            return _errors(502, "Bad Gateway", "the request to the remote doctype failed")
        if not answer.headers.get("content-type", "").startswith("application/json"):
            return _errors(502, "Bad Gateway", "the content-type for the response is not authorized")
        return Response(answer.content, answer.status_code, media_type="application/json")

    # --- a stand-in for the DACC (POST /measure), for when no receiver is at hand ---
    async def dacc_measure(request: Request) -> Response:
        from dacc_gui.dacc.validation import check_measure

        if request.headers.get("authorization") != f"Bearer {fake.dacc_accepts}":
            # Flask-HTTPAuth's page, which the stack cannot copy back (it is HTML).
            return HTMLResponse("Unauthorized Access", 401)
        raw = (await request.body()).decode("utf-8", "replace")
        try:
            measure = json.loads(raw) if raw.strip() else None
        except ValueError:
            return JSONResponse({"error": "The measure is not JSON"}, 400)
        result = check_measure(measure)
        with fake.lock:
            fake.dacc_received.append({"raw": raw, "measure": measure, "status": result.status})
        if result.ok:
            return JSONResponse({"ok": True}, 201)
        return JSONResponse({"error": result.error}, 400)

    # --- OAuth (web/auth) ---
    async def register(request: Request) -> Response:
        body = await body_json(request)
        if not isinstance(body, dict):
            return JSONResponse({"error": "invalid_client_metadata", "error_description": "the body is not JSON"},
                                400)
        uris = body.get("redirect_uris")
        for key, code, ok in (
            ("redirect_uris", "invalid_redirect_uri",
             isinstance(uris, list) and uris and all(isinstance(u, str) for u in uris)),
            ("client_name", "invalid_client_metadata", isinstance(body.get("client_name"), str) and body["client_name"]),
            ("software_id", "invalid_client_metadata", isinstance(body.get("software_id"), str) and body["software_id"]),
        ):
            if not ok:
                return JSONResponse({"error": code, "error_description": f"{key} is mandatory"}, 400)
        client = {
            "client_id": uuid.uuid4().hex,
            "client_secret": secrets.token_urlsafe(24),
            "client_secret_expires_at": 0,
            "registration_access_token": secrets.token_urlsafe(24),
            "redirect_uris": uris,
            "client_name": body["client_name"],
            "software_id": body["software_id"],
            "client_kind": body.get("client_kind", ""),
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        }
        with fake.lock:
            fake.clients[client["client_id"]] = client
        return JSONResponse(client, 201)

    def registered(request: Request) -> dict[str, Any] | Response:
        """The stack's checkRegistrationToken."""
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return JSONResponse({"error": "invalid_token"}, 400)
        with fake.lock:
            client = fake.clients.get(request.path_params["client_id"])
        if client is None:
            return JSONResponse({"error": "Client not found"}, 404)
        if header[len("Bearer "):] != client["registration_access_token"]:
            return JSONResponse({"error": "invalid_token"}, 401)
        return client

    async def read_client(request: Request) -> Response:
        client = registered(request)
        return client if isinstance(client, Response) else JSONResponse(client)

    async def unregister(request: Request) -> Response:
        client = registered(request)
        if isinstance(client, Response):
            return client
        with fake.lock:
            fake.clients.pop(client["client_id"], None)
            for table in (fake.tokens, fake.refresh):
                for key in [k for k, v in table.items() if _client_of(v) == client["client_id"]]:
                    del table[key]
        return Response(status_code=204)

    async def authorize(request: Request) -> Response:
        q = request.query_params
        with fake.lock:
            client = fake.clients.get(q.get("client_id", ""))
        if client is None:
            return HTMLResponse("The client must be registered", 400)
        redirect_uri = q.get("redirect_uri", "")
        if redirect_uri not in client["redirect_uris"]:
            return HTMLResponse("The redirect_uri parameter doesn't match the registered ones", 400)
        problems = [name for name, ok in (
            ("response_type", q.get("response_type") == "code"),
            ("state", bool(q.get("state"))),
            ("scope", bool(q.get("scope"))),
            ("code_challenge", bool(q.get("code_challenge"))),
            ("code_challenge_method", q.get("code_challenge_method") == "S256"),
        ) if not ok]
        if problems:
            return HTMLResponse(f"invalid parameters: {', '.join(problems)}", 400)
        if not fake.approve:
            return RedirectResponse(f"{redirect_uri}?{urlencode({'state': q['state'], 'error': 'access_denied'})}", 302)
        code = secrets.token_urlsafe(18)
        with fake.lock:
            fake.codes[code] = {"client_id": client["client_id"], "scope": q["scope"],
                                "challenge": q["code_challenge"], "redirect_uri": redirect_uri}
        return RedirectResponse(f"{redirect_uri}?{urlencode({'state': q['state'], 'code': code})}", 302)

    async def access_token(request: Request) -> Response:
        # Form-encoded; parsed by hand so the fake needs no python-multipart.
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        grant = form.get("grant_type")
        for name in ("grant_type", "client_id", "client_secret"):
            if not form.get(name):
                return JSONResponse({"error": f"the {name} parameter is mandatory"}, 400)
        with fake.lock:
            client = fake.clients.get(form["client_id"])
            if client is None:
                return JSONResponse({"error": "the client must be registered"}, 400)
            if form["client_secret"] != client["client_secret"]:
                return JSONResponse({"error": "invalid client_secret"}, 400)
            if grant == "authorization_code":
                if not form.get("code"):
                    return JSONResponse({"error": "the code parameter is mandatory"}, 400)
                code = fake.codes.pop(form["code"], None)
                if code is None or code["client_id"] != client["client_id"]:
                    return JSONResponse({"error": "invalid code"}, 400)
                verifier = form.get("code_verifier", "")
                if not verifier or _s256(verifier) != code["challenge"]:
                    return JSONResponse({"error": "invalid code_verifier"}, 400)
                refresh = secrets.token_urlsafe(24)
                fake.refresh[refresh] = {"client_id": client["client_id"], "scope": code["scope"]}
                token = _new_access(fake, client["client_id"], code["scope"])
                return JSONResponse({"token_type": "bearer", "scope": code["scope"], "access_token": token,
                                     "refresh_token": refresh})
            if grant == "refresh_token":
                entry = fake.refresh.get(form.get("refresh_token", ""))
                if entry is None or entry["client_id"] != client["client_id"]:
                    return JSONResponse({"error": "invalid refresh token"}, 400)
                token = _new_access(fake, client["client_id"], entry["scope"])
                # Like the stack: no new refresh token on refresh.
                return JSONResponse({"token_type": "bearer", "scope": entry["scope"], "access_token": token})
        return JSONResponse({"error": "invalid grant type"}, 400)

    data = "/data/{doctype}"
    app = Starlette(routes=[
        Route(f"{data}/_all_docs", all_docs, methods=["GET", "POST"]),
        Route(f"{data}/_normal_docs", normal_docs, methods=["GET"]),
        Route(f"{data}/_design_docs", design_docs, methods=["GET"]),
        Route(f"{data}/_index", create_index, methods=["POST"]),
        Route(f"{data}/_find", find, methods=["POST"]),
        Route(f"{data}/_bulk_docs", bulk_docs, methods=["POST"]),
        Route(f"{data}/_design/{{ddoc}}/copy", copy_design_doc, methods=["POST"]),
        Route(f"{data}/_design/{{ddoc}}", delete_design_doc, methods=["DELETE"]),
        Route(f"{data}/_design/{{ddoc}}", get_design_doc, methods=["GET"]),
        Route(f"{data}/", create_doc, methods=["POST"]),
        Route(f"{data}/{{id}}", get_doc, methods=["GET"]),
        Route(f"{data}/{{id}}", put_doc, methods=["PUT"]),
        Route(f"{data}/{{id}}", delete_doc, methods=["DELETE"]),
        Route("/remote/{doctype}", remote, methods=["POST"]),
        Route("/_dacc/measure", dacc_measure, methods=["POST"]),
        Route("/auth/register", register, methods=["POST"]),
        Route("/auth/register/{client_id}", read_client, methods=["GET"]),
        Route("/auth/register/{client_id}", unregister, methods=["DELETE"]),
        Route("/auth/authorize", authorize, methods=["GET"]),
        Route("/auth/access_token", access_token, methods=["POST"]),
    ])

    async def with_faults(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        with fake.lock:
            fake.requests.append((method, path))
        fault = fake._take_fault(method, path)
        if fault is not None and fault.kind == "delay":
            await asyncio.sleep(fault.seconds)
        elif fault is not None and fault.kind == "late":
            async def late_send(message: dict) -> None:
                if message["type"] == "http.response.start":
                    await asyncio.sleep(fault.seconds)
                await send(message)

            await app(scope, receive, late_send)
            return
        elif fault is not None:
            response = _errors(fault.status, "Internal Server Error", "injected fault")
            await response(scope, receive, send)
            return
        await app(scope, receive, send)

    return with_faults


def _refused(status: int, message: str, data: bool, authenticate: str | None = None) -> JSONResponse:
    """A token refused (echo.HTTPError): on /data the stack writes ``code=…, message=…``, elsewhere the message."""
    response = JSONResponse({"error": f"code={status}, message={message}" if data else message}, status)
    if authenticate:
        response.headers["WWW-Authenticate"] = authenticate
    return response


def _stats(result: mango.FindResult, started: float) -> dict[str, Any]:
    # CouchDB's execution_stats; the stack leaves out the zero values (omitempty).
    stats = {"total_keys_examined": result.examined, "total_docs_examined": result.examined,
             "results_returned": len(result.docs),
             "execution_time_ms": round((time.perf_counter() - started) * 1000, 3)}
    return {k: v for k, v in stats.items() if v}


def _client_of(value: Any) -> str | None:
    return value.client_id if isinstance(value, AccessToken) else value.get("client_id")


def _new_access(fake: FakeCozy, client_id: str, scope: str) -> str:
    token = "oauth-" + secrets.token_urlsafe(18)
    expires = time.time() + fake.token_ttl if fake.token_ttl is not None else None
    fake.tokens[token] = AccessToken(scope.split(), expires, client_id)
    return token


# --- generated events ---------------------------------------------------------

_TYPES = [
    ("ConnectionEvent", None, None, None),
    ("NavigationEvent", "consumption", None, None),
    ("NavigationEvent", "analysis", None, None),
    ("KonnectorConnectEvent", "enedis", None, "success"),
    ("KonnectorRefreshEvent", "grdf", None, "error"),
    ("ConsumptionChangeTimeStepEvent", "day", "electricity", None),
    ("ChallengeLaunchEvent", "CHALLENGE0001", None, None),
    ("QuizEndEvent", "QUIZ001", "CHALLENGE0001", "3"),
    ("ProfileSetEvent", None, None, None),
]


def generate_events(n: int, seed: int = 0, first: datetime = datetime(2022, 1, 1)) -> list[dict[str, Any]]:
    """``n`` plausible usage events, some with fields the project does not know."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        kind, target, context, result = rng.choice(_TYPES)
        moment = first + timedelta(minutes=rng.randrange(0, 60 * 24 * 400))
        doc: dict[str, Any] = {
            "_id": uuid.UUID(int=rng.getrandbits(128)).hex,
            "type": kind,
            "eventDate": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        }
        for key, value in (("target", target), ("context", context), ("result", result)):
            if value is not None:
                doc[key] = value
        doc["aggregated"] = rng.random() < 0.3
        if i % 3 == 0:
            doc["cozyMetadata"] = {"createdAt": moment.isoformat() + "Z", "createdByApp": "ecolyo",
                                   "metadataVersion": 1}
        if i % 7 == 0:
            doc["sourceApp"] = "ecolyo"
        out.append(doc)
    return out


# --- running it ----------------------------------------------------------------

class FakeCozyServer:
    """The fake stack served by uvicorn in a thread on 127.0.0.1 (port 0: any free one)."""

    def __init__(self, fake: FakeCozy | None = None, port: int = 0, host: str = "127.0.0.1") -> None:
        self.fake = fake or FakeCozy()
        self._config = uvicorn.Config(self.fake.app, host=host, port=port, log_level="warning",
                                      lifespan="off", timeout_graceful_shutdown=1, access_log=False)
        self._server = uvicorn.Server(self._config)
        self._thread = threading.Thread(target=self._server.run, name="fake-cozy", daemon=True)

    def start(self) -> "FakeCozyServer":
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake Cozy did not start")
            time.sleep(0.01)
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        self.fake.url = f"http://{host}:{port}"
        return self

    @property
    def url(self) -> str:
        return self.fake.url

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> "FakeCozyServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_cozy", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 (default): any free port")
    parser.add_argument("--events", type=int, default=0, metavar="N", help="seed N generated usage events")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dacc-url", default=None,
                        help="forward /remote pushes there (e.g. http://127.0.0.1:8081, the receiver); "
                             "default: the stand-in DACC of this server")
    parser.add_argument("--dacc-secret", default="dacc-dev-token",
                        help="the DACC token the instance sends ('' : none configured)")
    parser.add_argument("--token-ttl", type=float, default=None, help="lifetime of OAuth tokens, seconds")
    args = parser.parse_args(argv)
    fake = FakeCozy(dacc_url=args.dacc_url, dacc_secret=args.dacc_secret or None, token_ttl=args.token_ttl)
    if args.events:
        fake.put_docs(generate_events(args.events, args.seed))
    server = FakeCozyServer(fake, port=args.port, host=args.host).start()
    token = fake.issue_token()
    print(f"Fake Cozy at {server.url}", flush=True)
    print(f"token: {token}", flush=True)
    print(f"{args.events} usage events; OAuth sign-in approves at once. Ctrl-C to stop.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
