"""Signing in to a remote Cozy: OAuth 2 authorization code with PKCE and a loopback redirect.

The flow (cozy-stack ``docs/auth.md``): register this program as a client,
open the authorize page in the browser, receive the code on
``http://127.0.0.1:<port>/callback`` (the ``state`` must match), exchange it
for tokens with the PKCE verifier. An expired access token is refreshed with
the refresh token (the old one is kept when none comes back); signing out
unregisters the client, which revokes its tokens.

The browser opener is a parameter, so tests (and headless runs) can pass
their own.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
import webbrowser
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from dacc_gui import DEFAULT_DOCTYPE
from dacc_gui.cozy.client import CozyError, CozyUnreachable, error_text, normalize_url
from dacc_gui.cozy.tokens import CozyTokens, TokenStore
from dacc_gui.common.cancel import Cancelled

DEV_DACC_DOCTYPES = ("cc.cozycloud.dacc.dev", "cc.cozycloud.dacc.dev_v2")
DEFAULT_SCOPES = (f"{DEFAULT_DOCTYPE}:GET,PUT",) + tuple(f"{d}:POST" for d in DEV_DACC_DOCTYPES)
CLIENT_NAME = "DACC Inspector"
SOFTWARE_ID = "dacc-gui"

BrowserOpener = Callable[[str], Any]


class OAuthError(CozyError):
    """Signing in did not succeed; the message says at which step and why."""


def pkce_pair() -> tuple[str, str]:
    """A code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(64)
    return verifier, s256(verifier)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


_PAGE = (
    "<!doctype html><meta charset=utf-8><title>DACC Inspector</title>"
    "<body style='font-family:sans-serif;margin:3em'><h2>{title}</h2><p>{text}</p></body>"
)


class LoopbackReceiver:
    """A one-shot HTTP server on 127.0.0.1 that receives the authorization redirect."""

    def __init__(self, path: str = "/callback") -> None:
        self.path = path
        self._params: dict[str, str] | None = None
        self._arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                parts = urlsplit(self.path)
                if parts.path != receiver.path or receiver._arrived.is_set():
                    self.send_error(404)
                    return
                params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                ok = "code" in params and "error" not in params
                title = "Signed in to your Cozy" if ok else "Sign-in did not succeed"
                text = (
                    "You can close this tab and go back to DACC Inspector."
                    if ok
                    else "Go back to DACC Inspector to see why."
                )
                body = _PAGE.format(title=title, text=text).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                receiver._params = params
                receiver._arrived.set()

            def log_message(self, *args: Any) -> None:
                pass  # the query carries the code: keep it out of any log

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=lambda: self._server.serve_forever(0.05), name="oauth-loopback", daemon=True)
        self._thread.start()

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.path}"

    def wait(self, timeout: float, cancelled: Callable[[], bool] | None = None) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while not self._arrived.wait(0.05):
            if cancelled is not None and cancelled():
                raise Cancelled()
            if time.monotonic() > deadline:
                raise OAuthError(f"sign-in timed out: the browser did not come back within {int(timeout)} s")
        return dict(self._params or {})

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "LoopbackReceiver":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _post(http: httpx.Client, url: str, step: str, **kwargs: Any) -> httpx.Response:
    try:
        return http.post(url, **kwargs)
    except httpx.TimeoutException:
        raise CozyUnreachable(f"{step}: {url} timed out") from None
    except httpx.TransportError as exc:
        raise CozyUnreachable(f"{step}: cannot reach {url} ({type(exc).__name__})") from None


def register_client(
    http: httpx.Client,
    url: str,
    redirect_uri: str,
    client_name: str = CLIENT_NAME,
    software_id: str = SOFTWARE_ID,
) -> dict[str, Any]:
    """``POST /auth/register``: the client id, secret and registration token."""
    body = {
        "redirect_uris": [redirect_uri],
        "client_name": client_name,
        "software_id": software_id,
        "client_kind": "desktop",
    }
    response = _post(http, f"{url}/auth/register", "registering the client", json=body)
    if response.status_code not in (200, 201):
        raise OAuthError(f"registering the client: {url} answered {response.status_code}: {error_text(response)}")
    data = response.json()
    for key in ("client_id", "client_secret", "registration_access_token"):
        if not isinstance(data.get(key), str):
            raise OAuthError(f"registering the client: the answer has no {key}")
    return data


def authorize_url(url: str, client_id: str, redirect_uri: str, state: str, scopes: tuple[str, ...] | list[str],
                  challenge: str) -> str:
    query = urlencode({
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "response_type": "code",
        "scope": " ".join(scopes),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    })
    return f"{url}/auth/authorize?{query}"


