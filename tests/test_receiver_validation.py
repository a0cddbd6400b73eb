"""The receiver answers what the real DACC answers, rule by rule, on a live server."""

from __future__ import annotations

import json

import pytest
from tests.receiver_support import live_receiver, measure, wrapped

from dacc_gui.receiver.app import MAX_BODY
from dacc_gui.dacc.validation import check_measure, lint_measure


def last(receiver):
    return receiver.store.records()[-1]


# -- the DACC's checks (every row of the spec: test_receiver_production.py) -------------
RULES = [
    ("no measureName", measure(measureName=...), 500, "'measureName'"),
    ("unknown measure", measure(measureName="foo"), 400, "No measure definition found for: foo"),
    ("no startDate", measure(startDate=...), 400, "startDate must be given"),
    ("wrong group key", measure(group1={"os": "android"}), 400, "Group1 key does not match measure definition: os"),
    ("extra group", measure(group2={"x": "y"}), 400, "Group2 key does not match measure definition: x"),
    # first failure wins: no value and no startDate -> the value's message
    ("first failure wins", measure(value=..., startDate=...), 400, "A value must be given"),
]


@pytest.mark.parametrize("name,body,status,message", RULES, ids=[r[0] for r in RULES])
def test_each_rule_answers_with_the_dacc_status_and_message(live, name, body, status, message):
    receiver, client = live
    response = client.post("/measure", content=json.dumps(body).encode(), headers={"content-type": "application/json"})
    assert (response.status_code, response.json()) == (status, {"error": message})
    # the same verdict as the core's validator, which the preview uses too
    assert (status, message) == (check_measure(body).status, check_measure(body).error)
    record = last(receiver)
    assert (record.status, record.error, record.kind) == (status, message, "measure")


def test_valid_measure_gets_201_ok_and_is_recorded(live):
    receiver, client = live
    response = client.post("/measure", json=measure())
    assert response.status_code == 201
    assert response.json() == {"ok": True}
    record = last(receiver)
    assert record.accepted and record.measure == measure() and record.warnings == []
    assert record.log_line() == "201 connection-count-daily 2021-12-08 device=mobile value=1"


def test_null_value_is_productions_500_with_the_reason_recorded(live):
    receiver, client = live
    response = client.post("/measure", json=measure(value=None))
    assert response.status_code == 500
    assert response.json() == {"error": "float() argument must be a string or a number, not 'NoneType'"}
    record = last(receiver)
    assert record.production_status == 500
    assert "float(value)" in record.production_note


@pytest.mark.parametrize(
    "changes,expected",
    [
        ({"startDate": "2021-12-08T10:00:00"}, "time part"),
        ({"createdBy": "someone"}, "createdBy is 'someone'"),
        ({"group1": {"device": 3}}, "group1.device is int"),
    ],
)
def test_lints_are_warnings_on_accepted_measures(live, changes, expected):
    receiver, client = live
    m = measure(**changes)
    assert client.post("/measure", json=m).status_code == 201
    record = last(receiver)
    assert record.warnings == lint_measure(m)
    assert any(expected in w for w in record.warnings)
    assert record.level == "warning"


def test_a_measure_received_twice_is_flagged_the_second_time_only(live):
    receiver, client = live
    client.post("/measure", json=measure())
    client.post("/measure", json=measure(group1={"device": "desktop"}))
    client.post("/", json=wrapped(measure()))  # same key, another shape
    warnings = [r.warnings for r in receiver.store.records()]
    assert warnings[0] == [] and warnings[1] == []
    assert len(warnings[2]) == 1 and warnings[2][0].startswith("duplicate")


def test_a_rejected_measure_does_not_count_as_received(live):
    receiver, client = live
    client.post("/measure", json=measure(group1={"os": "x"}))
    client.post("/measure", json=measure(group1={"os": "x"}))
    client.post("/measure", json=measure())
    assert last(receiver).warnings == []


# -- the three body shapes -------------------------------------------------------------
@pytest.mark.parametrize(
    "path,body,shape",
    [
        ("/measure", measure(), "raw"),
        ("/", wrapped(measure()), "data"),
        ("/", wrapped(measure(), path="measure"), "path+data"),
        ("/remote/cc.cozycloud.dacc.dev", wrapped(measure()), "data"),
        ("/remote/cc.cozycloud.dacc_v2", wrapped(measure(), path="measure"), "path+data"),
    ],
)
def test_three_shapes_are_accepted(live, path, body, shape):
    receiver, client = live
    response = client.post(path, json=body)
    assert (response.status_code, response.json()) == (201, {"ok": True})
    record = last(receiver)
    assert record.shape == shape and record.measure == measure() and record.path == path


