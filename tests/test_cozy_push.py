"""Pushing indicators through the fake stack's remote doctype to a DACC stand-in."""

from __future__ import annotations

import json

import pytest

from dacc_gui.cozy.client import CozyClient, RetryPolicy
from dacc_gui.cozy.push import (
    BAD_GATEWAY_NOTE,
    PushOutcome,
    PushRefused,
    push_indicators,
    request_body,
)
from dacc_gui.rules.indicators import Indicator
from dacc_gui.dacc.payloads import payloads_from_json
from tests.fake_cozy import FakeCozy, FakeCozyServer

GOOD = [
    {"createdBy": "ecolyo", "measureName": "connection-count-daily", "startDate": "2022-01-03", "value": 4,
     "group1": {"device": "desktop"}},
    {"createdBy": "ecolyo", "measureName": "connection-count-daily", "startDate": "2022-01-04", "value": 1,
     "group1": {"device": "mobile"}},
]
BAD = {"createdBy": "ecolyo", "measureName": "no-such-measure", "startDate": "2022-01-03", "value": 1}


@pytest.fixture
def fake(cozy_server):
    fake = cozy_server.fake
    fake.requests.clear()
    fake.dacc_received.clear()
    fake.clear_faults()
    fake.dacc_url, fake.dacc_secret, fake.dacc_accepts = None, "dacc-dev-token", "dacc-dev-token"
    return fake


def client_for(fake, **kwargs):
    kwargs.setdefault("retry", RetryPolicy(attempts=3, backoff=0.001))
    return CozyClient(fake.url, fake.issue_token(), **kwargs)


def test_each_indicator_is_one_request_and_reaches_the_dacc_as_ecolyo_sends_it(fake):
    with client_for(fake) as client:
        report = push_indicators(client, GOOD)
    assert [r.outcome for r in report.results] == [PushOutcome.ACCEPTED] * 2
    assert [r.status for r in report.results] == [201, 201]
    assert fake.count("POST", "/remote/cc.cozycloud.dacc.dev") == 2
    assert [d["raw"] for d in fake.dacc_received] == [json.dumps(p, separators=(",", ":")) for p in GOOD]


def test_the_v2_doctype_and_indicator_objects(fake):
    indicator = Indicator("connection-count-daily", "2022-01-05", 2, (("device", "desktop"), None, None))
    with client_for(fake) as client:
        report = push_indicators(client, [indicator], "cc.cozycloud.dacc.dev_v2")
    assert report.all_good
    assert fake.dacc_received[0]["measure"] == indicator.payload()


def test_invalid_indicators_are_held_back_unless_forced(fake):
    with client_for(fake) as client:
        held = push_indicators(client, [GOOD[0], BAD])
        assert [r.outcome for r in held.results] == [PushOutcome.ACCEPTED, PushOutcome.NOT_SENT]
        assert "No measure definition found" in held.results[1].message
        assert len(fake.dacc_received) == 1
        forced = push_indicators(client, [BAD], force=True)
    rejected = forced.results[0]
    assert rejected.outcome is PushOutcome.REJECTED and rejected.status == 400
    assert rejected.body == {"error": "No measure definition found for: no-such-measure"}


@pytest.mark.parametrize("doctype", ["cc.cozycloud.dacc", "cc.cozycloud.dacc_v2", "io.cozy.files"])
def test_production_and_other_doctypes_are_refused_before_sending(fake, doctype):
    with client_for(fake) as client, pytest.raises(PushRefused, match="dev DACC"):
        push_indicators(client, GOOD, doctype)
    assert fake.count("POST") == 0


def test_a_wrong_dacc_token_is_the_502_explained_and_not_retried(fake):
    fake.dacc_accepts = "another-token"
    with client_for(fake) as client:
        report = push_indicators(client, GOOD)
    assert [r.status for r in report.results] == [502, 502]
    assert report.results[0].outcome is PushOutcome.BAD_GATEWAY
    assert report.results[0].message == BAD_GATEWAY_NOTE
    assert report.results[0].body["errors"][0]["detail"] == "the content-type for the response is not authorized"
    assert fake.count("POST", "/remote/") == 2


def test_an_instance_without_a_dacc_token_says_so(fake):
    fake.dacc_secret = None
    with client_for(fake) as client:
        result = push_indicators(client, GOOD[:1]).results[0]
    assert result.outcome is PushOutcome.FAILED and result.status == 400
    assert "no DACC token configured" in result.message


def test_a_server_error_is_retried(fake):
    fake.fail_next(1, status=503, path="/remote/")
    with client_for(fake) as client:
        report = push_indicators(client, GOOD)
    assert report.all_good and len(fake.dacc_received) == 2


def test_a_timed_out_push_is_not_sent_twice(fake):
    fake.delay_next(1, 2.5, path="/remote/", after=True)
    with client_for(fake, timeout=1.0) as client:
        report = push_indicators(client, GOOD)
    first, second = report.results
    assert first.outcome is PushOutcome.FAILED and "not sent again" in first.message
    assert second.outcome is PushOutcome.ACCEPTED
    assert fake.count("POST", "/remote/") == 2


def test_cancel_stops_before_the_next_indicator(fake):
    sent = []
    with client_for(fake) as client:
        report = push_indicators(client, GOOD + GOOD, progress=lambda d, t: sent.append(d),
                                 cancelled=lambda: len(sent) >= 1)
    assert [r.outcome for r in report.results] == [PushOutcome.ACCEPTED] + [PushOutcome.CANCELLED] * 3
    assert len(fake.dacc_received) == 1


def test_the_stack_forwards_to_any_dacc_url(fake):
    other = FakeCozy()
    with FakeCozyServer(other) as dacc:
        fake.dacc_url = f"{dacc.url}/_dacc"
        with client_for(fake) as client:
            assert push_indicators(client, GOOD).all_good
    assert len(other.dacc_received) == 2 and not fake.dacc_received


def test_the_client_sends_the_measure_as_a_string_as_the_stack_requires(fake):
    payload = dict(GOOD[0], group1={"device": "desktop é"})
    compact = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    assert request_body("cc.cozycloud.dacc.dev", payload) == {"data": compact}
    assert request_body("cc.cozycloud.dacc.dev_v2", payload) == {"path": "measure", "data": compact}
    with client_for(fake) as client:
        # The stack refuses a body with a value that is not a string (400).
        assert push_indicators(client, [payload]).all_good
        assert push_indicators(client, [payload], "cc.cozycloud.dacc.dev_v2").all_good
    assert [d["raw"] for d in fake.dacc_received] == [compact, compact]


def test_the_stacks_refusal_of_a_body_is_a_failed_push_with_its_reason(fake, monkeypatch):
    monkeypatch.setattr("dacc_gui.cozy.push.request_body", lambda _doctype, payload: {"data": payload})
    with client_for(fake) as client:
        result = push_indicators(client, GOOD[:1]).results[0]
    assert result.outcome is PushOutcome.FAILED and result.status == 400
    assert result.message == "the variables are not valid" and not fake.dacc_received
    assert fake.count("POST", "/remote/") == 1  # a 4xx is not retried


def test_payload_files_in_every_shape():
    assert payloads_from_json(GOOD) == GOOD
    assert payloads_from_json(GOOD[0]) == [GOOD[0]]
    runs = {"runs": [{"runDate": "2022-01-04", "indicators": [GOOD[0]]},
                     {"runDate": "2022-01-05", "indicators": [{"payload": GOOD[1], "rule": "x"}]}]}
    assert payloads_from_json(runs) == GOOD
    with pytest.raises(ValueError, match="compute output"):
        payloads_from_json({"something": 1})
