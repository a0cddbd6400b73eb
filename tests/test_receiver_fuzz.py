"""Fuzzing the live receiver: arbitrary bodies, paths, methods and headers never crash it,
get a 5xx only where production answers 500 (none at all with clear errors), and every
request is recorded with the status it got.

A few hundred examples per run keep the suite fast; set DACC_FUZZ_EXAMPLES
(e.g. 5000) for a longer run.
"""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.postgres_support import fresh_database
from tests.receiver_support import live_receiver

from dacc_gui.dacc.measures import load_catalog

EXAMPLES = int(os.environ.get("DACC_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

NAMES = load_catalog().names()
GROUP_KEYS = sorted({k for d in load_catalog().definitions for k in d.group_keys() if k})

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20)
)
json_values = st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
dates = st.one_of(
    st.dates().map(str),
    st.datetimes().map(lambda d: d.isoformat()),
    st.text(max_size=25),
    st.sampled_from(["2021-12-08", "2021-12-01T00:00:00Z", "8 Dec 2021", "2021-02-30", "99999-1-1", ""]),
)
groups = st.one_of(json_values, st.dictionaries(st.sampled_from(GROUP_KEYS), json_values, min_size=1, max_size=2))
measures = st.fixed_dictionaries(
    {},
    optional={
        "createdBy": st.one_of(st.just("ecolyo"), json_values),
        "measureName": st.one_of(st.sampled_from(NAMES), json_values),
        "startDate": st.one_of(dates, json_values),
        "value": st.one_of(st.integers(), st.floats(), st.sampled_from(["1", "x", "nan", "1e999", "1_0"]), json_values),
        "group1": groups,
        "group2": groups,
        "group3": groups,
    },
)


def _dump(value) -> bytes:
    return json.dumps(value).encode()


bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(_dump),
    measures.map(_dump),
    measures.map(lambda m: _dump({"data": json.dumps(m)})),
    st.tuples(st.one_of(st.just("measure"), json_values), measures).map(
        lambda p: _dump({"path": p[0], "data": json.dumps(p[1])})
    ),
    st.fixed_dictionaries({"data": json_values}).map(_dump),
    st.fixed_dictionaries({}, optional={
        "measureName": st.one_of(st.sampled_from(NAMES), json_values),
        "startDate": st.one_of(dates, json_values), "endDate": st.one_of(dates, json_values),
        "createdBy": json_values,
    }).map(_dump),
)
paths = st.one_of(
    st.sampled_from([
        "/measure", "/", "/remote/cc.cozycloud.dacc", "/remote/cc.cozycloud.dacc.dev_v2", "/remote/x",
        "/aggregate", "/status", "/measure/", "/nothing",
    ]),
    st.from_regex(r"\A/[A-Za-z0-9._~-]{0,12}(/[A-Za-z0-9._~-]{0,12})?\Z"),
    st.from_regex(r"\A/aggregate\?[A-Za-z0-9=&%._-]{0,40}\Z"),
)
methods = st.sampled_from(["POST", "POST", "POST", "GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
header_names = st.from_regex(r"\A[A-Za-z][A-Za-z0-9-]{0,15}\Z").filter(
    lambda n: n.lower() not in ("content-length", "host", "transfer-encoding", "connection", "expect",
                                "upgrade", "te", "keep-alive", "proxy-connection")
)
header_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40).map(str.strip)
headers = st.dictionaries(header_names, header_values, max_size=4)
authorization = st.one_of(st.none(), st.just("Bearer t0ken"), header_values)


@FUZZ
@given(method=methods, path=paths, body=bodies, extra=headers, auth=authorization)
def test_any_request_gets_productions_answer_and_is_recorded(method, path, body, extra, auth):
    _check_any_request(_live(), method, path, body, extra, auth)


@settings(max_examples=max(EXAMPLES // 2, 50), deadline=None, suppress_health_check=list(HealthCheck))
@given(method=methods, path=paths, body=bodies, extra=headers, auth=authorization)
def test_with_clear_errors_no_request_gets_a_5xx(method, path, body, extra, auth):
    _check_any_request(_live(clear_errors=True), method, path, body, extra, auth)


@settings(max_examples=max(EXAMPLES // 2, 50), deadline=None, suppress_health_check=list(HealthCheck))
@given(method=methods, path=paths, body=bodies, extra=headers, auth=authorization)
def test_any_request_is_recorded_in_postgresql_too(postgres_server, method, path, body, extra, auth):
    _check_any_request(_live(postgres_server=postgres_server), method, path, body, extra, auth)


def _check_any_request(pair, method, path, body, extra, auth):
    receiver, client = pair
    before = receiver.store.count()
    request_headers = dict(extra)
    if auth is not None:
        request_headers["Authorization"] = auth
    response = client.request(method, path, content=body, headers=request_headers)
    # acknowledged => stored: the record is there as soon as the answer is
    assert receiver.store.count() == before + 1
    record = receiver.store.records(after=_live.last_id.get(id(receiver), 0))[-1]
    _live.last_id[id(receiver)] = record.id
    assert record.status == response.status_code
    if response.status_code >= 500:  # production's own 500, never one of the receiver's
        assert not receiver.clear_errors, response.text
        assert record.production_status == 500 and response.json() == {"error": record.error}
        assert not record.error.startswith("internal receiver error"), record.error
    assert record.method == method
    assert record.body == body
    assert "t0ken" not in json.dumps(record.headers)
    if response.status_code == 201:
        assert response.json() == {"ok": True}
    elif response.status_code in (400, 422):
        assert isinstance(response.json()["error"], str) and response.json()["error"]


def test_fuzzed_records_export_as_valid_json():
    receiver, client = _live()
    export = client.get("/_receiver/export")
    assert export.status_code == 200
    assert export.json()["summary"]["requests"] == receiver.store.count()


# One live receiver per mode for the module's fuzzing (hypothesis calls the tests many times).
_state: dict = {}


def _live(clear_errors: bool = False, postgres_server: str | None = None):
    key = (clear_errors, postgres_server is not None)
    if key not in _state:
        db = fresh_database(postgres_server) if postgres_server else None
        cm = live_receiver(db, clear_errors=clear_errors)
        _state[key] = (cm, cm.__enter__())
    return _state[key][1]


_live.last_id = {}


def teardown_module(module) -> None:
    for cm, _ in _state.values():
        cm.__exit__(None, None, None)
