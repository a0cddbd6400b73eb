"""An HTTP client for one Cozy instance: bearer token, bounded retries, clear errors.

Timeouts, refused connections and 5xx answers are retried with exponential
backoff a bounded number of times; a 4xx never is (asking again would get the
same answer). An expired token (the stack's ``400`` with
``WWW-Authenticate: Bearer error="invalid_token"``) is refreshed once through
the token source, when it can refresh. The token never appears in a message,
a log line or a ``repr``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from dacc_gui.common import jsontext
from dacc_gui.common.cancel import Cancelled

ShouldRetry = Callable[[httpx.Response], bool]


log = logging.getLogger(__name__)


class CozyError(Exception):
    """Something that stops a whole call to the Cozy; the message says what."""


class CozyUnreachable(CozyError):
    """The Cozy did not answer (refused, timed out, 5xx) after every retry.

    ``maybe_sent``: the last request timed out after it was sent, so the
    server may have acted on it.
    """

    def __init__(self, message: str, maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


class CozyAuthError(CozyError):
    """The token was refused: none given (401), or invalid/expired (400)."""

    def __init__(self, message: str, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


class CozyHTTPError(CozyError):
    """An answer the caller did not expect, with its status and body."""

    def __init__(self, message: str, status: int, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class TokenSource(Protocol):
    """Where the client gets its bearer token, and a new one when it expires."""

    def access_token(self) -> str: ...

    def refresh(self) -> bool:
        """Get a new access token; False when this source cannot."""
        ...


class StaticToken:
    """A pasted token (``cozy-stack instances token-app``): it cannot refresh."""

    def __init__(self, token: str) -> None:
        token = token.strip()
        if not token:
            raise ValueError("the token is empty")
        self._token = token

    def access_token(self) -> str:
        return self._token

    def refresh(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "StaticToken(<redacted>)"


@dataclass
class RetryPolicy:
    """How often and how patiently to ask again after a network fault or a 5xx."""

    attempts: int = 4  # tries in all, the first one included
    backoff: float = 0.5  # wait before the second try; doubled after each
    max_backoff: float = 8.0

    def delay(self, failed_tries: int) -> float:
        return min(self.max_backoff, self.backoff * (2 ** (failed_tries - 1)))


def normalize_url(url: str) -> str:
    """``http(s)://host[:port]`` without a trailing slash; ValueError otherwise."""
    text = (url or "").strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{url!r} is not a Cozy address (expected http://… or https://…)")
    return text


def invalid_token(response: httpx.Response) -> bool:
    """The stack's way of saying the token is invalid or expired."""
    return response.status_code == 400 and "invalid_token" in response.headers.get("www-authenticate", "")


def error_text(response: httpx.Response) -> str:
    """The most telling part of an error answer, short."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:200] or response.reason_phrase
    if isinstance(body, dict):
        if isinstance(body.get("errors"), list) and body["errors"]:
            first = body["errors"][0]
            if isinstance(first, dict):
                return str(first.get("detail") or first.get("title") or first)
        if body.get("error") and body.get("error_description"):
            return f"{body['error']}: {body['error_description']}"
        for key in ("reason", "error", "message"):
            if body.get(key):
                return str(body[key])
    return str(body)[:200]


class CozyClient:
    """Requests to one Cozy instance with one token source."""

    def __init__(
        self,
        url: str,
        token: TokenSource | str,
        *,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = normalize_url(url)
        self.token: TokenSource = StaticToken(token) if isinstance(token, str) else token
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._http = httpx.Client(base_url=self.url, timeout=timeout, transport=transport)

    def __repr__(self) -> str:
        return f"CozyClient({self.url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "CozyClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        retry_timeouts: bool = True,
        should_retry: ShouldRetry | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> httpx.Response:
        """Send one request, retrying what is worth retrying; any status comes back.

        ``retry_timeouts=False`` is for requests that must not be sent twice
        when the first one may have arrived (a POST to the DACC).
        ``should_retry(response)`` may veto retrying a given 5xx answer.
        """
        refreshed = False
        failed = 0
        what = f"{method} {path.split('?')[0]}"
        # Encoded here, not by httpx: a lone surrogate read from an export
        # goes as its JSON escape instead of failing to encode.
        content = None if json is None else jsontext.dumps(json, separators=(",", ":"), allow_nan=False).encode()
        while True:
            if cancelled is not None and cancelled():
                raise Cancelled()
            headers = {"Authorization": f"Bearer {self.token.access_token()}", "Accept": "application/json"}
            if content is not None:
                headers["Content-Type"] = "application/json"
            try:
                response = self._http.request(method, path, content=content, params=params, headers=headers)
                log.debug("%s %s -> %s", self.url, what, response.status_code)  # the token stays out
            except httpx.TimeoutException as exc:
                failed += 1
                sent = not isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout))
                if (sent and not retry_timeouts) or failed >= self.retry.attempts:
                    tries = f"{failed} tr{'y' if failed == 1 else 'ies'}"
                    raise CozyUnreachable(f"{self.url}: {what} timed out ({tries})", maybe_sent=sent) from None
                self._wait(failed, cancelled)
                continue
            except httpx.TransportError as exc:
                failed += 1
                if failed >= self.retry.attempts:
                    raise CozyUnreachable(
                        f"{self.url}: {what} failed: {_transport_reason(exc)} ({failed} tries)"
                    ) from None
                self._wait(failed, cancelled)
                continue
            if response.status_code == 401:
                raise CozyAuthError(f"{self.url} refused {what}: no valid token was given (401)")
            if invalid_token(response):
                if not refreshed and self.token.refresh():
                    refreshed = True
                    continue
                raise CozyAuthError(
                    f"{self.url} refused the token (invalid or expired): sign in again or paste a new token",
                    expired=True,
                )
            if response.status_code >= 500 and (should_retry is None or should_retry(response)):
                failed += 1
                if failed < self.retry.attempts:
                    self._wait(failed, cancelled)
                    continue
            return response

    def json(
        self,
        method: str,
        path: str,
        *,
        ok: tuple[int, ...] = (200,),
        **kwargs: Any,
    ) -> Any:
        """The parsed JSON body of an answer whose status is in ``ok``."""
        response = self.request(method, path, **kwargs)
        if response.status_code >= 500:
            raise CozyUnreachable(
                f"{self.url}: {method} {path.split('?')[0]} answered {response.status_code} "
                f"({error_text(response)}) after {self.retry.attempts} tries"
            )
        if response.status_code not in ok:
            raise CozyHTTPError(
                f"{self.url}: {method} {path.split('?')[0]} answered {response.status_code}: {error_text(response)}",
                response.status_code,
                _body(response),
            )
        try:
            return response.json()
        except ValueError:
            raise CozyHTTPError(
                f"{self.url}: {method} {path.split('?')[0]} did not answer JSON", response.status_code, response.text
            ) from None

    def _wait(self, failed: int, cancelled: Callable[[], bool] | None) -> None:
        remaining = self.retry.delay(failed)
        # Sleep in slices so that a cancel is heard during a long backoff.
        while remaining > 0:
            if cancelled is not None and cancelled():
                raise Cancelled()
            step = min(remaining, 0.2)
            self._sleep(step)
            remaining -= step


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _transport_reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        if "refused" in text:
            return "connection refused (is the Cozy running?)"
        if "name" in text or "nodename" in text or "resolve" in text:
            return f"address not found ({exc})"
        return f"cannot connect ({exc})"
    return f"{type(exc).__name__} ({exc})" if str(exc) else type(exc).__name__
