"""A fake Cozy stack for tests and for trying the Cozy mode with no Cozy at hand.

Faithful to ``shared/spec/cozy-api.md``: bearer auth (401 without a token,
400 + ``WWW-Authenticate: Bearer error="invalid_token"`` for a bad or expired
one, 403 outside the token's scope), ``_normal_docs`` with bookmarks and the
1000 cap, ``_find`` needing an index, ``_index``, ``_all_docs`` with keys, PUT
with ``_rev`` (409 with ``status`` as a string), ``_bulk_docs``, the 404
"Database does not exist.", ``/remote/<doctype>`` forwarding the ``data``
string to a DACC (a stand-in served under ``/_dacc`` by default, or any URL,
e.g. the project's receiver) with the 502 for a non-JSON answer, and the
OAuth routes (register, an authorize page that approves at once, token
exchange with the PKCE S256 check, refresh, unregister).

Tests steer it: ``issue_token``, ``expire_tokens``, ``fail_next`` (5xx on the
next N requests), ``delay_next`` (slow answers, for timeouts), ``break_path``
(a path that always fails), ``requests`` (what was asked).

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

USAGE_DOCTYPE = "com.grandlyon.ecolyo.usageevent"
REMOTE_DOCTYPES = ("cc.cozycloud.dacc.dev", "cc.cozycloud.dacc.dev_v2", "cc.cozycloud.dacc", "cc.cozycloud.dacc_v2")
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
NO_DB = "Database does not exist."


def _errors(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse({"errors": [{"status": str(status), "title": title, "detail": detail}]}, status)


def _couch_error(status: int, error: str, reason: str) -> JSONResponse:
    return JSONResponse({"status": str(status), "error": error, "reason": reason}, status)


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


# --- Mango, the little of it the project uses --------------------------------

def _collation(value: Any) -> tuple:
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
        return (5, [_collation(v) for v in value])
    return (6, json.dumps(value, sort_keys=True))


_MISSING = object()


def _field(doc: dict[str, Any], path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _match_condition(value: Any, condition: Any) -> bool:
    if not (isinstance(condition, dict) and condition and all(k.startswith("$") for k in condition)):
        return value is not _MISSING and value == condition
    for op, arg in condition.items():
        if op == "$exists":
            if (value is not _MISSING) != bool(arg):
                return False
            continue
        if value is _MISSING:
            return False
        key, ref = _collation(value), _collation(arg)
        ok = {
            "$eq": lambda: value == arg,
            "$ne": lambda: value != arg,
            "$gt": lambda: key > ref,
            "$gte": lambda: key >= ref,
            "$lt": lambda: key < ref,
            "$lte": lambda: key <= ref,
            "$in": lambda: isinstance(arg, list) and value in arg,
            "$nin": lambda: isinstance(arg, list) and value not in arg,
        }.get(op)
        if ok is None:
            raise ValueError(f"unknown operator {op}")
        if not ok():
            return False
    return True


def match_selector(doc: dict[str, Any], selector: dict[str, Any]) -> bool:
    for key, condition in selector.items():
        if key == "$and":
            if not all(match_selector(doc, s) for s in condition):
                return False
        elif key == "$or":
            if not any(match_selector(doc, s) for s in condition):
                return False
        elif not _match_condition(_field(doc, key), condition):
            return False
    return True


def _selector_fields(selector: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for key, condition in selector.items():
        if key in ("$and", "$or") and isinstance(condition, list):
            for sub in condition:
                if isinstance(sub, dict):
                    out |= _selector_fields(sub)
        else:
            out.add(key)
    return out


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
    databases: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    indexes: dict[str, list[list[str]]] = field(default_factory=dict)
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
                doc = json.loads(json.dumps(doc))
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
            return json.loads(json.dumps(doc))

    def doc(self, doc_id: str, doctype: str = USAGE_DOCTYPE) -> dict[str, Any] | None:
        with self.lock:
            doc = self.databases.get(doctype, {}).get(doc_id)
            return json.loads(json.dumps(doc)) if doc is not None else None

    def docs(self, doctype: str = USAGE_DOCTYPE) -> dict[str, dict[str, Any]]:
        with self.lock:
            return json.loads(json.dumps(self.databases.get(doctype, {})))

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


# --- the application -------------------------------------------------------------

def _build_app(fake: FakeCozy) -> Any:
    def auth(request: Request, doctype: str, verb: str) -> Response | None:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer ") or not header[7:].strip():
            return _errors(401, "Unauthorized", "No authorization token")
        with fake.lock:
            info = fake.tokens.get(header[7:].strip())
        if info is None or info.expired():
            response = _errors(400, "Bad Request", "Invalid JWT token")
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response
        if not info.allows(doctype, verb):
            return _errors(403, "Forbidden", f"the token has no {verb} permission on {doctype}")
        return None

    async def body_json(request: Request) -> Any:
        try:
            return json.loads(await request.body() or b"null")
        except ValueError:
            return _MISSING

    def database(doctype: str) -> dict[str, dict[str, Any]] | None:
        return fake.databases.get(doctype)

    # --- reading ---
    async def normal_docs(request: Request) -> Response:
        doctype = request.path_params["doctype"]
        if (denied := auth(request, doctype, "GET")) is not None:
            return denied
        try:
            limit = int(request.query_params.get("limit", DEFAULT_LIMIT))
        except ValueError:
            return _couch_error(400, "bad_request", "invalid limit")
        if limit > MAX_LIMIT or limit <= 0:
            limit = DEFAULT_LIMIT  # the stack silently resets an excessive limit
        bookmark = request.query_params.get("bookmark", "")
        with fake.lock:
            db = database(doctype)
            if db is None:
                return _couch_error(404, "not_found", NO_DB)
            ids = sorted(i for i in db if not i.startswith("_design/"))
            after = _unbookmark(bookmark)
            if after is not None:
                ids = [i for i in ids if i > after]
            total = sum(1 for i in db if not i.startswith("_design/"))
            page = ids[:limit]
            rows = [json.loads(json.dumps(db[i])) for i in page]
        mark = _bookmark(page[-1]) if page else bookmark
        return JSONResponse({"rows": rows, "total_rows": total, "bookmark": mark})

    async def create_index(request: Request) -> Response:
        doctype = request.path_params["doctype"]
        if (denied := auth(request, doctype, "GET")) is not None:
            return denied
        body = await body_json(request)
        fields = body.get("index", {}).get("fields") if isinstance(body, dict) else None
        if not (isinstance(fields, list) and fields and all(isinstance(f, str) for f in fields)):
            return _couch_error(400, "bad_request", "index.fields must be a list of field names")
        with fake.lock:
            fake.databases.setdefault(doctype, {})  # the stack creates the database here
            known = fake.indexes.setdefault(doctype, [])
            result = "exists" if fields in known else "created"
            if result == "created":
                known.append(list(fields))
        name = "by-" + "-".join(fields)
        return JSONResponse({"result": result, "id": f"_design/{name}", "name": name})

    async def find(request: Request) -> Response:
        doctype = request.path_params["doctype"]
        if (denied := auth(request, doctype, "GET")) is not None:
            return denied
        body = await body_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("selector"), dict):
            return _couch_error(400, "bad_request", "a selector is required")
        selector = body["selector"]
        limit = body.get("limit", DEFAULT_LIMIT)
        if not isinstance(limit, int) or limit <= 0 or limit > MAX_LIMIT:
            limit = DEFAULT_LIMIT
        with fake.lock:
            db = database(doctype)
            if db is None:
                return _couch_error(404, "not_found", NO_DB)
            wanted = _selector_fields(selector)
            usable = [ix for ix in fake.indexes.get(doctype, []) if set(ix) <= wanted]
            if not usable:
                return JSONResponse({
                    "status": "400", "error": "no_index",
                    "reason": "no matching index found, create an index",
                }, 400)
            index = usable[0]
            try:
                hits = [d for i, d in db.items() if not i.startswith("_design/")
                        and all(_field(d, f) is not _MISSING for f in index) and match_selector(d, selector)]
            except ValueError as exc:
                return _couch_error(400, "bad_request", str(exc))
            hits.sort(key=lambda d: ([_collation(_field(d, f)) for f in index], d["_id"]))
            offset = _unbookmark_offset(body.get("bookmark"))
            page = [json.loads(json.dumps(d)) for d in hits[offset:offset + limit]]
        more = offset + limit < len(hits)
        return JSONResponse({"docs": page, "limit": limit, "next": more,
                             "bookmark": _bookmark(str(offset + len(page)))})

    async def all_docs(request: Request) -> Response:
        doctype = request.path_params["doctype"]
        if (denied := auth(request, doctype, "GET")) is not None:
            return denied
        include = request.query_params.get("include_docs") == "true"
        body = await body_json(request)
        keys = body.get("keys") if isinstance(body, dict) else None
        with fake.lock:
            db = database(doctype)
            if db is None:
                return _couch_error(404, "not_found", NO_DB)
            rows = []
            for key in keys if isinstance(keys, list) else sorted(db):
                doc = db.get(key) if isinstance(key, str) else None
                if doc is None:
                    rows.append({"key": key, "error": "not_found"})
                    continue
                row: dict[str, Any] = {"id": key, "key": key, "value": {"rev": doc["_rev"]}}
                if include:
                    row["doc"] = json.loads(json.dumps(doc))
                rows.append(row)
            total = len(db)
        return JSONResponse({"total_rows": total, "offset": 0, "rows": rows})

    async def get_doc(request: Request) -> Response:
        doctype, doc_id = request.path_params["doctype"], request.path_params["id"]
        if (denied := auth(request, doctype, "GET")) is not None:
            return denied
        with fake.lock:
            db = database(doctype)
            if db is None:
                return _couch_error(404, "not_found", NO_DB)
            doc = db.get(doc_id)
            if doc is None:
                return _couch_error(404, "not_found", "missing")
            return JSONResponse(doc)

    # --- writing ---
    async def put_doc(request: Request) -> Response:
        doctype, doc_id = request.path_params["doctype"], request.path_params["id"]
        if (denied := auth(request, doctype, "PUT")) is not None:
            return denied
        doc = await body_json(request)
        if not isinstance(doc, dict):
            return _couch_error(400, "bad_request", "the body must be a JSON object")
        if doc.get("_id", doc_id) != doc_id:
            return _couch_error(400, "bad_request", "the _id of the body is not the one of the URL")
        if not doc.get("_rev"):
            return _couch_error(400, "bad_request", "the _rev of the document is missing")
        with fake.lock:
            db = database(doctype)
            if db is None:
                return _couch_error(404, "not_found", NO_DB)
            current = db.get(doc_id)
            if current is None:
                return _couch_error(404, "not_found", "missing")
            if current["_rev"] != doc["_rev"]:
                return JSONResponse({"ok": False, "status": "409", "error": "conflict",
                                     "reason": "Document update conflict."}, 409)
            doc["_id"] = doc_id
            doc["_rev"] = _next_rev(current["_rev"], doc)
            db[doc_id] = json.loads(json.dumps(doc))
        return JSONResponse({"ok": True, "id": doc_id, "rev": doc["_rev"], "type": doctype, "data": doc})

    async def bulk_docs(request: Request) -> Response:
        doctype = request.path_params["doctype"]
        if (denied := auth(request, doctype, "POST")) is not None:
            return denied
        body = await body_json(request)
        docs = body.get("docs") if isinstance(body, dict) else None
        if not isinstance(docs, list) or not all(isinstance(d, dict) for d in docs):
            return _couch_error(400, "bad_request", "docs must be a list of objects")
        out = []
        with fake.lock:
            db = database(doctype)
            if db is None:
                return _couch_error(404, "not_found", NO_DB)
            for doc in docs:
                doc = json.loads(json.dumps(doc))
                doc_id = doc.setdefault("_id", uuid.uuid4().hex)
                current = db.get(doc_id)
                if (current["_rev"] if current else None) != doc.get("_rev"):
                    out.append({"id": doc_id, "error": "conflict", "reason": "Document update conflict."})
                    continue
                doc["_rev"] = _next_rev(current["_rev"] if current else None, doc)
                db[doc_id] = doc
                out.append({"ok": True, "id": doc_id, "rev": doc["_rev"]})
        return JSONResponse(out, 201)

    # --- remote doctypes ---
    fake_http: dict[str, httpx.AsyncClient | None] = {"client": None}

    async def remote(request: Request) -> Response:
        doctype = request.path_params["doctype"]
        if doctype not in REMOTE_DOCTYPES:
            return _errors(404, "Not Found", f"the remote doctype {doctype} does not exist")
        if (denied := auth(request, doctype, "POST")) is not None:
            return denied
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
        except httpx.HTTPError as exc:
            return _errors(502, "Bad Gateway", f"the remote doctype could not be reached: {type(exc).__name__}")
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

    # --- OAuth ---
    async def register(request: Request) -> Response:
        body = await body_json(request)
        if not isinstance(body, dict):
            return JSONResponse({"error": "invalid_client_metadata"}, 400)
        uris = body.get("redirect_uris")
        for key, ok in (("redirect_uris", isinstance(uris, list) and uris and all(isinstance(u, str) for u in uris)),
                        ("client_name", isinstance(body.get("client_name"), str) and body["client_name"]),
                        ("software_id", isinstance(body.get("software_id"), str) and body["software_id"])):
            if not ok:
                return JSONResponse({"error": "invalid_client_metadata",
                                     "error_description": f"{key} is mandatory"}, 400)
        client = {
            "client_id": uuid.uuid4().hex,
            "client_secret": secrets.token_urlsafe(24),
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

    async def unregister(request: Request) -> Response:
        client_id = request.path_params["client_id"]
        with fake.lock:
            client = fake.clients.get(client_id)
            if client is None:
                return _errors(404, "Not Found", "no such client")
            if request.headers.get("authorization") != f"Bearer {client['registration_access_token']}":
                return _errors(401, "Unauthorized", "bad registration access token")
            del fake.clients[client_id]
            for table in (fake.tokens, fake.refresh):
                for key in [k for k, v in table.items() if _client_of(v) == client_id]:
                    del table[key]
        return Response(status_code=204)

    async def authorize(request: Request) -> Response:
        q = request.query_params
        with fake.lock:
            client = fake.clients.get(q.get("client_id", ""))
        if client is None:
            return HTMLResponse("unknown client_id", 400)
        redirect_uri = q.get("redirect_uri", "")
        if redirect_uri not in client["redirect_uris"]:
            return HTMLResponse("redirect_uri is not registered for this client", 400)
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
        with fake.lock:
            client = fake.clients.get(str(form.get("client_id", "")))
            if client is None or form.get("client_secret") != client["client_secret"]:
                return JSONResponse({"error": "invalid_client"}, 400)
            if grant == "authorization_code":
                code = fake.codes.pop(str(form.get("code", "")), None)
                if code is None or code["client_id"] != client["client_id"]:
                    return JSONResponse({"error": "invalid_grant", "error_description": "bad code"}, 400)
                verifier = str(form.get("code_verifier", ""))
                if not verifier or _s256(verifier) != code["challenge"]:
                    return JSONResponse({"error": "invalid_grant", "error_description": "invalid code_verifier"}, 400)
                refresh = secrets.token_urlsafe(24)
                fake.refresh[refresh] = {"client_id": client["client_id"], "scope": code["scope"]}
                token = _new_access(fake, client["client_id"], code["scope"])
                return JSONResponse({"access_token": token, "token_type": "bearer",
                                     "refresh_token": refresh, "scope": code["scope"]})
            if grant == "refresh_token":
                entry = fake.refresh.get(str(form.get("refresh_token", "")))
                if entry is None or entry["client_id"] != client["client_id"]:
                    return JSONResponse({"error": "invalid_grant", "error_description": "bad refresh token"}, 400)
                token = _new_access(fake, client["client_id"], entry["scope"])
                # Like the stack: no new refresh token on refresh.
                return JSONResponse({"access_token": token, "token_type": "bearer", "scope": entry["scope"]})
        return JSONResponse({"error": "unsupported_grant_type"}, 400)

    app = Starlette(routes=[
        Route("/data/{doctype}/_normal_docs", normal_docs, methods=["GET"]),
        Route("/data/{doctype}/_index", create_index, methods=["POST"]),
        Route("/data/{doctype}/_find", find, methods=["POST"]),
        Route("/data/{doctype}/_all_docs", all_docs, methods=["POST"]),
        Route("/data/{doctype}/_bulk_docs", bulk_docs, methods=["POST"]),
        Route("/data/{doctype}/{id}", get_doc, methods=["GET"]),
        Route("/data/{doctype}/{id}", put_doc, methods=["PUT"]),
        Route("/remote/{doctype}", remote, methods=["POST"]),
        Route("/_dacc/measure", dacc_measure, methods=["POST"]),
        Route("/auth/register", register, methods=["POST"]),
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


def _client_of(value: Any) -> str | None:
    return value.client_id if isinstance(value, AccessToken) else value.get("client_id")


def _new_access(fake: FakeCozy, client_id: str, scope: str) -> str:
    token = "oauth-" + secrets.token_urlsafe(18)
    expires = time.time() + fake.token_ttl if fake.token_ttl is not None else None
    fake.tokens[token] = AccessToken(scope.split(), expires, client_id)
    return token


def _bookmark(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _unbookmark(bookmark: str | None) -> str | None:
    if not bookmark:
        return None
    try:
        return base64.urlsafe_b64decode(bookmark + "=" * (-len(bookmark) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def _unbookmark_offset(bookmark: Any) -> int:
    text = _unbookmark(bookmark) if isinstance(bookmark, str) else None
    return int(text) if text and text.isdigit() else 0


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
