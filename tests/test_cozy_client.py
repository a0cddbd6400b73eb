"""The Cozy HTTP client against the fake stack: auth errors, retries, timeouts, cancel."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from dacc_gui.cozy.client import (
    CozyAuthError,
    CozyClient,
    CozyHTTPError,
    CozyUnreachable,
    RetryPolicy,
    StaticToken,
)
from dacc_gui.events.loader import Cancelled
from tests.fake_cozy import USAGE_DOCTYPE

FAST = RetryPolicy(attempts=3, backoff=0.001)
DOCS = f"/data/{USAGE_DOCTYPE}/_normal_docs"


@pytest.fixture
def fake(cozy_server):
    fake = cozy_server.fake
    fake.clear_faults()
    fake.requests.clear()
    fake.databases.clear()
    fake.put_docs([{"_id": "a", "type": "ConnectionEvent", "eventDate": "2022-01-01"}])
    return fake


def client_for(fake, token=None, **kwargs):
    kwargs.setdefault("retry", FAST)
    return CozyClient(fake.url, token or fake.issue_token(), **kwargs)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_5xx_is_retried_until_it_succeeds(fake):
    fake.fail_next(2, status=503)
    with client_for(fake) as client:
        body = client.json("GET", DOCS)
    assert [r["_id"] for r in body["rows"]] == ["a"]
    assert fake.count("GET", "_normal_docs") == 3


def test_retries_are_bounded_and_the_failure_is_clear(fake):
    fake.fail_next(10, status=500)
    with client_for(fake) as client, pytest.raises(CozyUnreachable, match="answered 500"):
        client.json("GET", DOCS)
    assert fake.count("GET", "_normal_docs") == FAST.attempts


def test_a_4xx_is_never_retried(fake):
    with client_for(fake) as client, pytest.raises(CozyHTTPError) as caught:
        client.json("GET", f"/data/{USAGE_DOCTYPE}/nope")
    assert caught.value.status == 404
    assert fake.count("GET", "/nope") == 1


def test_a_timeout_is_retried(fake):
    fake.delay_next(1, 2.5, path="_normal_docs")
    with client_for(fake, timeout=1.0) as client:
        assert client.json("GET", DOCS)["total_rows"] == 1
    assert fake.count("GET", "_normal_docs") == 2


def test_a_refused_connection_is_reported_after_the_retries():
    client = CozyClient(f"http://127.0.0.1:{closed_port()}", "t", retry=FAST)
    with client, pytest.raises(CozyUnreachable, match="refused"):
        client.request("GET", DOCS)


def test_a_token_the_stack_does_not_know_and_a_401_are_auth_errors_sent_once(fake):
    # The stack answers 400 with error="invalid_token" to a token it does not know.
    with client_for(fake, "not-a-token-of-this-cozy") as client, pytest.raises(CozyAuthError) as caught:
        client.request("GET", DOCS)
    assert caught.value.expired and "refused the token (invalid or expired)" in str(caught.value)
    assert "not-a-token-of-this-cozy" not in str(caught.value)
    assert fake.count("GET", "_normal_docs") == 1
    # A 401 (the stack heard no token) is said as such, not retried, not taken for an expiry.
    fake.fail_next(1, status=401, path="_normal_docs")
    with client_for(fake) as client, pytest.raises(CozyAuthError, match=r"no valid token was given \(401\)") as caught:
        client.json("GET", DOCS)
    assert not caught.value.expired
    assert fake.count("GET", "_normal_docs") == 2


def test_an_expired_pasted_token_is_an_auth_error_that_does_not_show_the_token(fake):
    token = fake.issue_token()
    fake.expire_tokens()
    with client_for(fake, token) as client, pytest.raises(CozyAuthError) as caught:
        client.request("GET", DOCS)
    assert caught.value.expired
    assert token not in str(caught.value)
    assert token not in repr(client) and token not in repr(client.token)
    assert fake.count("GET", "_normal_docs") == 1  # a 400 is not retried


class Refreshing:
    def __init__(self, fresh: str) -> None:
        self.token, self.fresh, self.calls = "stale", fresh, 0

    def access_token(self) -> str:
        return self.token

    def refresh(self) -> bool:
        self.calls += 1
        self.token = self.fresh
        return True


def test_an_invalid_token_is_refreshed_once_through_the_source(fake):
    source = Refreshing(fake.issue_token())
    with client_for(fake, source) as client:
        assert client.json("GET", DOCS)["total_rows"] == 1
    assert source.calls == 1


def test_cancel_is_heard_during_the_backoff(fake):
    fake.fail_next(5, status=500)
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 2

    slow = RetryPolicy(attempts=5, backoff=30)
    with client_for(fake, retry=slow) as client, pytest.raises(Cancelled):
        client.request("GET", DOCS, cancelled=cancelled)


def test_urls_and_tokens_are_checked():
    with pytest.raises(ValueError, match="not a Cozy address"):
        CozyClient("cozy.localhost:8080", "t")
    with pytest.raises(ValueError, match="empty"):
        StaticToken("  ")


def test_a_body_holding_a_lone_surrogate_is_sent_as_its_json_escape():
    # A "\ud800" escape read from an export has no UTF-8 form of its own.
    seen = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((request.headers["content-type"], request.content))
        return httpx.Response(200, json={"ok": True})

    body = {"keys": ["id-\ud800", "é"], "n": 1}
    with CozyClient("http://cozy.test", "t", transport=httpx.MockTransport(answer)) as client:
        assert client.json("POST", f"/data/{USAGE_DOCTYPE}/_all_docs", json=body) == {"ok": True}
    [(content_type, content)] = seen
    assert content_type == "application/json"
    assert content == '{"keys":["id-\\ud800","é"],"n":1}'.encode("utf-8")
    assert json.loads(content) == body
