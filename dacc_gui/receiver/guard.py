"""Who may talk to the receiver: the Host check on loopback, and the control API's guard.

A receiver on loopback is still reachable from any web page the user opens:
a page can post to ``http://127.0.0.1:8081`` (a "simple" cross-origin POST,
``text/plain``, needs no permission), or make its own host name resolve to
127.0.0.1 (DNS rebinding) and then read the answers. So:

- on a loopback address, a request whose ``Host`` is not 127.0.0.1,
  localhost or [::1] with the receiver's port (or the configured host) is
  refused (421): no web page can read the receiver under another name;
- the control API (``/_receiver/...``) refuses requests from another web
  origin (an ``Origin`` that is not the receiver's own, or a browser's
  ``Sec-Fetch-Site`` saying cross-site), bodies that are not JSON (a form or
  text/plain is what a page can send without asking), and, with a token set,
  requests without ``Authorization: Bearer <token>``;
- no answer carries CORS headers, so a browser lets no other page read them.
"""

from __future__ import annotations

import hmac
import ipaddress
import json

from starlette.responses import Response

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_SIMPLE_TYPES = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data")


class Refusal:
    """Why a request is refused, and the answer it gets."""

    def __init__(self, status: int, error: str, headers: dict[str, str] | None = None):
        self.status = status
        self.error = error
        self.headers = headers

    def response(self) -> Response:
        return Response(json.dumps({"error": self.error}), self.status, self.headers, media_type="application/json")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


class Guard:
    """The checks of the module doc, for a receiver configured on ``host`` with ``token``."""

    def __init__(self, token: str | None, host: str):
        self.token = token or None
        self.host = host
        self.check_host = is_loopback(host)  # bound elsewhere on purpose: any name may be used
        self._names = {*LOOPBACK_NAMES, _bracketed(host).lower()}
        self._allowed: dict[int, frozenset[str]] = {}

    def allowed_hosts(self, port: int) -> frozenset[str]:
        allowed = self._allowed.get(port)
        if allowed is None:
            names = {f"{name}:{port}" for name in self._names}
            if port == 80:
                names |= self._names
            allowed = self._allowed[port] = frozenset(names)
        return allowed

    def host_refusal(self, scope) -> Refusal | None:
        """A request on loopback under a foreign ``Host``; None when it may go on."""
        if not self.check_host:
            return None
        host = _header(scope, b"host")
        if host is None:  # HTTP/1.0 without Host: no browser sends that
            return None
        port = _port(scope)
        if host.lower() in self.allowed_hosts(port):
            return None
        return Refusal(
            421,
            f"Host {host!r} is not this receiver's: on loopback it answers only "
            f"{', '.join(f'{n}:{port}' for n in LOOPBACK_NAMES)} (a web page under another "
            "name may be trying DNS rebinding)",
        )

    def control_refusal(self, scope) -> Refusal | None:
        """A control API request that may not go on, or None."""
        headers = dict(scope["headers"])  # names are lower case in ASGI
        origin = headers.get(b"origin")
        port = _port(scope)
        if origin is not None:
            text = origin.decode("latin-1")
            own = {f"http://{name}" for name in self.allowed_hosts(port)}
            if text.lower() not in own:
                return Refusal(403, f"cross-origin request refused: the control API does not answer "
                                    f"web pages of other sites (Origin {text!r})")
        site = headers.get(b"sec-fetch-site", b"").lower()
        if site in (b"cross-site", b"same-site"):
            return Refusal(403, "cross-origin request refused: the control API does not answer web pages "
                                f"of other sites (Sec-Fetch-Site: {site.decode('latin-1')})")
        if self.token is not None:
            given = headers.get(b"authorization", b"")
            scheme, _, value = given.partition(b" ")
            expected = self.token.encode("utf-8")
            if scheme.lower() != b"bearer" or not hmac.compare_digest(value, expected):
                return Refusal(
                    401,
                    "the control API needs the receiver's token: send Authorization: Bearer <token>",
                    {"WWW-Authenticate": 'Bearer realm="dacc-gui receiver control API"'},
                )
        if _has_body(headers):
            kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower().decode("latin-1")
            if kind in _SIMPLE_TYPES or (kind and kind != "application/json"):
                return Refusal(415, f"the control API takes JSON bodies (Content-Type: application/json), "
                                    f"not {kind}")
        return None


def _header(scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def _port(scope) -> int:
    server = scope.get("server")
    return int(server[1]) if server and server[1] is not None else 80


def _has_body(headers: dict[bytes, bytes]) -> bool:
    length = headers.get(b"content-length", b"0").strip()
    return (length.isdigit() and int(length) > 0) or b"transfer-encoding" in headers