def _token_request(http: httpx.Client, url: str, form: dict[str, str], step: str) -> dict[str, Any]:
    response = _post(http, f"{url}/auth/access_token", step, data=form, headers={"Accept": "application/json"})
    if response.status_code != 200:
        raise OAuthError(f"{step}: {url} answered {response.status_code}: {error_text(response)}")
    try:
        data = response.json()
    except ValueError:
        raise OAuthError(f"{step}: the answer is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
        raise OAuthError(f"{step}: the answer has no access_token")
    return data


def exchange_code(http: httpx.Client, url: str, registration: dict[str, Any], code: str, verifier: str) -> CozyTokens:
    data = _token_request(http, url, {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": registration["client_id"],
        "client_secret": registration["client_secret"],
        "code_verifier": verifier,
    }, "exchanging the code")
    return CozyTokens(
        access_token=data["access_token"],
        refresh_token=data.get("refresh_token"),
        client_id=registration["client_id"],
        client_secret=registration["client_secret"],
        registration_access_token=registration["registration_access_token"],
        scope=str(data.get("scope", "")),
    )


def refresh_tokens(http: httpx.Client, url: str, tokens: CozyTokens) -> CozyTokens:
    """New tokens from the refresh token; the old refresh token is kept when none comes back."""
    if not (tokens.refresh_token and tokens.client_id and tokens.client_secret):
        raise OAuthError("refreshing the token: no refresh token; sign in again")
    data = _token_request(http, url, {
        "grant_type": "refresh_token",
        "refresh_token": tokens.refresh_token,
        "client_id": tokens.client_id,
        "client_secret": tokens.client_secret,
    }, "refreshing the token")
    return CozyTokens(
        access_token=data["access_token"],
        refresh_token=data.get("refresh_token") or tokens.refresh_token,
        client_id=tokens.client_id,
        client_secret=tokens.client_secret,
        registration_access_token=tokens.registration_access_token,
        scope=str(data.get("scope") or tokens.scope),
    )


def sign_in(
    url: str,
    scopes: tuple[str, ...] | list[str] = DEFAULT_SCOPES,
    *,
    open_browser: BrowserOpener = webbrowser.open,
    timeout: float = 300.0,
    cancelled: Callable[[], bool] | None = None,
    transport: httpx.BaseTransport | None = None,
    client_name: str = CLIENT_NAME,
) -> CozyTokens:
    """The whole authorization-code flow; blocks until the browser comes back.

    A client registered here is unregistered again if the flow fails, so a
    failed sign-in leaves no stray client on the Cozy.
    """
    url = normalize_url(url)
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(24)
    with httpx.Client(timeout=30.0, transport=transport) as http, LoopbackReceiver() as receiver:
        registration = register_client(http, url, receiver.redirect_uri, client_name)
        try:
            link = authorize_url(url, registration["client_id"], receiver.redirect_uri, state, scopes, challenge)
            if open_browser(link) is False:
                raise OAuthError(f"could not open a browser; open this address by hand: {link}")
            params = receiver.wait(timeout, cancelled)
            if params.get("state") != state:
                raise OAuthError("the browser came back with a wrong state: sign-in stopped (possible forgery)")
            if "error" in params:
                raise OAuthError(f"the Cozy refused the sign-in: {params['error']}")
            if not params.get("code"):
                raise OAuthError("the browser came back without an authorization code")
            return exchange_code(http, url, registration, params["code"], verifier)
        except BaseException:
            _unregister(http, url, registration["client_id"], registration["registration_access_token"])
            raise


def _unregister(http: httpx.Client, url: str, client_id: str, registration_token: str) -> bool:
    try:
        response = http.delete(
            f"{url}/auth/register/{client_id}", headers={"Authorization": f"Bearer {registration_token}"}
        )
    except httpx.HTTPError:
        return False
    return response.status_code in (200, 204, 404)


def unregister(url: str, tokens: CozyTokens, transport: httpx.BaseTransport | None = None) -> None:
    """Sign out: ``DELETE /auth/register/<client_id>``, which revokes the client's tokens."""
    if not (tokens.client_id and tokens.registration_access_token):
        raise OAuthError("signing out: these tokens were not obtained by signing in (nothing to unregister)")
    url = normalize_url(url)
    with httpx.Client(timeout=30.0, transport=transport) as http:
        try:
            response = http.delete(
                f"{url}/auth/register/{tokens.client_id}",
                headers={"Authorization": f"Bearer {tokens.registration_access_token}"},
            )
        except httpx.HTTPError as exc:
            raise CozyUnreachable(f"signing out: cannot reach {url} ({type(exc).__name__})") from None
    if response.status_code not in (200, 204, 404):
        raise OAuthError(f"signing out: {url} answered {response.status_code}: {error_text(response)}")


class OAuthToken:
    """A token source for ``CozyClient`` that refreshes and remembers its tokens."""

    def __init__(
        self,
        url: str,
        tokens: CozyTokens,
        store: TokenStore | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = normalize_url(url)
        self.tokens = tokens
        self.store = store
        self._transport = transport
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OAuthToken({self.url!r}, <redacted>)"

    def access_token(self) -> str:
        return self.tokens.access_token

    def refresh(self) -> bool:
        with self._lock:
            try:
                with httpx.Client(timeout=30.0, transport=self._transport) as http:
                    self.tokens = refresh_tokens(http, self.url, self.tokens)
            except OAuthError:
                return False  # the client says "sign in again"
            if self.store is not None:
                self.store.save(self.url, self.tokens)
            return True


__all__ = [
    "DEFAULT_SCOPES",
    "OAuthError",
    "OAuthToken",
    "LoopbackReceiver",
    "authorize_url",
    "exchange_code",
    "pkce_pair",
    "refresh_tokens",
    "register_client",
    "sign_in",
    "unregister",
]