def test_wrapped_measures_are_validated_like_raw_ones(live):
    receiver, client = live
    response = client.post("/remote/cc.cozycloud.dacc", json=wrapped(measure(measureName="nope")))
    assert (response.status_code, response.json()) == (400, {"error": "No measure definition found for: nope"})
    response = client.post("/", json={"data": "null"})
    assert response.json() == {"error": "'NoneType' object is not subscriptable"}


@pytest.mark.parametrize(
    "path,body,fragment",
    [
        ("/", {"data": measure()}, "must be a string"),
        ("/", {"data": 12}, "not a JSON number"),
        ("/", measure(), 'no "data" field'),
        ("/", [1, 2], "must be a JSON object"),
        ("/", {"path": "aggregate", "data": json.dumps(measure())}, '"path" is "aggregate"'),
        ("/remote/cc.cozycloud.dacc.dev_v2", wrapped(measure()), 'needs "path": "measure"'),
    ],
)
def test_bad_wrapped_bodies_get_a_clear_400(live, path, body, fragment):
    receiver, client = live
    response = client.post(path, json=body)
    assert response.status_code == 400
    assert fragment in response.json()["error"]
    assert last(receiver).status == 400


def test_data_as_object_says_the_stack_requires_strings(live):
    _, client = live
    error = client.post("/", json={"data": measure()}).json()["error"]
    assert "an object" in error and "Cozy stack only forwards strings" in error


def test_unknown_remote_doctype_is_a_warning(live):
    receiver, client = live
    assert client.post("/remote/io.cozy.files", json=wrapped(measure())).status_code == 201
    assert any("not a DACC remote doctype" in w for w in last(receiver).warnings)


# -- bad bodies, sizes, paths -----------------------------------------------------------
@pytest.mark.parametrize("content", [b"{oops", b"\xff\xfe\x00garbage", b"[" * 100_000, b"nan nan"])
def test_not_json_is_productions_500_and_the_body_is_kept(live, content):
    receiver, client = live
    response = client.post("/measure", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 500
    assert "error" in response.json()
    assert last(receiver).body == content


def test_body_over_1_mib_is_413_and_recorded(live):
    receiver, client = live
    response = client.post("/measure", content=b" " * (MAX_BODY + 1))
    assert response.status_code == 413
    assert "1 MiB" in response.json()["error"]
    record = last(receiver)
    assert record.status == 413 and len(record.body) < MAX_BODY


def test_body_of_exactly_1_mib_is_read(live):
    _, client = live
    text = json.dumps(measure()).encode()
    response = client.post("/measure", content=text + b" " * (MAX_BODY - len(text)),
                           headers={"content-type": "application/json"})
    assert response.status_code == 201


def test_unknown_path_is_404_listing_the_valid_ones(live):
    receiver, client = live
    response = client.post("/measures", json=measure())
    assert response.status_code == 404
    assert "POST /measure" in response.json()["routes"]
    assert last(receiver).kind == "other"


def test_wrong_method_is_405(live):
    _, client = live
    response = client.get("/measure")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_status_is_the_dacc_document(live):
    _, client = live
    assert client.get("/status").json() == {"db": {"status": "ok"}, "global_status": "ok"}


# -- token ---------------------------------------------------------------------------
def test_token_missing_or_wrong_gets_the_dacc_401_html_page():
    with live_receiver(token="s3cret") as (receiver, client):
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic s3cret"}):
            response = client.post("/measure", json=measure(), headers=headers)
            assert response.status_code == 401
            assert response.headers["content-type"].startswith("text/html")
            assert response.text == "Unauthorized Access"
        ok = client.post("/measure", json=measure(), headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 201
        statuses = [r.status for r in receiver.store.records()]
        assert statuses == [401, 401, 401, 201]
        # the token is never stored
        assert all("s3cret" not in json.dumps(r.headers) for r in receiver.store.records())
        assert receiver.store.records()[-1].headers["authorization"] == "Bearer <redacted>"


def test_wrong_token_through_the_stack_is_the_502_ecolyo_sees():
    with live_receiver(token="t") as (receiver, client):
        response = client.post("/remote/cc.cozycloud.dacc", json=wrapped(measure()))
        assert response.status_code == 502
        assert "502" in last(receiver).production_note
        assert client.get("/status").status_code == 200  # like the DACC: no token needed
