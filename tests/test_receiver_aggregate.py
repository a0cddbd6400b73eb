"""The live aggregates (Receiver.aggregate, /_receiver/aggregates?view=live) on hand-computed
data, threshold included. Production's own view and /aggregate: test_receiver_passes.py."""

from __future__ import annotations

import pytest
from tests.receiver_support import live_receiver, measure

from dacc_gui.dacc.measures import MeasureCatalog, MeasureDefinition, load_catalog
from dacc_gui.receiver import AggregateQueryError
from dacc_gui.dacc.figures import percentile_cont

DAY = "connection-count-daily"
DECEMBER = {"measureName": DAY, "startDate": "2021-12-01", "endDate": "2022-01-01"}


def send(client, values, **changes):
    for value in values:
        assert client.post("/measure", json=measure(value=value, **changes)).status_code == 201


@pytest.fixture
def loaded(live):
    receiver, client = live
    send(client, [1, 2, 3, 4, 10])  # mobile, 2021-12-08: count 5
    send(client, [0, 0, 5, 0, 1], group1={"device": "tablet"})  # zeros
    send(client, [7, 7, 7, 7], group1={"device": "desktop"})  # 4 < 5: hidden
    send(client, [1] * 5, startDate="2022-01-01")  # endDate is exclusive
    send(client, [2] * 5, startDate="2021-12-01T00:00:00")  # startDate is inclusive
    client.post("/measure", json=measure(value="bad"))  # rejected: not counted
    client.post("/measure", json=measure(value=True))  # 201, but production stores nothing: not counted
    return receiver, client


def live_view(client, params):
    response = client.get("/_receiver/aggregates", params={"view": "live", **params})
    assert response.status_code == 200
    return [r for r in response.json()["rows"] if not r["hidden"]]


def by_device(results):
    return {(r["startDate"], r["group1"]["device"]): r for r in results}


def test_aggregate_matches_hand_computed_statistics(loaded):
    _, client = loaded
    groups = by_device(live_view(client, DECEMBER))
    assert set(groups) == {("2021-12-08T00:00:00", "mobile"), ("2021-12-08T00:00:00", "tablet"),
                           ("2021-12-01T00:00:00", "mobile")}
    mobile = groups[("2021-12-08T00:00:00", "mobile")]
    # mean 4; squared deviations 9+4+1+0+36 = 50; 50/4 = 12.5; sqrt = 3.5355
    assert mobile == {
        "measureName": DAY, "createdBy": "ecolyo", "startDate": "2021-12-08T00:00:00",
        "group1": {"device": "mobile"},
        "sum": 20.0, "count": 5, "countNotZero": 5, "min": 1.0, "max": 10.0, "avg": 4.0, "std": 3.54,
        "hidden": False,
    }
    tablet = groups[("2021-12-08T00:00:00", "tablet")]
    # mean 1.2; squared deviations 3*1.44 + 14.44 + 0.04 = 18.8; 18.8/4 = 4.7; sqrt = 2.168
    assert (tablet["count"], tablet["countNotZero"], tablet["sum"], tablet["min"], tablet["max"]) == (5, 2, 6.0, 0.0, 5.0)
    assert (tablet["avg"], tablet["std"]) == (1.2, 2.17)
    assert "median" not in tablet  # connection-count-daily has no quartiles


def test_the_control_api_and_the_in_process_call_give_the_same(loaded):
    receiver, client = loaded
    shown = [{k: v for k, v in r.items() if k != "hidden"} for r in live_view(client, DECEMBER)]
    assert shown == receiver.aggregate(DAY, "2021-12-01", "2022-01-01")


def test_threshold_hides_small_groups_but_the_app_can_see_them_marked(loaded):
    receiver, _ = loaded
    visible = receiver.aggregate(DAY, "2021-12-01", "2022-01-01")
    assert all(r["group1"]["device"] != "desktop" for r in visible)
    everything = receiver.aggregate(DAY, "2021-12-01", "2022-01-01", include_hidden=True)
    hidden = [r for r in everything if r["hidden"]]
    assert [(r["group1"], r["count"], r["std"]) for r in hidden] == [({"device": "desktop"}, 4, 0.0)]
    assert len(everything) == len(visible) + 1


