"""The receiver's HTTP side: the DACC routes, and the control API for scripts.

DACC routes (every request recorded):
  POST /measure                  a raw measure, as the DACC takes it
  POST /  and  POST /remote/<doctype>
                                 ``{"data": "<json string>"}`` or
                                 ``{"path": "measure", "data": "<json string>"}``,
                                 as Ecolyo posts through the Cozy stack
  GET|POST /aggregate            the DACC's aggregates over what was accepted
  GET /status                    the DACC's status document
Control API (not recorded): ``/_receiver/summary``, ``/_receiver/measures``,
``/_receiver/reset``, ``/_receiver/export``, ``/_receiver/faults``, ``/_receiver/mode``,
``/_receiver/aggregation`` (production's aggregation passes), ``/_receiver/aggregates``
(the production and live views); with a token set it needs the token too, and it
never answers other web origins (``guard``).

Measures get production's answer (``dacc_gui.dacc.production``): the real DACC's
status and ``error`` text, its 500s and its 201s that store nothing included. With
clear errors (``clear_errors``), those 500s become 400 and those 201s 422
(``receiver.modes``); the record keeps production's answer either way.

Every request that reaches the app is recorded with what was really answered:
the record is committed before the answer goes (so an answered request is
stored), a request whose client left or that the HTTP layer answered itself
(``httplayer``) says so, and a store failure is recorded as the 503 it got.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import sqlite3
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import PrivateAttr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dacc_gui.common.jsontext import json_type
from dacc_gui.dacc.measures import MeasureCatalog, MeasureDefinition, load_catalog
from dacc_gui.dacc import aggregate as agg
from dacc_gui.dacc import production
from dacc_gui.dacc.production_query import answer_query
from dacc_gui.receiver import jsontext, modes
from dacc_gui.receiver.faults import FaultError, Faults
from dacc_gui.receiver.guard import Guard, Refusal
from dacc_gui.receiver.httplayer import RAW_AUTHORIZATION, WIRE
from dacc_gui.receiver.passes import ProductionAggregation
from dacc_gui.receiver.records import BODY_KEEP_LIMIT, Kind, Record, Shape, now_iso, redact_headers
from dacc_gui.receiver.store import WAIT, Store, StoreError, Ticket, stored_failure
from dacc_gui.dacc.validation import validation_of

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # 1 MiB: past it, 413
DRAIN_LIMIT = 16 * MAX_BODY  # a bigger body is not read to its end (the connection closes)

DACC_DOCTYPES = (
    "cc.cozycloud.dacc",
    "cc.cozycloud.dacc_v2",
    "cc.cozycloud.dacc.dev",
    "cc.cozycloud.dacc.dev_v2",
)

# Flask-HTTPAuth's answer to a missing or wrong token, as the real DACC sends it.
UNAUTHORIZED_BODY = "Unauthorized Access"
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="Authentication Required"'}
# What the Cozy stack answers on /remote/<doctype> when the DACC sends its 401 HTML page.
STACK_502_BODY = {
    "status": "502",
    "title": "Bad Gateway",
    "detail": "the content-type for the response is not authorized",
    "source": {},
}
STACK_502 = (
    "the DACC answers 401 with an HTML page, which the Cozy stack does not relay: "
    "it answers 502 \"the content-type for the response is not authorized\""
)
INJECTED_500 = {"error": "Injected fault: internal server error"}
RECORD = "dacc_gui.record"  # the scope key of a request's record, for the check after sending
NOT_DELIVERED = "the client had closed the connection: it never got this answer"
UNFINISHED = "the client closed the connection before its request was complete: nothing was answered"

ROUTES_HELP = [
    "POST /measure",
    "POST /",
    "POST /remote/<doctype>",
    "GET|POST /aggregate",
    "GET /status",
    "GET /_receiver/summary",
    "GET /_receiver/measures?status=&measureName=&since=&after=&limit=&offset=",
    "POST /_receiver/reset",
    "GET /_receiver/export",
    "GET|POST|DELETE /_receiver/faults",
    "GET|POST /_receiver/mode  {\"clearErrors\": true|false}",
    "GET|POST /_receiver/aggregation  {\"force\": true, \"measureName\": ...}",
    "GET /_receiver/aggregates?view=production|live&measureName=&startDate=&endDate=&createdBy=",
]


def dump(value: Any) -> str:
    """JSON text of any parsed body: NaN as "nan", lone surrogates escaped, any depth."""
    return jsontext.dumps(value)


def json_response(value: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(dump(value), status, headers, media_type="application/json")


class _IndexedCatalog(MeasureCatalog):
    """The catalog with its name index built once (``get`` is called several times per measure)."""

    _index: dict[str, MeasureDefinition] = PrivateAttr(default_factory=dict)

    @classmethod
    def of(cls, catalog: MeasureCatalog) -> _IndexedCatalog:
        indexed = cls.model_validate(catalog.model_dump())
        indexed._index = MeasureCatalog.by_name(indexed)
        return indexed

    def by_name(self) -> dict[str, MeasureDefinition]:
        return self._index

    def get(self, name: str) -> MeasureDefinition | None:
        return self._index.get(name)


class _Endpoint:
    """An ASGI endpoint taking every method (function endpoints default to GET only).

    A handler answering None sends nothing (its client is gone). After sending,
    ``sent(scope)`` checks that the answer of a recorded request got out.
    """

    def __init__(self, handler: Callable[[Request], Awaitable[Response | None]],
                 sent: Callable[[dict], None] | None = None):
        self.handler = handler
        self.sent = sent

    async def __call__(self, scope, receive, send) -> None:
        try:
            response = await self.handler(Request(scope, receive))
        except (StoreError, sqlite3.Error) as exc:  # the control API reading a failing database
            log.error("receiver: %s %s: the database failed: %s", scope["method"], scope["path"], exc)
            response = json_response({"error": f"the receiver's database failed: {exc}"}, 503)
        if response is not None:
            await response(scope, receive, send)
        if self.sent is not None:
            self.sent(scope)


_OK = {"ok": True}
_OK_TEXT = dump(_OK)
_JSON = (b"content-type", b"application/json")
_HTML = (b"content-type", b"text/html; charset=utf-8")


class _Reply:
    """What a DACC route decided: the answer and what to record with it."""

    def __init__(self, status: int, body: Any, *, html: bool = False, headers: dict | None = None):
        self.status = status
        self.text = body if isinstance(body, str) else _OK_TEXT if body == _OK else dump(body)
        self.html = html
        self.headers = headers

    def response(self) -> _Answer:
        body = jsontext.encodable(self.text).encode("utf-8")
        return _Answer(self.status, body, _HTML if self.html else _JSON, self.headers)


class _Answer:
    """An answer sent as two ASGI messages (Starlette's Response builds more than needed here)."""

    __slots__ = ("status", "body", "headers")

    def __init__(self, status: int, body: bytes, kind: tuple[bytes, bytes], headers: dict | None = None):
        self.status = status
        self.body = body
        self.headers = [(b"content-length", str(len(body)).encode()), kind]
        if headers:
            self.headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


def _parse_json(body: bytes) -> tuple[bool, Any, str | None]:
    """(parsed?, value, error): JSON of a body, or why it is not JSON."""
    try:
        return True, json.loads(body), None
    except UnicodeDecodeError:
        return False, None, "the body is not UTF-8 text"
    except RecursionError:
        return False, None, "the body's JSON is nested too deeply"
    except ValueError as exc:
        return False, None, f"the body is not JSON: {exc}"


class ReceiverApp:
    """Builds the Starlette app over a store, a fault queue and an optional token."""

    def __init__(
        self,
        store: Store,
        faults: Faults | None = None,
        token: str | None = None,
        catalog: MeasureCatalog | None = None,
        clear_errors: bool = False,
        host: str = "127.0.0.1",
    ):
        self.store = store
        self.faults = faults or Faults()
        self.token = token or None
        self.guard = Guard(self.token, host)
        self.catalog = _IndexedCatalog.of(catalog or load_catalog())
        self.definitions = self.catalog.by_name()
        self.clear_errors = clear_errors  # read per request: switching it takes effect at once
        self.aggregation = ProductionAggregation(store, self.catalog)
        self._settled: deque = deque()  # (future, error, record) from the writer thread
        self._settle_lock = threading.Lock()
        self._settle_scheduled = False
        self._waiting: deque = deque()  # (deadline, ticket, future): commits nobody waits on forever
        self._watching = False
        self._outbox: list[tuple[Ticket, asyncio.Future]] = []  # for the writer, once per loop turn
        self._stopping = asyncio.Event()  # set when the server stops: injected delays end
        dacc = [
            Route("/measure", _Endpoint(self._measure)),
            Route("/", _Endpoint(self._wrapped)),
            Route("/remote/{doctype:path}", _Endpoint(self._wrapped)),
            Route("/aggregate", _Endpoint(self._aggregate)),
            Route("/status", _Endpoint(self._status)),
        ]
        control = [
            Route("/_receiver/summary", _Endpoint(self._control_summary)),
            Route("/_receiver/measures", _Endpoint(self._control_measures)),
            Route("/_receiver/reset", _Endpoint(self._control_reset)),
            Route("/_receiver/export", _Endpoint(self._control_export)),
            Route("/_receiver/faults", _Endpoint(self._control_faults)),
            Route("/_receiver/mode", _Endpoint(self._control_mode)),
            Route("/_receiver/aggregation", _Endpoint(self._control_aggregation)),
            Route("/_receiver/aggregates", _Endpoint(self._control_aggregates)),
        ]
        unknown = [Route("/{path:path}", _Endpoint(self._unknown, self._sent))]
        self._router = Starlette(routes=dacc + control + unknown)
        # The DACC routes without Starlette's middleware and route matching: the hot path.
        self._direct = {route.path: route.endpoint for route in dacc if "{" not in route.path}
        self._remote = next(route.endpoint for route in dacc if route.path.startswith("/remote/"))
        self._other = unknown[0].endpoint
        for endpoint in (*self._direct.values(), self._remote):
            endpoint.sent = self._sent
        self.app = self._asgi

    async def _asgi(self, scope, receive, send) -> None:
        """Host check, control API guard, then the route (see ``guard``)."""
        if scope["type"] != "http":
            return await self._router(scope, receive, send)
        path = scope["path"]
        refusal = self.guard.host_refusal(scope)
        if path == "/_receiver" or path.startswith("/_receiver/"):
            refusal = refusal or self.guard.control_refusal(scope)
            if refusal is not None:  # not recorded, like everything of the control API
                return await refusal.response()(scope, receive, send)
            return await self._router(scope, receive, send)
        if refusal is not None:
            return await _Endpoint(lambda request: self._refused(request, refusal), self._sent)(scope, receive, send)
        endpoint = self._direct.get(path)
        if endpoint is None:
            if path.startswith("/remote/"):
                endpoint = self._remote
            elif path.startswith("/"):
                endpoint = self._router
            else:  # OPTIONS *, and whatever else has no path
                endpoint = self._other
        await endpoint(scope, receive, send)

    # -- the server's life ----------------------------------------------------------
    def serving(self) -> None:
        """The server starts (again, on a new event loop): injected delays run their course."""
        self._stopping = asyncio.Event()
        self._waiting.clear()  # futures of the last loop, all settled before it stopped
        self._watching = False
        self._outbox = []

    def begin_stop(self) -> None:
        """The server is stopping (called on its loop): requests in flight are answered now."""
        self._stopping.set()

    async def _pause(self, seconds: float) -> None:
        """Sleep, unless the server stops meanwhile."""
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            pass

    # -- the common path of every DACC request ---------------------------------
    async def _handle(
        self,
        request: Request,
        kind: str,
        decide: Callable[[Record, bytes], _Reply],
        methods: tuple[str, ...],
        needs_token: bool,
    ) -> Response | None:
        record = Record(
            received_at=now_iso(),
            method=request.method,
            path=_path_of(request),
            headers=redact_headers([(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]]),
            kind=kind,
        )
        request.scope[RECORD] = record
        wire = request.scope.get(WIRE)
        try:
            body, size, whole = await self._read_body(request)
            record.body = body if size <= MAX_BODY else body[:BODY_KEEP_LIMIT]
            if not whole:
                return await self._unfinished(record, wire)
            reply = await self._decide(request, record, body, size, decide, methods, needs_token)
            reply = _through_the_stack(record, reply)
        except Exception as exc:  # a bug of ours: still recorded, still answered
            log.exception("receiver: internal error on %s %s", request.method, request.url.path)
            record.error = f"internal receiver error: {type(exc).__name__}: {exc}"
            reply = _Reply(500, {"error": record.error})
        record.status = reply.status
        record.response = reply.text
        if record.error is None and reply.status >= 400:
            record.error = _error_of(reply.text)
        if wire is not None and wire.client_gone:  # it left while we decided: nobody to answer
            record.error = _joined(record.error, NOT_DELIVERED)
        try:
            await self._commit(record)
        except StoreError as exc:  # its record says this 503 too (when it could be kept)
            return json_response({"error": str(exc)}, 503)
        return reply.response()

    async def _unfinished(self, record: Record, wire) -> None:
        """A request whose body never arrived whole: recorded with what its client got."""
        if wire is not None and wire.answered is not None:
            status, reason = wire.answered
            record.status, record.response = status, reason
            record.error = f"answered {status} by the HTTP layer before the receiver could: {reason}"
        else:
            record.error = UNFINISHED
        try:
            await self._commit(record)
        except StoreError:
            pass  # logged by the store; the client is gone anyway
        return None

    async def _refused(self, request: Request, refusal: Refusal) -> Response | None:
        """A DACC route under a foreign Host: recorded, and refused."""
        def decide(record: Record, body: bytes) -> _Reply:
            return _Reply(refusal.status, {"error": refusal.error}, headers=refusal.headers)

        methods = (request.method,)
        return await self._handle(request, Kind.OTHER, decide, methods, False)

    def _sent(self, scope) -> None:
        """After sending: a recorded answer that did not get out is noted in its record."""
        record, wire = scope.get(RECORD), scope.get(WIRE)
        if record is None or wire is None or record.id is None or wire.delivered:
            return
        if record.status == 0 or wire.answered is not None:
            return  # recorded as unanswered, or as what the HTTP layer answered
        if record.error and NOT_DELIVERED in record.error:
            return  # known before the commit
        self.store.annotate(record.id, _joined(record.error, NOT_DELIVERED))

    async def _decide(self, request, record, body, size, decide, methods, needs_token) -> _Reply:
        fault = self.faults.take() if kind_takes_faults(record.kind) else None
        if fault is not None:
            record.fault = fault.kind
            if fault.delay:
                await self._pause(fault.delay)
            if fault.kind == "500":
                record.error = "injected fault: 500"
                return _Reply(500, INJECTED_500)
            if fault.kind == "401":
                record.error = "injected fault: 401 (the DACC's HTML page)"
                return _Reply(401, UNAUTHORIZED_BODY, html=True, headers=UNAUTHORIZED_HEADERS)
        if request.method not in methods:
            return _Reply(
                405,
                {"error": f"{request.method} is not allowed on {request.url.path}", "routes": ROUTES_HELP},
                headers={"Allow": ", ".join(methods)},
            )
        if needs_token:
            unauthorized = self._check_token(request, record)
            if unauthorized is not None:
                return unauthorized
        if size > MAX_BODY:
            record.production_note = "production has no size limit of its own: it would have read this body"
            return _Reply(413, {"error": f"the body is larger than 1 MiB ({size} bytes); production "
                                         "has no size limit and would have read it"})
        if record.kind == Kind.QUERY:  # they read the database: off the event loop
            return await _off_loop(decide, record, body)
        return decide(record, body)

    async def _read_body(self, request: Request) -> tuple[bytes, int, bool]:
        """The body (up to 1 MiB kept in full), its size, and whether it arrived whole.

        A huge body is not read to its end (the connection closes).
        """
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > DRAIN_LIMIT:
            return b"", int(declared), True
        chunks, size = [], 0
        receive = request.receive  # straight from ASGI: Starlette's stream() costs an async generator
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks), size, False
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= MAX_BODY:
                chunks.append(chunk)
            elif size > DRAIN_LIMIT:
                break
            if not message.get("more_body", False):
                break
        return chunks[0] if len(chunks) == 1 else b"".join(chunks), size, True

    def _check_token(self, request: Request, record: Record) -> _Reply | None:
        if self.token is None:  # no token set: every sender is welcome, as in the local recipe
            return None
        # Flask-HTTPAuth: split on the first run of spaces, scheme without case,
        # the token compared exactly (a trailing space is a wrong token).
        raw = request.scope.get(RAW_AUTHORIZATION)  # as sent: uvicorn strips trailing spaces
        sent = raw.decode("latin-1") if raw is not None else request.headers.get("authorization", "")
        parts = sent.lstrip().split(None, 1)
        bearer = parts[1] if len(parts) == 2 and parts[0].lower() == "bearer" else ""
        if bearer and hmac.compare_digest(bearer.encode(), self.token.encode()):
            return None
        record.error = "missing or wrong bearer token (the DACC's 401 HTML page)"
        record.production_status = 401
        record.production_response = UNAUTHORIZED_BODY
        record.production_note = (
            "production compares the bearer token exactly (a trailing space, another scheme or "
            "no token is refused) and answers 401 with its HTML page"
        )
        return _Reply(401, UNAUTHORIZED_BODY, html=True, headers=UNAUTHORIZED_HEADERS)

    async def _commit(self, record: Record) -> None:
        """Hand the record to the store and wait until it is committed (at most ``WAIT`` s).

        Raises StoreError when it could not be stored as it is: the request is then
        answered 503 with ``record.response``, which its record says too.
        """
        loop = asyncio.get_running_loop()
        future = loop.create_future()

        def done(_: Record, error: BaseException | None) -> None:
            # Called in the writer thread: queue the outcome, wake the loop once per batch.
            self._settled.append((future, error, record))
            with self._settle_lock:
                if self._settle_scheduled:
                    return
                self._settle_scheduled = True
            try:
                loop.call_soon_threadsafe(self._settle)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass

        ticket = Ticket(record, done)
        if not self._outbox:
            loop.call_soon(self._send_outbox)
        self._outbox.append((ticket, future))
        self._waiting.append((loop.time() + WAIT, ticket, future))
        if not self._watching:
            self._watching = True
            loop.call_later(1.0, self._watch, loop)
        await future

    def _send_outbox(self) -> None:
        """The records of this loop turn to the writer in one go: one wake of its thread, not one
        per request (each wake costs a system call with the interpreter lock held)."""
        outbox, self._outbox = self._outbox, []
        try:
            self.store.submit_all([ticket for ticket, _ in outbox])
        except StoreError as exc:
            for ticket, future in outbox:
                if not future.done():
                    future.set_exception(StoreError(stored_failure(exc)))

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Once a second while commits are awaited: answer 503 to those older than WAIT."""
        now = loop.time()
        waiting = self._waiting
        while waiting and (waiting[0][2].done() or waiting[0][0] <= now):
            _, ticket, future = waiting.popleft()
            if future.done():
                continue
            answer = stored_failure(f"the store did not answer within {WAIT:g} s")
            if self.store.abandon(ticket, answer):  # else its outcome is on its way
                log.error("receiver: %s %s answered 503: %s", ticket.record.method, ticket.record.path, answer)
                future.set_exception(StoreError(answer))
        if waiting:
            loop.call_later(1.0, self._watch, loop)
        else:
            self._watching = False

    def _settle(self) -> None:
        with self._settle_lock:
            self._settle_scheduled = False
        while self._settled:
            future, error, record = self._settled.popleft()
            if future.done():  # answered 503 by the watch: the store keeps the record as such
                continue
            if error is None:
                future.set_result(None)
            else:  # the writer wrote the 503 into the record; the answer says the same
                future.set_exception(StoreError(record.error if record.status == 503 else stored_failure(error)))

    # -- measures ---------------------------------------------------------------
    async def _measure(self, request: Request) -> Response:
        return await self._handle(request, Kind.MEASURE, self._decide_raw, ("POST",), True)

    async def _wrapped(self, request: Request) -> Response:
        return await self._handle(request, Kind.MEASURE, self._decide_wrapped, ("POST",), True)

    def _decide_raw(self, record: Record, body: bytes) -> _Reply:
        record.shape = Shape.RAW
        answer = production.answer_body(record.headers.get("content-type"), body, self.catalog)
        return self._judge(record, answer)

    def _decide_wrapped(self, record: Record, body: bytes) -> _Reply:
        # The wrapper is the Cozy stack's (or the local recipe's): its mistakes get the
        # receiver's own 400 (the stack's answer to them was not measured).
        doctype = record.path.removeprefix("/remote/").split("?")[0] if record.path.startswith("/remote/") else None
        parsed, outer, error = _parse_json(body)
        if not parsed:
            return _Reply(400, {"error": error})
        form = 'Ecolyo posts {"data": "<the measure as a JSON string>"} here'
        if not isinstance(outer, dict):
            return _Reply(400, {"error": f"the body must be a JSON object: {form}"})
        if "data" not in outer:
            hint = " (a raw measure goes to POST /measure)" if "measureName" in outer else ""
            return _Reply(400, {"error": f'the body has no "data" field: {form}{hint}'})
        record.shape = Shape.PATH_DATA if "path" in outer else Shape.DATA
        if "path" in outer and outer["path"] != "measure":
            return _Reply(400, {"error": f'"path" is {dump(outer["path"])}: the DACC takes measures on "measure"'})
        if doctype is not None and doctype.endswith("_v2") and "path" not in outer:
            return _Reply(400, {"error": f'the {doctype} remote doctype needs "path": "measure" beside "data"'})
        data = outer["data"]
        if not isinstance(data, str):
            what = "an object" if isinstance(data, dict) else f"a JSON {json_type(data)}"
            return _Reply(
                400,
                {"error": f'"data" must be a string holding the measure as JSON, not {what}: '
                          "the Cozy stack only forwards strings"},
            )
        # The string is what the DACC gets, as application/json.
        inner = data.encode("utf-8", errors="surrogatepass")
        reply = self._judge(record, production.answer_body("application/json", inner, self.catalog))
        if reply.status == 201 and doctype is not None and doctype not in DACC_DOCTYPES:
            record.warnings.append(
                f"{doctype} is not a DACC remote doctype ({', '.join(DACC_DOCTYPES)})"
            )
        return reply

    def _judge(self, record: Record, answer: production.Answer) -> _Reply:
        """Production's answer recorded; the reply as the mode says; lints on a 201."""
        record.measure, record.has_measure = answer.measure, answer.parsed
        record.production_status = answer.status
        record.production_response = dump(answer.body)
        record.production_note = answer.why
        record.stored = answer.stored
        record.not_stored_reason = answer.not_stored.reason if answer.not_stored else None
        record.row = answer.row
        clear = self.clear_errors  # read once: under --workers, each read asks the database
        record.mode = modes.mode_name(clear)
        if answer.status == 201:
            with self.store.duplicate_keys() as seen:
                record.warnings = validation_of(answer, self.catalog, seen).warnings
                record.duplicate_key = seen.added
        status, body = modes.reply(answer, clear)
        return _Reply(status, body)

    # -- DACC queries -------------------------------------------------------------
    async def _aggregate(self, request: Request) -> Response:
        return await self._handle(request, Kind.QUERY, self._decide_aggregate, ("GET", "POST"), True)

    def _decide_aggregate(self, record: Record, body: bytes) -> _Reply:
        """Production's /aggregate: the stored aggregates of its passes, or its error."""
        asked = answer_query(record.headers.get("content-type"), body, self.catalog)
        record.production_status = asked.status
        record.production_note = asked.why
        clear = self.clear_errors  # read once, as in _judge
        record.mode = modes.mode_name(clear)
        if asked.query is None:
            record.production_response = dump({"error": asked.error})
            if clear and asked.status == 500:
                return _Reply(400, {"error": asked.why, "production": {"status": 500, "error": asked.error}})
            return _Reply(asked.status, {"error": asked.error})
        rows = self.aggregation.query(asked.query)
        record.production_response = None  # the rows themselves: the answer is production's
        return _Reply(200, rows)

    async def _status(self, request: Request) -> Response:
        return await self._handle(request, Kind.QUERY, self._decide_status, ("GET", "HEAD"), False)

    def _decide_status(self, record: Record, body: bytes) -> _Reply:
        try:
            self.store.summary()
            db = {"status": "ok"}
        except Exception as exc:
            db = {"status": "ko", "error": str(exc)}
        return _Reply(200, {"db": db, "global_status": db["status"]})

    async def _unknown(self, request: Request) -> Response:
        def decide(record: Record, body: bytes) -> _Reply:
            return _Reply(404, {"error": f"unknown path {request.scope['path']}", "routes": ROUTES_HELP})

        methods = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
        return await self._handle(request, Kind.OTHER, decide, (request.method, *methods), False)

    # -- control API ----------------------------------------------------------------
    async def _control_summary(self, request: Request) -> Response:
        if request.method != "GET":
            return _not_allowed(request, "GET")
        return json_response(await _off_loop(self.summary))

    def summary(self) -> dict[str, Any]:
        """The store's summary, with the mode and the last aggregation pass."""
        out = self.store.summary()
        out["mode"] = modes.mode_name(self.clear_errors)
        out["lastAggregationPass"] = self.aggregation.last_pass_at()
        return out

    async def _control_measures(self, request: Request) -> Response:
        if request.method != "GET":
            return _not_allowed(request, "GET")
        q = request.query_params
        try:
            limit = int(q.get("limit", "1000"))
            offset = int(q.get("offset", "0"))
            after = int(q["after"]) if q.get("after") else None
            if limit < 0 or offset < 0:
                raise ValueError("limit and offset must not be negative")
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)

        def listed() -> str:
            records = self.store.records(
                status=q.get("status"),
                measure=q.get("measureName") or q.get("measure"),
                since=q.get("since"),
                after=after,
                kind=q.get("kind"),
                limit=limit,
                offset=offset,
            )
            return dump({"count": len(records), "records": [r.to_json() for r in records]})

        try:
            text = await _off_loop(listed)  # the query and the text of thousands of records
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)
        return Response(text, 200, media_type="application/json")

    async def _control_reset(self, request: Request) -> Response:
        if request.method != "POST":
            return _not_allowed(request, "POST")
        removed = await _off_loop(self.store.reset)
        return json_response({"ok": True, "removed": removed})

    async def _control_export(self, request: Request) -> Response:
        if request.method != "GET":
            return _not_allowed(request, "GET")
        text = await _off_loop(lambda: dump({**self.store.export(), "summary": self.summary()}))
        return Response(text, 200, media_type="application/json")

    async def _control_faults(self, request: Request) -> Response:
        if request.method == "GET":
            return json_response({"pending": [f.to_json() for f in self.faults.pending()]})
        if request.method == "DELETE":
            return json_response({"ok": True, "cleared": self.faults.clear()})
        if request.method != "POST":
            return _not_allowed(request, "GET, POST, DELETE")
        body = await request.body()
        if body.strip():
            parsed, params, error = _parse_json(body)
            if not parsed:
                return json_response({"error": error}, 400)
        else:
            params = dict(request.query_params)
            for key, convert in (("count", int), ("delay", float)):
                if key in params:
                    try:
                        params[key] = convert(params[key])
                    except ValueError:
                        return json_response({"error": f"{key} must be a number"}, 400)
        if not isinstance(params, dict) or "kind" not in params:
            return json_response(
                {"error": 'give {"kind": "delay"|"500"|"401", "count": N, "delay": seconds}'}, 400
            )
        try:
            self.faults.inject(params["kind"], params.get("count", 1), params.get("delay"))
        except FaultError as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response({"ok": True, "pending": [f.to_json() for f in self.faults.pending()]}, 201)

    async def _control_mode(self, request: Request) -> Response:
        if request.method == "POST":
            params, error = await _control_params(request)
            value = params.get("clearErrors") if isinstance(params, dict) else None
            value = {"true": True, "false": False}.get(value, value) if isinstance(value, str) else value
            if error is None and not isinstance(value, bool):
                error = 'give {"clearErrors": true} or {"clearErrors": false}'
            if error is not None:
                return json_response({"error": error}, 400)
            self.clear_errors = value
        elif request.method != "GET":
            return _not_allowed(request, "GET, POST")
        return json_response(self.mode_json())

    def mode_json(self) -> dict[str, Any]:
        clear = self.clear_errors
        return {
            "mode": modes.mode_name(clear),
            "clearErrors": clear,
            "meaning": (
                "production's 500s are answered 400 and its 201s that store nothing 422"
                if clear else "every answer is production's, 500s and 201s that store nothing included"
            ),
        }

    async def _control_aggregation(self, request: Request) -> Response:
        if request.method == "GET":
            return json_response(await _off_loop(self.aggregation.status))
        if request.method != "POST":
            return _not_allowed(request, "GET, POST")
        params, error = await _control_params(request)
        if error is None and not isinstance(params, dict):
            error = 'give {"force": true|false, "measureName": "<name>" (optional)}'
        if error is None:
            force, name = params.get("force", True), params.get("measureName")
            if not isinstance(force, bool):
                error = "force must be true or false"
            elif name is not None and name not in self.definitions:
                error = f"No measure definition found for: {name}"
        if error is not None:
            return json_response({"error": error}, 400)
        outcomes = await _off_loop(self.aggregation.run, force=force, measure=name)
        return json_response({"passes": [o.to_json() for o in outcomes], **await _off_loop(self.aggregation.status)})

    async def _control_aggregates(self, request: Request) -> Response:
        if request.method != "GET":
            return _not_allowed(request, "GET")
        q = dict(request.query_params)
        view = q.pop("view", "production")
        hidden = q.pop("hidden", "") in ("1", "true", "yes")
        if view not in ("production", "live"):
            return json_response({"error": "view must be production or live"}, 400)
        try:
            query = agg.parse_query(q, self.definitions)
        except agg.AggregateQueryError as exc:
            return json_response({"error": str(exc)}, exc.status)
        if view == "live":  # the live view always shows the hidden groups, marked
            rows = await _off_loop(self.live_aggregates, query, True)
        else:
            rows = await _off_loop(self.aggregation.query, query, hidden)
        return json_response({
            "view": view,
            "lastAggregationPass": await _off_loop(self.aggregation.last_pass_at),
            "rows": rows,
        })

    def live_aggregates(self, query: agg.Query, include_hidden: bool = True) -> list[dict[str, Any]]:
        """Everything production would have stored, aggregated now, one pass."""
        rows = self.store.aggregation_rows(query)
        return agg.aggregate_rows(rows, self.definitions[query.measure_name], include_hidden=include_hidden)


