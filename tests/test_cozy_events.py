"""Reading usage events: _normal_docs pages and bookmarks, _find and its index, a missing database."""

from __future__ import annotations

import httpx
import pytest

from dacc_gui.cozy.client import CozyClient, RetryPolicy
from dacc_gui.cozy.events import FIND, pull_events, read_documents
from dacc_gui.events.eventset import Shape
from tests.fake_cozy import USAGE_DOCTYPE, generate_events


@pytest.fixture
def fake(cozy_server):
    fake = cozy_server.fake
    fake.databases.clear()
    fake.requests.clear()
    fake.clear_faults()
    return fake


def client_for(fake):
    return CozyClient(fake.url, fake.issue_token(), retry=RetryPolicy(attempts=3, backoff=0.001))


def test_every_document_is_read_across_pages_with_progress(fake):
    fake.put_docs(generate_events(2345, seed=1))
    fake.put_docs([{"_id": "_design/by-date", "views": {}}])
    seen = []
    with client_for(fake) as client:
        result = pull_events(client, progress=lambda done, total: seen.append((done, total)))
    assert {d["_id"]: d for d in result.documents} == {
        i: d for i, d in fake.docs().items() if not i.startswith("_design/")}
    assert seen == [(1000, 2345), (2000, 2345), (2345, 2345)]
    assert fake.count("GET", "_normal_docs") == 3
    assert len(result.event_set.events) == 2345
    assert result.event_set.shape is Shape.OWN
    assert all(e.rev for e in result.event_set.events)


def test_a_last_full_page_ends_on_the_empty_page_after_it(fake):
    fake.put_docs(generate_events(2000, seed=2))
    with client_for(fake) as client:
        docs, missing = read_documents(client)
    assert len(docs) == 2000 and not missing
    assert fake.count("GET", "_normal_docs") == 3


def test_the_stack_resets_a_limit_above_1000_so_the_reader_refuses_one(fake):
    fake.put_docs(generate_events(300, seed=3))
    token = fake.issue_token()
    answer = httpx.get(f"{fake.url}/data/{USAGE_DOCTYPE}/_normal_docs", params={"limit": 5000},
                       headers={"Authorization": f"Bearer {token}"}).json()
    assert len(answer["rows"]) == 100
    with client_for(fake) as client, pytest.raises(ValueError, match="1000"):
        read_documents(client, page_size=5000)


def test_a_database_that_does_not_exist_is_an_empty_list(fake):
    with client_for(fake) as client:
        result = pull_events(client)
    assert result.documents == [] and result.database_missing
    assert result.event_set.events == []


def test_find_needs_an_index_and_the_reader_creates_it(fake):
    fake.put_docs(generate_events(1500, seed=4))
    token = fake.issue_token()
    raw = httpx.post(f"{fake.url}/data/{USAGE_DOCTYPE}/_find", json={"selector": {"eventDate": {"$gt": None}}},
                     headers={"Authorization": f"Bearer {token}"})
    assert raw.status_code == 400 and raw.json()["error"] == "no_index"
    progress = []
    with client_for(fake) as client:
        docs, _ = read_documents(client, method=FIND, progress=lambda d, t: progress.append((d, t)))
    assert sorted(d["_id"] for d in docs) == sorted(fake.docs())
    assert progress[-1] == (1500, 1500)
    assert fake.indexes[USAGE_DOCTYPE] == [["eventDate"]]


def test_pages_are_retried_after_a_server_error(fake):
    fake.put_docs(generate_events(1200, seed=5))
    fake.fail_next(1, status=502, path="_normal_docs")
    with client_for(fake) as client:
        docs, _ = read_documents(client)
    assert len(docs) == 1200