def test_start_inclusive_end_exclusive_and_created_by(loaded):
    receiver, client = loaded
    january = receiver.aggregate(DAY, "2022-01-01", "2022-01-02")
    assert [(r["startDate"], r["count"]) for r in january] == [("2022-01-01T00:00:00", 5)]
    assert receiver.aggregate(DAY, "2021-12-02", "2021-12-08") == []
    send(client, [3] * 5, createdBy="someone-else")
    mine = receiver.aggregate(DAY, "2021-12-08", "2021-12-09", created_by="ecolyo")
    theirs = receiver.aggregate(DAY, "2021-12-08", "2021-12-09", created_by="someone-else")
    assert {r["createdBy"] for r in mine} == {"ecolyo"}
    assert [(r["createdBy"], r["sum"]) for r in theirs] == [("someone-else", 15.0)]


def test_quartiles_when_the_definition_asks_and_its_own_threshold():
    catalog = MeasureCatalog(definitions=[
        MeasureDefinition(name="q", group1Key="k", withQuartiles=True, aggregationThreshold=6),
    ])
    with live_receiver(catalog=catalog) as (receiver, client):
        for v in [10, 1, 7, 2, 11, 4]:
            client.post("/measure", json={"measureName": "q", "startDate": "2021-12-08", "value": v,
                                          "createdBy": "ecolyo", "group1": {"k": "a"}})
        for v in [1, 2, 3, 4, 5]:  # five: under this definition's threshold of 6
            client.post("/measure", json={"measureName": "q", "startDate": "2021-12-08", "value": v,
                                          "createdBy": "ecolyo", "group1": {"k": "b"}})
        results = receiver.aggregate("q", "2021-12-08", "2021-12-09")
        assert len(results) == 1
        # sorted 1 2 4 7 10 11: ranks 1.25, 2.5, 3.75
        assert (results[0]["firstQuartile"], results[0]["median"], results[0]["thirdQuartile"]) == (2.5, 5.5, 9.25)


def test_values_are_kept_to_two_decimals_as_numeric_12_2(live):
    receiver, client = live
    send(client, [1.005] * 5)
    send(client, ["2.5"] * 5, group1={"device": "tv"})  # a numeric string counts as its number
    got = by_device(receiver.aggregate(DAY, "2021-12-08", "2021-12-09"))
    assert got[("2021-12-08T00:00:00", "mobile")]["min"] == 1.01
    assert got[("2021-12-08T00:00:00", "mobile")]["sum"] == 5.05
    assert got[("2021-12-08T00:00:00", "tv")]["sum"] == 12.5


def test_group_key_order_does_not_split_a_group(live):
    receiver, client = live
    catalog = load_catalog()
    name = next(d.name for d in catalog.definitions if d.group2Key)
    d = catalog.get(name)
    for _ in range(5):
        m = {"measureName": name, "startDate": "2021-12-08", "value": 1, "createdBy": "ecolyo",
             "group1": {d.group1Key: "a", "z": "1", "b": "2"}, "group2": {d.group2Key: "x"}}
        if d.group3Key:
            m["group3"] = {d.group3Key: "y"}
        client.post("/measure", json=m)
    assert [r["count"] for r in receiver.aggregate(name, "2021-12-08", "2021-12-09")] == [5]


@pytest.mark.parametrize(
    "params,message",
    [
        ({"startDate": "2021-12-01"}, "A measure name must be given"),
        ({"measureName": "nope", "startDate": "2021-12-01", "endDate": "2022-01-01"},
         "No measure definition found for: nope"),
        ({"measureName": DAY, "endDate": "2022-01-01"}, "startDate must be given"),
        ({"measureName": DAY, "startDate": "2021-12-01"}, "endDate must be given"),
        ({"measureName": DAY, "startDate": "soon", "endDate": "2022-01-01"},
         "startDate type is incorrect, it must be a date"),
    ],
)
def test_bad_live_queries_get_the_dacc_messages(live, params, message):
    receiver, client = live
    response = client.get("/_receiver/aggregates", params={"view": "live", **params})
    assert (response.status_code, response.json()) == (400, {"error": message})
    if "measureName" in params:  # in-process: the same check, the same words
        with pytest.raises(AggregateQueryError, match=message):
            receiver.aggregate(params["measureName"], params.get("startDate"), params.get("endDate"))


def test_two_values_of_1e308_are_not_stored_and_break_no_aggregate(live):
    receiver, client = live
    send(client, [1e308, 1e308])  # 201: production answers so, and stores nothing
    assert receiver.aggregate(DAY, "2021-12-08", "2021-12-09", include_hidden=True) == []
    assert client.get("/_receiver/aggregates", params={"view": "live", **DECEMBER}).status_code == 200


def test_percentile_cont_interpolates():
    from decimal import Decimal as D

    assert percentile_cont([D(5)], 0.25) == 5
    assert percentile_cont([D(1), D(2)], 0.5) == D("1.5")
    assert percentile_cont([D(4), D(1), D(3), D(2)], 0.75) == D("3.25")