async def _control_params(request: Request) -> tuple[Any, str | None]:
    """A control request's JSON body, or its query string."""
    body = await request.body()
    if not body.strip():
        return dict(request.query_params), None
    parsed, params, error = _parse_json(body)
    return (params, None) if parsed else (None, error)


def _through_the_stack(record: Record, reply: _Reply) -> _Reply:
    """On /remote/<doctype>, the DACC's 401 HTML page reaches the sender as the stack's 502."""
    if reply.status != 401 or not reply.html or not record.path.startswith("/remote/"):
        return reply
    record.production_status = 502
    record.production_response = dump(STACK_502_BODY)
    record.production_note = (record.production_note + "; " if record.production_note else "") + STACK_502
    return _Reply(502, STACK_502_BODY)


def kind_takes_faults(kind: str) -> bool:
    return kind in (Kind.MEASURE, Kind.QUERY)


async def _off_loop(fn, *args, **kwargs):
    """Run a store read in a worker thread so the server keeps answering."""
    return await asyncio.to_thread(fn, *args, **kwargs)


def _not_allowed(request: Request, allowed: str) -> Response:
    return json_response(
        {"error": f"{request.method} is not allowed on {request.url.path}", "routes": ROUTES_HELP},
        405,
        {"Allow": allowed},
    )


def _path_of(request: Request) -> str:
    """The path as received, with its query string (cheaper than building ``request.url``)."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    return request.scope["path"] + (f"?{query}" if query else "")


def _query_params(path: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    _, _, query = path.partition("?")
    return dict(parse_qsl(query, keep_blank_values=True))


def _joined(first: str | None, then: str) -> str:
    return f"{first}; {then}" if first else then


def _error_of(text: str) -> str:
    try:
        value = json.loads(text)
    except ValueError:
        return text[:200]
    return str(value.get("error")) if isinstance(value, dict) and "error" in value else text[:200]
