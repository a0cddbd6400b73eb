"""The HTTP layer under the receiver: uvicorn's httptools protocol, told what the app must know.

ASGI hides what happens on the connection, and the receiver's records must say
what was really answered. This protocol:

- gives each request a :class:`Wire` (``scope[WIRE]``): whether the client is
  gone, whether the answer was delivered, and what the HTTP layer answered
  itself (uvicorn's 400 for a body it cannot parse, the 408 of a stalled body);
- reports what it refuses before any request reaches the app (a request line
  or headers it cannot parse, headers that never finish) through
  ``Hooks.refused``, so the summary can count them;
- answers a complete request whose client half-closed its side (shutdown of
  writes after the body) instead of dropping the answer, then closes;
- gives up on headers or a body that stall (``read_timeout``) with a 408;
- on a graceful stop, lets the requests already sent on idle keep-alive
  connections arrive and be answered, rather than closing those at once;
- with a token set (``RawAuthorizationProtocol``), keeps the ``Authorization``
  value as sent (``scope[RAW_AUTHORIZATION]``): uvicorn strips trailing
  whitespace from header values, and the real DACC refuses a token followed by
  a space.

``ReceiverServer`` also accepts the connections still waiting in the listen
backlog when the stop begins, so their requests are answered too.

The head of an answer is held until its body so that both leave in one
``send()`` (uvicorn writes them apart: two system calls for each answer).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable

import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle

log = logging.getLogger(__name__)

WIRE = "dacc_gui.wire"  # the scope keys
RAW_AUTHORIZATION = "dacc_gui.raw_authorization"
# Seconds an idle keep-alive connection gets, on stop, to deliver a request its client
# already sent: 0.2 s lost one request in a few thousand on a loaded 2-core machine.
STOP_GRACE = 1.0
DEFAULT_READ_TIMEOUT = 10.0


class Wire:
    """What the HTTP layer knows of one request that ASGI does not tell the app."""

    __slots__ = ("cycle", "answered")

    def __init__(self, cycle: RequestResponseCycle):
        self.cycle = cycle
        self.answered: tuple[int, str] | None = None  # (status, reason) the HTTP layer sent itself

    @property
    def client_gone(self) -> bool:
        return self.cycle.disconnected

    @property
    def delivered(self) -> bool:
        """The whole answer was handed to the connection (the client had not gone)."""
        return self.cycle.response_complete and not self.cycle.disconnected


class _OneWrite:
    """A connection's transport as its request cycles see it: the head of an answer waits
    for the body (or the end of the answer) and leaves with it."""

    __slots__ = ("transport", "head")

    def __init__(self, transport: asyncio.Transport):
        self.transport = transport
        self.head: bytes | None = None

    def write(self, data: bytes) -> None:
        if self.head is not None:
            data, self.head = self.head + data, None
        elif data[:9] == b"HTTP/1.1 " and data[9:10] != b"1":  # a head; not "100 Continue"
            self.head = data
            return
        self.transport.write(data)

    def flush(self) -> None:
        if self.head is not None:
            head, self.head = self.head, None
            self.transport.write(head)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def __getattr__(self, name: str):
        return getattr(self.transport, name)


class Hooks:
    """What the receiver gives the protocol (through ``config.dacc_hooks``)."""

    def __init__(
        self,
        refused: Callable[[int, str], None] | None = None,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
    ):
        self.refused = refused or (lambda status, reason: None)
        self.read_timeout = read_timeout


class ReceiverProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the additions of the module doc.

    The parser calls back into Python for every part of every request, so the
    overrides are few: what can be found after a ``data_received`` is.
    """

    def __init__(self, config, server_state, app_state, _loop=None):
        super().__init__(config, server_state, app_state, _loop)
        self.hooks: Hooks = getattr(config, "dacc_hooks", None) or Hooks()
        self._timer: asyncio.TimerHandle | None = None
        self._watched: object = None  # the scope (headers) or the cycle (body) the timer watches
        self._stopping = False
        self._one_write: _OneWrite | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._one_write = _OneWrite(transport)

    # -- parser callbacks ---------------------------------------------------------
    def on_headers_complete(self) -> None:
        before = self.cycle
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not before and cycle is not None:
            if self.scope["method"] != "HEAD":  # a HEAD answer has no body to carry its head
                cycle.transport = self._one_write
            self.scope[WIRE] = Wire(cycle)
            if self._stopping:
                cycle.keep_alive = False  # answered with Connection: close

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        cycle, scope = self.cycle, self.scope
        if scope is not None and (cycle is None or cycle.scope is not scope):
            # A request began whose headers are not all here yet.
            if self._watched is not scope and not self.transport.is_closing():
                self._arm(scope, self._headers_stalled)
        elif cycle is not None and cycle.more_body and not cycle.response_complete and not cycle.disconnected:
            if self._watched is not cycle and not self.transport.is_closing():
                self._arm(cycle, self._body_stalled)


    # -- what uvicorn answers itself ------------------------------------------------
    def send_400_response(self, msg: str) -> None:
        wire = self._wire_in_flight()
        if wire is not None:
            wire.answered = (400, msg)  # the app records it with its request
        else:
            self.hooks.refused(400, msg)
        super().send_400_response(msg)

    def _wire_in_flight(self) -> Wire | None:
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            return None
        return cycle.scope.get(WIRE)

    # -- half-closed clients ------------------------------------------------------------
    def eof_received(self) -> bool | None:
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and not cycle.more_body and not cycle.disconnected:
            # The request is complete and waits for its answer: keep the sending side
            # open for it, then close (nothing more can come from the client).
            cycle.keep_alive = False
            return True
        return None  # close now: an unfinished request will never be finished

    # -- stalls ---------------------------------------------------------------------------
    def _arm(self, watched: object, stalled: Callable[[object], None]) -> None:
        # Not cancelled when what it watches arrives (that would be a call for every
        # request); when it fires it checks that the same headers or body still wait.
        if self._timer is not None:
            self._timer.cancel()
        self._watched = watched
        self._timer = self.loop.call_later(self.hooks.read_timeout, stalled, watched)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._watched = None

    def _reason(self, what: str) -> str:
        return f"the request's {what} did not arrive within {self.hooks.read_timeout:g} s"

    def _headers_stalled(self, scope: object) -> None:
        self._timer = self._watched = None
        cycle = self.cycle
        if self.transport.is_closing() or self.scope is not scope or (cycle is not None and cycle.scope is scope):
            return  # they arrived meanwhile
        reason = self._reason("headers")
        self.hooks.refused(408, reason)
        self._send_and_close(408, reason)

    def _body_stalled(self, cycle: RequestResponseCycle) -> None:
        self._timer = self._watched = None
        if self.transport.is_closing() or self.cycle is not cycle or not cycle.more_body or cycle.response_complete:
            return  # it arrived meanwhile
        reason = self._reason("body")
        wire = cycle.scope.get(WIRE)
        if wire is not None:
            wire.answered = (408, reason)
        self._send_and_close(408, reason)
        cycle.disconnected = True  # the app learns it at its next read
        cycle.message_event.set()

    def _send_and_close(self, status: int, reason: str) -> None:
        body = reason.encode()
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()
        super().connection_lost(exc)

    # -- graceful stop ---------------------------------------------------------------------
    def shutdown(self) -> None:
        self._stopping = True
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            # Idle: a request may already be on its way (sent, not yet read); give it a moment.
            self.loop.call_later(STOP_GRACE, self._close_if_idle)
        else:
            cycle.keep_alive = False

    def _close_if_idle(self) -> None:
        cycle = self.cycle
        if (cycle is None or cycle.response_complete) and not self.transport.is_closing():
            self.transport.close()


