"""The population demo (Qt-free): generated users' nightly runs sent to a live receiver, aggregates read back."""

from __future__ import annotations

import json
import socket
from collections import Counter
from datetime import date

import httpx
import pytest

from dacc_gui.dacc.sending import ecolyo_bytes
from dacc_gui.simulation.demo import (
    DemoConfig, DemoError, aggregate_range, fetch_aggregates, run_demo, send_payloads, simulate_users,
)
from dacc_gui.events.loader import Cancelled
from dacc_gui.dacc.measures import load_catalog
from dacc_gui.receiver.server import Receiver


SMALL = DemoConfig(users=6, days=5, start=date(2021, 11, 1), seed=3)


@pytest.fixture(scope="module")
def receiver():
    r = Receiver(None, host="127.0.0.1", port=0).start()
    yield r
    r.close()


@pytest.fixture(scope="module")
def population_run():
    """One small population run on its own receiver, shared by the tests that only read it."""
    r = Receiver(None, host="127.0.0.1", port=0).start()
    result = run_demo(SMALL, r.url, r)
    r.store.flush()
    yield result, r
    r.close()


@pytest.fixture
def population(population_run):
    return population_run[0]


def test_every_indicator_of_every_user_reaches_the_receiver(population_run):
    population, receiver = population_run
    assert len(population.users) == SMALL.users
    assert population.indicators > 0
    received = Counter(
        (r.measure["measureName"], r.measure["startDate"], json.dumps(r.measure.get("group1"), sort_keys=True))
        for r in receiver.store.records(limit=100_000) if isinstance(r.measure, dict))
    sent = Counter(
        (p["measureName"], p["startDate"], json.dumps(p.get("group1"), sort_keys=True))
        for u in population.users for p in u.payloads)
    assert received == sent
    assert population.send.sent == population.indicators
    assert population.send.accepted == sum(population.send.statuses.values())


def test_records_are_what_ecolyos_service_posts(population_run):
    _population, receiver = population_run
    record = receiver.store.records(limit=1)[0]
    assert record.path == "/"
    body = json.loads(record.body_text)
    assert list(body) == ["data"] and isinstance(body["data"], str)
    assert record.body == ecolyo_bytes(json.loads(body["data"]))


def test_nights_cover_every_generated_day(population):
    assert SMALL.first_night == date(2021, 11, 2)
    assert SMALL.last_night == date(2021, 11, 6)
    days = {p["startDate"][:10] for u in population.users for p in u.payloads
            if p["measureName"].endswith("-daily")}
    assert days and days <= {f"2021-11-0{d}" for d in range(1, 6)}


def test_aggregates_honour_the_threshold(population):
    catalog = load_catalog()
    assert population.aggregates
    hidden_seen = shown_seen = 0
    for measure, rows in population.aggregates.items():
        threshold = catalog.get(measure).aggregationThreshold
        for row in rows:
            assert row["hidden"] == (row["count"] < threshold), (measure, row)
            hidden_seen += row["hidden"]
            shown_seen += not row["hidden"]
        # Every value sent is counted in exactly one group.
        sent = sum(1 for u in population.users for p in u.payloads if p["measureName"] == measure)
        assert sum(r["count"] for r in rows) == sent
    assert hidden_seen and shown_seen  # six users: some groups published, some not
    assert population.counts() == (shown_seen, hidden_seen)


def test_over_http_only_the_published_groups_come(population_run):
    population, receiver = population_run
    rows, hidden_known = fetch_aggregates(receiver.url, list(population.aggregates), population.start,
                                          population.end)
    assert hidden_known is False
    for measure, in_process in population.aggregates.items():
        published = [{k: v for k, v in r.items() if k != "hidden"} for r in in_process if not r["hidden"]]
        assert [{k: v for k, v in r.items() if k != "hidden"} for r in rows.get(measure, [])] == published


def test_same_seed_same_population_other_seed_other():
    a = simulate_users(DemoConfig(2, 3, date(2022, 3, 1), seed=7))
    b = simulate_users(DemoConfig(2, 3, date(2022, 3, 1), seed=7))
    c = simulate_users(DemoConfig(2, 3, date(2022, 3, 1), seed=8))
    assert [u.payloads for u in a] == [u.payloads for u in b]
    assert [u.payloads for u in a] != [u.payloads for u in c]


def test_cancel_stops_sending(receiver):
    receiver.store.reset()
    payloads = [p for u in simulate_users(SMALL) for p in u.payloads]
    seen = []

    def progress(done, total):
        seen.append(done)

    with pytest.raises(Cancelled):
        send_payloads(receiver.url, payloads, progress, cancelled=lambda: len(seen) >= 5, senders=1)
    receiver.store.flush()
    assert 5 <= receiver.store.count() < len(payloads)


def test_bad_numbers_and_no_receiver_are_clear_errors():
    with pytest.raises(DemoError, match="users must be between"):
        run_demo(DemoConfig(users=0), "http://127.0.0.1:1")
    with pytest.raises(DemoError, match="no receiver"):
        run_demo(DemoConfig(users=1, days=1), "")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    payloads = [p for u in simulate_users(DemoConfig(1, 2)) for p in u.payloads]
    with pytest.raises(DemoError, match="did not answer"):
        send_payloads(f"http://127.0.0.1:{port}", payloads[:3])


def test_aggregate_range_holds_every_payload():
    assert aggregate_range([{"startDate": "2021-11-03"}, {"startDate": "2021-10-01"},
                            {"startDate": "2021-11-05T00:00:00"}]) == ("2021-10-01", "2021-11-06")
    assert aggregate_range([]) == ("", "")


def test_refusals_are_counted_with_their_message(receiver):
    bad = {"createdBy": "ecolyo", "measureName": "no-such-measure", "startDate": "2021-11-01", "value": 1}
    good = {"createdBy": "ecolyo", "measureName": "connection-count-daily", "startDate": "2021-11-01",
            "value": 1, "group1": {"device": "mobile"}}
    report = send_payloads(receiver.url, [good, bad], senders=1)
    assert report.statuses == Counter({201: 1, 400: 1})
    assert report.refused == 1 and "no-such-measure" in report.errors[0]
    with httpx.Client() as http:  # the receiver is still fine
        assert http.get(receiver.url + "/status").status_code == 200
