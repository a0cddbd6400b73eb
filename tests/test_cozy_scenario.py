"""Cozy's own JavaScript client and this project's client, held to one fake stack.

The same seeded stack is driven by ``tests/cozy_client_js/scenario.js``
(``cozy-stack-client``, what Ecolyo uses; installed by ``scripts/test``) and
by ``dacc_gui.cozy``: reads, queries, updates, conflicts, bulk updates, the
remote push, refused tokens and the OAuth dance. If the fake drifts from what
the official client expects, the Node checks fail; if this project's client
relies on something the official client does not, they disagree here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from dacc_gui.cozy.client import CozyAuthError, CozyClient, RetryPolicy
from dacc_gui.cozy.events import FIND, pull_events, read_documents
from dacc_gui.cozy.oauth import OAuthToken, sign_in, unregister
from dacc_gui.cozy.push import PushOutcome, push_indicators
from dacc_gui.cozy.sync import Outcome, SaveSession, changes_from_edits, read_current, write_changes
from tests.fake_cozy import USAGE_DOCTYPE, FakeCozy, FakeCozyServer, generate_events

JS = Path(__file__).parent / "cozy_client_js"
SEEDED = 250
OAUTH_TTL = 1.5  # seconds an OAuth access token lives, so that the scenario sees one expire
MEASURE = {"createdBy": "ecolyo", "measureName": "connection-count-daily", "startDate": "2022-01-03", "value": 4,
           "group1": {"device": "desktop"}}


def seed(fake: FakeCozy) -> dict[str, str]:
    """Usage events, a view design doc, an index made without a name; the tokens to use."""
    fake.put_docs(generate_events(SEEDED, seed=13))
    fake.put_docs([{"_id": "_design/views", "language": "javascript", "views": {"all": {"map": "function (doc) {}"}}}])
    token = fake.issue_token()
    made = httpx.post(f"{fake.url}/data/{USAGE_DOCTYPE}/_index", json={"index": {"fields": ["type"]}},
                      headers={"Authorization": f"Bearer {token}"})
    assert made.json()["result"] == "created"
    fake.token_ttl = OAUTH_TTL
    return {"full": token, "read": fake.issue_token([f"{USAGE_DOCTYPE}:GET"])}


@pytest.fixture
def stack():
    with FakeCozyServer() as server:
        yield server.fake


def node_command() -> list[str]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed to run Cozy's own client against the fake stack: install node and npm "
                    "(Debian: apt-get install nodejs npm), then run scripts/test")
    if not (JS / "node_modules" / "cozy-stack-client").is_dir():
        pytest.fail(f"cozy-stack-client is not installed in {JS}/node_modules: run scripts/test, which runs "
                    f"npm ci there (or: cd {JS} && npm ci)")
    return [node, str(JS / "scenario.js")]


def test_cozy_stack_client_agrees_with_the_fake_stack(stack):
    tokens = seed(stack)
    before = stack.docs()
    env = dict(os.environ, COZY_URL=stack.url, COZY_DOCTYPE=USAGE_DOCTYPE, COZY_TOKEN=tokens["full"],
               COZY_READ_TOKEN=tokens["read"], COZY_OAUTH_TTL=str(OAUTH_TTL), COZY_EXPECTED_DOCS=str(SEEDED))
    run = subprocess.run(node_command(), cwd=JS, env=env, capture_output=True, text=True, timeout=300)
    results = [json.loads(line[len("RESULT "):]) for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    failed = [f"{r['check']}:\n{r['error']}" for r in results if not r["ok"]]
    assert not failed, "cozy-stack-client disagrees with the fake stack:\n\n" + "\n\n".join(failed)
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(results) == 20 and run.stdout.rstrip().endswith("20 passed, 0 failed")

    # What the official client did is what the stack now holds.
    after = stack.docs()
    moved = [i for i, d in after.items() if i in before and d["eventDate"] == "2021-12-31T23:00:00.000Z"]
    assert len(moved) == 1 and "_type" not in after[moved[0]]  # the stack takes _type out
    assert sum(1 for i in before if i in after and after[i]["_rev"].startswith("2-") and after[i]["aggregated"]) >= 3
    assert len(before) - len([i for i in before if i in after]) == 1  # the one destroyed
    assert "made-by-the-client" in after and len(after) == len(before) - 1 + 2
    assert set(stack.design_docs()) >= {"_design/views", "_design/by_eventDate", "_design/by_type",
                                        "_design/by_target"}
    assert [d["status"] for d in stack.dacc_received] == [201, 201, 400]
    assert [d["measure"]["startDate"] for d in stack.dacc_received[:2]] == ["2022-01-03", "2022-01-04"]
    assert stack.clients == {}  # unregistered


def test_the_python_client_holds_to_the_same_double(stack):
    tokens = seed(stack)
    retry = RetryPolicy(attempts=2, backoff=0.001)
    with CozyClient(stack.url, tokens["full"], retry=retry) as client:
        # Reads: _normal_docs pages, then _find after creating its index.
        pulled = pull_events(client, page_size=100)
        assert {d["_id"] for d in pulled.documents} == set(stack.docs())
        assert all(not d["_id"].startswith("_design/") for d in pulled.documents)
        found, missing = read_documents(client, method=FIND, page_size=100)
        assert not missing and {d["_id"] for d in found} == set(stack.docs())
        assert ["eventDate"] in stack.indexes[USAGE_DOCTYPE]
        ids = [d["_id"] for d in pulled.documents[:3]]
        assert set(read_current(client, USAGE_DOCTYPE, [*ids, "no-such-id"])) == set(ids)

        # Updates one by one, a conflict, a document gone; then bulk updates.
        events = pulled.event_set.events
        edited = [e.copy_with(aggregated=not e.aggregated) for e in events[:4]]
        stack.touch(events[1].id, note="theirs")
        stack.delete(events[2].id)
        session = SaveSession(Path(os.environ.get("TMPDIR", "/tmp")) / f"dacc-scenario-{time.time_ns()}")
        report = write_changes(client, changes_from_edits(edited, pulled.documents), session=session)
        assert [r.outcome for r in report.results] == [Outcome.WRITTEN, Outcome.CONFLICT, Outcome.MISSING,
                                                       Outcome.WRITTEN]
        assert stack.doc(events[0].id)["aggregated"] is edited[0].aggregated
        assert report.results[1].server_document == stack.doc(events[1].id)  # as stored: no _type
        bulk = [e.copy_with(aggregated=not e.aggregated) for e in events[4:8]]
        report = write_changes(client, changes_from_edits(bulk, pulled.documents), session=session, bulk=True)
        assert report.all_good and stack.count("POST", "/_bulk_docs") == 1
        assert all(stack.doc(e.id)["_rev"].startswith("2-") for e in bulk)

        # The remote push, accepted and rejected.
        pushed = push_indicators(client, [MEASURE, dict(MEASURE, measureName="no-such-measure")], force=True)
        assert [r.outcome for r in pushed.results] == [PushOutcome.ACCEPTED, PushOutcome.REJECTED]

    # Refused tokens.
    with CozyClient(stack.url, "not-a-token", retry=retry) as bad, pytest.raises(CozyAuthError) as caught:
        bad.json("GET", f"/data/{USAGE_DOCTYPE}/_normal_docs")
    assert caught.value.expired
    with CozyClient(stack.url, tokens["read"], retry=retry) as reader:
        assert len(pull_events(reader).documents) == len(stack.docs())
        report = write_changes(reader, changes_from_edits([events[9].copy_with(aggregated=not events[9].aggregated)],
                                                          pulled.documents), session=session)
        assert report.results[0].outcome is Outcome.FAILED and "403" in report.results[0].message
        refused = push_indicators(reader, [MEASURE])
        assert refused.results[0].outcome is PushOutcome.FAILED and "POST permission" in refused.results[0].message

    # OAuth: sign in with PKCE, an access token that expires is refreshed, signing out revokes.
    signed = sign_in(stack.url, open_browser=lambda link: httpx.get(link, follow_redirects=True, timeout=5),
                     timeout=10)
    source = OAuthToken(stack.url, signed)
    with CozyClient(stack.url, source, retry=retry) as client:
        assert client.json("GET", f"/data/{USAGE_DOCTYPE}/_normal_docs", params={"limit": 2})["rows"]
        time.sleep(OAUTH_TTL + 0.3)
        assert client.json("GET", f"/data/{USAGE_DOCTYPE}/_normal_docs", params={"limit": 2})["rows"]
        assert source.tokens.access_token != signed.access_token
        assert source.tokens.refresh_token == signed.refresh_token
        unregister(stack.url, source.tokens)
        with pytest.raises(CozyAuthError, match="sign in again"):
            client.json("GET", f"/data/{USAGE_DOCTYPE}/_normal_docs")
    assert stack.clients == {}
