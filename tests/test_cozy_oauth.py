"""OAuth sign-in against the fake stack: register, PKCE, loopback, state, refresh, sign-out."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from dacc_gui.cozy.client import CozyAuthError, CozyClient, RetryPolicy
from dacc_gui.cozy.oauth import OAuthError, OAuthToken, exchange_code, register_client, sign_in, unregister
from dacc_gui.cozy.tokens import MemoryTokenStore
from tests.fake_cozy import USAGE_DOCTYPE

DOCS = f"/data/{USAGE_DOCTYPE}/_normal_docs"


@pytest.fixture
def fake(cozy_server):
    fake = cozy_server.fake
    fake.approve = True
    fake.token_ttl = None
    fake.put_docs([{"_id": "a", "type": "ConnectionEvent", "eventDate": "2022-01-01"}])
    return fake


def follow(link: str) -> None:
    """A browser: follow the authorize page's redirect to the loopback."""
    httpx.get(link, follow_redirects=True, timeout=5)


def test_sign_in_gives_tokens_that_open_the_data(fake):
    seen = []

    def browser(link):
        seen.append(link)
        follow(link)

    tokens = sign_in(fake.url, open_browser=browser, timeout=10)
    query = parse_qs(urlsplit(seen[0]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"][0].startswith("http://127.0.0.1:")
    assert f"{USAGE_DOCTYPE}:GET,PUT" in query["scope"][0].split()
    assert tokens.refresh_token and tokens.client_id in fake.clients
    with CozyClient(fake.url, OAuthToken(fake.url, tokens)) as client:
        assert client.json("GET", DOCS)["total_rows"] >= 1


def test_a_wrong_state_stops_the_sign_in_and_leaves_no_client(fake):
    before = set(fake.clients)

    def forging_browser(link):
        answer = httpx.get(link, follow_redirects=False)
        location = urlsplit(answer.headers["location"])
        params = parse_qs(location.query)
        params["state"] = ["forged"]
        httpx.get(f"{location.scheme}://{location.netloc}{location.path}?{urlencode(params, doseq=True)}")

    with pytest.raises(OAuthError, match="wrong state"):
        sign_in(fake.url, open_browser=forging_browser, timeout=10)
    assert set(fake.clients) == before


def test_a_refused_authorization_is_reported(fake):
    fake.approve = False
    with pytest.raises(OAuthError, match="access_denied"):
        sign_in(fake.url, open_browser=follow, timeout=10)


def test_the_code_needs_the_right_pkce_verifier(fake):
    with httpx.Client() as http:
        registration = register_client(http, fake.url, "http://127.0.0.1:1/callback")
        link = httpx.get(
            f"{fake.url}/auth/authorize",
            params={"client_id": registration["client_id"], "redirect_uri": "http://127.0.0.1:1/callback",
                    "state": "s", "response_type": "code", "scope": f"{USAGE_DOCTYPE}:GET",
                    "code_challenge": "not-the-challenge-of-this-verifier", "code_challenge_method": "S256"},
        ).headers["location"]
        code = parse_qs(urlsplit(link).query)["code"][0]
        with pytest.raises(OAuthError, match="code_verifier"):
            exchange_code(http, fake.url, registration, code, "some-verifier")


def test_an_expired_token_is_refreshed_and_the_refresh_token_kept(fake):
    tokens = sign_in(fake.url, open_browser=follow, timeout=10)
    store = MemoryTokenStore()
    source = OAuthToken(fake.url, tokens, store)
    fake.expire_tokens()
    with CozyClient(fake.url, source) as client:
        assert client.json("GET", DOCS)["total_rows"] >= 1
    assert source.tokens.access_token != tokens.access_token
    assert source.tokens.refresh_token == tokens.refresh_token  # none came back: the old one is kept
    assert store.load(fake.url) == source.tokens


def test_sign_out_unregisters_and_revokes(fake):
    tokens = sign_in(fake.url, open_browser=follow, timeout=10)
    unregister(fake.url, tokens)
    assert tokens.client_id not in fake.clients
    with CozyClient(fake.url, OAuthToken(fake.url, tokens), retry=RetryPolicy(backoff=0.001)) as client:
        with pytest.raises(CozyAuthError, match="sign in again"):
            client.request("GET", DOCS)


def test_the_scope_is_enforced(fake):
    tokens = sign_in(fake.url, [f"{USAGE_DOCTYPE}:GET"], open_browser=follow, timeout=10)
    with CozyClient(fake.url, OAuthToken(fake.url, tokens)) as client:
        answer = client.request("POST", "/remote/cc.cozycloud.dacc.dev", json={"data": "{}"})
    assert answer.status_code == 403