class RawAuthorizationProtocol(ReceiverProtocol):
    """Also keeps the ``Authorization`` value as sent (``scope[RAW_AUTHORIZATION]``): uvicorn
    strips trailing whitespace from header values, and the real DACC refuses a token
    followed by a space. Used only with a token set: it costs a call per header."""

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(name) == 13 and name.lower() == b"authorization":
            self.scope[RAW_AUTHORIZATION] = value
        super().on_header(name, value)


class ReceiverServer(uvicorn.Server):
    """uvicorn's server, telling the app when the stop begins and serving the listen backlog."""

    def __init__(self, config: uvicorn.Config, on_stopping: Callable[[], None] | None = None):
        super().__init__(config)
        self._on_stopping = on_stopping
        self._listening: list[socket.socket] = []
        self.loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        self._listening = list(sockets or [])
        await super().startup(sockets)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._on_stopping is not None:
            try:
                self._on_stopping()
            except Exception:
                log.exception("receiver: stopping the app failed")
        await self._accept_backlog()
        await super().shutdown(sockets)

    async def _accept_backlog(self) -> None:
        """Connections the kernel accepted that the loop has not: they may carry a request."""
        config, loop = self.config, asyncio.get_running_loop()

        def protocol() -> asyncio.Protocol:
            return config.http_protocol_class(
                config=config, server_state=self.server_state, app_state=self.lifespan.state, _loop=loop
            )

        for listener in self._listening:
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:  # BlockingIOError: the backlog is empty
                    break
                conn.setblocking(False)
                try:
                    await loop.connect_accepted_socket(protocol, conn)
                except OSError:
                    conn.close()
