"""Production's view: aggregation passes merged as the DACC merges them, and /aggregate over
what they saved (accessApp, threshold, its errors). Expected figures are worked by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from tests.dacc_spec_cases import BAD_REQUEST
from tests.receiver_support import live_receiver

from dacc_gui.dacc.measures import MeasureCatalog, MeasureDefinition

OPEN = MeasureDefinition(name="q", group1Key="k", withQuartiles=True, aggregationThreshold=5,
                         accessApp=True, executionFrequency="day")
MONTHLY = MeasureDefinition(name="m", group1Key="k", aggregationThreshold=1, accessApp=True,
                            executionFrequency="month")
CLOSED = MeasureDefinition(name="closed", group1Key="k", accessApp=False)
CATALOG = MeasureCatalog(definitions=[OPEN, MONTHLY, CLOSED])
QUERY = {"measureName": "q", "startDate": "2021-12-08", "endDate": "2021-12-09"}


def send(client, name, values, group="a", **extra):
    for value in values:
        body = {"measureName": name, "startDate": "2021-12-08", "value": value, "createdBy": "ecolyo",
                "group1": {"k": group}, **extra}
        assert client.post("/measure", json=body).status_code == 201


def aggregate(client):
    response = client.post("/aggregate", json=QUERY)
    assert response.status_code == 200
    return {r["group1"]["k"]: r for r in response.json()}


@pytest.fixture
def served(receiver_db):
    with live_receiver(receiver_db, catalog=CATALOG) as pair:
        yield pair


def test_two_passes_merge_into_the_stored_rounded_figures(served):
    receiver, client = served
    send(client, "q", [0, 0, 1, 1, 2])
    send(client, "q", [4, 4, 4], group="b")  # 3 < threshold 5: hidden
    assert aggregate(client) == {}  # /aggregate reads only what a pass saved
    receiver.run_aggregation()
    # Pass 1, group a: sum 4, avg 0.8; squared deviations .64+.64+.04+.04+1.44 = 2.8,
    # /4 = 0.7, std = sqrt(0.7) = 0.8367 -> 0.84; sorted 0 0 1 1 2: q1 0, median 1, q3 1.
    assert aggregate(client) == {"a": {
        "measureName": "q", "createdBy": "ecolyo", "startDate": "2021-12-08T00:00:00", "group1": {"k": "a"},
        "count": 5, "countNotZero": 3, "sum": 4.0, "min": 0.0, "max": 2.0, "avg": 0.8, "std": 0.84,
        "median": 1.0, "firstQuartile": 0.0, "thirdQuartile": 1.0,
    }}
    send(client, "q", [0, 1, 2])
    send(client, "q", [4, 5], group="b")
    assert aggregate(client)["a"]["count"] == 5  # not merged until the next pass
    receiver.run_aggregation()
    a = aggregate(client)["a"]
    # Pass 2, group a: new n2 3, m2 1, s2 1; merged n 8, sum 7, M = 7/8 = 0.875 -> avg 0.88.
    # Pooled variance from the stored s1 0.84 and m1 0.8:
    #   (4 x 0.7056 + 2 x 1 + 5 x 0.075^2 + 3 x 0.125^2) / 7 = (2.8224 + 2 + 0.028125 + 0.046875) / 7
    #   = 4.8974 / 7 = 0.69963, std = 0.83644 -> 0.84 (one pass over the 8 values gives 0.83).
    # Quartiles from the 8 raw values 0 0 0 1 1 1 2 2: q1 0, median 1, q3 1 + 0.25 x 1 = 1.25.
    assert {k: a[k] for k in ("count", "countNotZero", "sum", "min", "max", "avg", "std",
                              "median", "firstQuartile", "thirdQuartile")} == {
        "count": 8, "countNotZero": 5, "sum": 7.0, "min": 0.0, "max": 2.0, "avg": 0.88, "std": 0.84,
        "median": 1.0, "firstQuartile": 0.0, "thirdQuartile": 1.25,
    }
    live = {r["group1"]["k"]: r for r in receiver.aggregate("q", "2021-12-08", "2021-12-09")}
    assert live["a"]["std"] == 0.83  # the live view is one pass: the merge shows in the last digit
    # Group b: pass 1 stored n 3, sum 12, avg 4, std 0; pass 2 adds 4 and 5 (m2 4.5, s2 0.7071):
    #   M = 21/5 = 4.2 -> avg 4.2; variance (0 + 1 x 0.5 + 3 x 0.04 + 2 x 0.09) / 4 = 0.8 / 4 = 0.2,
    #   std = 0.4472 -> 0.45; now 5 contributions: shown.
    b = aggregate(client)["b"]
    assert (b["count"], b["sum"], b["avg"], b["std"], b["min"], b["max"]) == (5, 21.0, 4.2, 0.45, 4.0, 5.0)


def test_the_production_view_shows_hidden_groups_marked_and_the_last_pass(served):
    receiver, client = served
    send(client, "q", [4, 4, 4], group="b")
    receiver.run_aggregation()
    rows = client.get("/_receiver/aggregates", params={"view": "production", "hidden": "1", **QUERY}).json()
    assert [(r["group1"], r["count"], r["hidden"]) for r in rows["rows"]] == [({"k": "b"}, 3, True)]
    assert rows["lastAggregationPass"] is not None
    assert receiver.aggregate("q", "2021-12-08", "2021-12-09", view="production") == []  # threshold 5
    assert client.get("/_receiver/summary").json()["lastAggregationPass"] == rows["lastAggregationPass"]


def test_a_pass_runs_only_once_the_execution_frequency_has_passed(served):
    receiver, client = served
    start = datetime(2021, 12, 8, 3, 0, tzinfo=timezone.utc)
    clock = {"now": start}
    receiver.http.aggregation.clock = lambda: clock["now"]
    send(client, "q", [1] * 5)
    send(client, "m", [1])
    assert [o.ran for o in receiver.run_aggregation(force=False)] == [True, True, False]  # closed: nothing new
    send(client, "q", [1])
    send(client, "m", [1])
    clock["now"] = start + timedelta(hours=23)
    outcomes = {o.measure_name: o for o in receiver.run_aggregation(force=False)}
    assert not outcomes["q"].ran and "too close" in outcomes["q"].note
    clock["now"] = start + timedelta(days=1)  # day: due
    outcomes = {o.measure_name: o for o in receiver.run_aggregation(force=False)}
    assert outcomes["q"].ran and not outcomes["m"].ran
    assert aggregate(client)["a"]["count"] == 6
    clock["now"] = start + timedelta(days=30)  # month = 30 days
    assert {o.measure_name: o.ran for o in receiver.run_aggregation(force=False)}["m"] is True
    status = {d["measureName"]: d for d in receiver.aggregation_status()["definitions"]}
    assert status["m"]["nextDueAt"] == "2022-02-06T03:00:00Z" and status["m"]["pendingRawMeasures"] == 0


def test_a_sum_of_10_to_the_10_fails_the_whole_pass_of_its_definition(served):
    receiver, client = served
    send(client, "q", [6e9, 6e9])  # each value fits NUMERIC(12,2), the sum does not
    send(client, "q", [1] * 5, group="small")
    send(client, "m", [2])
    outcomes = {o.measure_name: o for o in receiver.run_aggregation()}
    assert not outcomes["q"].ok and "numeric field overflow" in outcomes["q"].error
    assert outcomes["m"].ok
    assert client.post("/aggregate", json=QUERY).json() == []  # nothing aggregated for q, not even "small"
    status = {d["measureName"]: d for d in client.get("/_receiver/aggregation").json()["definitions"]}
    assert status["q"]["lastPassOk"] is False and status["q"]["pendingRawMeasures"] == 7


def test_values_of_1e308_are_not_stored_so_aggregate_answers_200(served):
    receiver, client = served
    send(client, "q", [1e308, 1e308])
    receiver.run_aggregation()
    assert client.post("/aggregate", json=QUERY).status_code == 200
    assert client.get("/_receiver/aggregates", params={"view": "live", **QUERY}).json()["rows"] == []


def test_the_control_api_runs_a_pass(served):
    receiver, client = served
    send(client, "q", [3] * 5)
    response = client.post("/_receiver/aggregation", json={"measureName": "q"})
    assert response.status_code == 200
    assert [(p["measureName"], p["ran"], p["rawRows"], p["groups"]) for p in response.json()["passes"]] == [
        ("q", True, 5, 1)]
    assert aggregate(client)["a"]["sum"] == 15.0
    assert client.post("/_receiver/aggregation", json={"measureName": "nope"}).status_code == 400


# -- /aggregate answers as production does -------------------------------------------
@pytest.mark.parametrize("body,status,error", [
    ({"measureName": "closed", "startDate": "2021-12-08", "endDate": "2021-12-09"}, 403,
     "You cannot access results for this measure: closed"),
    ({"measureName": "closed"}, 403, "You cannot access results for this measure: closed"),  # before the dates
    ({}, 400, "A measure name must be given"),
    ({"startDate": "2021-12-08"}, 400, "A measure name must be given"),
    ({"measureName": "nope"}, 400, "No measure definition found for: nope"),
    ({"measureName": "q", "endDate": "2021-12-09"}, 400, "startDate must be given"),
    ({"measureName": "q", "startDate": "2021-12-08"}, 400, "endDate must be given"),
    ({"measureName": "q", "startDate": "soon", "endDate": "2021-12-09"}, 400,
     "startDate type is incorrect, it must be a date"),
    ({"measureName": "q", "startDate": 5, "endDate": "2021-12-09"}, 500,
     "Parser must be a string or character stream, not int"),
    (12, 500, "argument of type 'int' is not iterable"),
])
def test_aggregate_errors_are_productions(served, body, status, error):
    _, client = served
    response = client.post("/aggregate", json=body)
    assert (response.status_code, response.json()) == (status, {"error": error})


def test_aggregate_reads_a_json_body_only(served):
    _, client = served
    # The DACC reads get_json(): a query string is not read, a body needs application/json.
    assert client.get("/aggregate", params=QUERY).json() == {"error": "The params cannot be empty"}
    response = client.post("/aggregate", content=b"{oops", headers={"content-type": "application/json"})
    assert (response.status_code, response.json()) == (500, {"error": BAD_REQUEST})


def test_every_ecolyo_definition_answers_403_on_aggregate():
    with live_receiver() as (receiver, client):
        response = client.post("/aggregate", json={"measureName": "connection-count-daily",
                                                   "startDate": "2021-12-01", "endDate": "2022-01-01"})
        assert response.status_code == 403
        assert receiver.store.records(kind="query")[-1].production_status == 403


def test_clear_errors_turn_aggregate_500s_into_400():
    with live_receiver(catalog=CATALOG, clear_errors=True) as (_, client):
        response = client.post("/aggregate", json={"measureName": "q", "startDate": 5, "endDate": "x"})
        assert response.status_code == 400
        assert response.json()["production"] == {"status": 500, "error": "Parser must be a string or character stream, not int"}


def test_the_aggregate_command_runs_a_pass_on_a_running_receiver(served, capsys):
    from dacc_gui.cli.main import main

    receiver, client = served
    send(client, "q", [2] * 5)
    assert main(["aggregate", "--url", receiver.url, "--measure", "q"]) == 0
    assert "q: 5 raw measures aggregated into 1 groups" in capsys.readouterr().out
    assert aggregate(client)["a"]["sum"] == 10.0
    send(client, "q", [6e9, 6e9], group="big")
    assert main(["aggregate", "--url", receiver.url]) == 1  # a failed pass is reported
    assert "numeric field overflow" in capsys.readouterr().out
