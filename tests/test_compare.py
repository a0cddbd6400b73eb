"""Comparing expected indicators with received posts: the four categories,
multisets, pairing within a key, value equality, and the receiver's records."""

from __future__ import annotations

import json
from datetime import date

from dacc_gui.compare.comparison import (
    Category, as_number, compare, expected_from_payloads, expected_from_results, received_from_payloads,
    received_from_records, values_equal,
)
from dacc_gui.events.loader import load_file
from dacc_gui.receiver.records import Kind, Record, Shape
from dacc_gui.rules import simulate
from tests.conftest import DATA


def m(name="connection-count-daily", day="2021-12-08", value=1, **groups):
    p = {"createdBy": "ecolyo", "measureName": name, "startDate": day, "value": value}
    for n, (k, v) in enumerate(groups.items(), start=1):
        p[f"group{n}"] = {k: v}
    return p


def session(value, pages="3", kind="any", day="2021-12-08"):
    return {"createdBy": "ecolyo", "measureName": "session-duration", "startDate": day, "value": value,
            "group1": {"number_pages": pages}, "group2": {"session_type": kind}}


def run(expected, received):
    return compare(expected_from_payloads(expected), received_from_payloads(received))


def categories(comparison):
    return [r.category for r in comparison.rows]


def test_each_category_from_hand_made_cases():
    a, b, c, d = m(device="mobile"), m(device="desktop"), m("navigation-count-daily", value=4, page="home"), \
        m("konnector-event-daily", value=2, slug="enedis")
    extra = m("quiz-stars", value=5)
    got = run([a, b, c, d], [a, dict(c, value=5), extra, d])
    counts = got.counts()
    assert counts == {"matched": 2, "missing": 1, "unexpected": 1, "different": 1}
    assert not got.ok
    by_cat = {r.category: r for r in got.rows if r.category is not Category.MATCHED}
    assert by_cat[Category.MISSING].expected.payload == b and by_cat[Category.MISSING].received is None
    assert by_cat[Category.UNEXPECTED].received.payload == extra and by_cat[Category.UNEXPECTED].expected is None
    different = by_cat[Category.DIFFERENT]
    assert different.expected.payload["value"] == 4 and different.received.payload["value"] == 5
    assert different.differences == ["value"]
    assert got.verdict == "No: 1 missing, 1 unexpected, 1 with a different value (2 of 4 expected matched)."


def test_all_matched_says_yes():
    payloads = [m(device="mobile"), m("navigation-count-daily", value=4, page="home")]
    got = run(payloads, list(reversed(payloads)))  # order of arrival does not matter
    assert got.ok and categories(got) == [Category.MATCHED] * 2
    assert got.verdict == "Yes: the service sent exactly the 2 expected indicators."


def test_nothing_either_side():
    got = run([], [])
    assert got.ok and got.rows == []
    assert got.verdict.startswith("Nothing to compare")


def test_expected_twice_received_once_is_one_matched_one_missing():
    p = m(device="mobile")
    got = run([p, p], [p])
    assert sorted(categories(got)) == sorted([Category.MATCHED, Category.MISSING])


def test_duplicates_received_are_unexpected():
    p = m(device="mobile")
    got = run([p], [p, p, p])
    assert got.counts() == {"matched": 1, "missing": 0, "unexpected": 2, "different": 0}
    unexpected = got.of(Category.UNEXPECTED)
    assert [r.received.index for r in unexpected] == [1, 2]
    assert all("sent more times than expected" in r.warnings[0] for r in unexpected)


def test_session_durations_pair_equal_values_first_then_in_order():
    expected = [session(10), session(20), session(30), session(40)]
    # 30 and 10 arrive (out of order), 20 and 40 come with other values.
    received = [session(30), session(21), session(10), session(45)]
    got = run(expected, received)
    pairs = {(r.expected.payload["value"], r.received.payload["value"]): r.category
             for r in got.rows if r.expected and r.received}
    assert pairs == {(10, 10): Category.MATCHED, (30, 30): Category.MATCHED,
                     (20, 21): Category.DIFFERENT, (40, 45): Category.DIFFERENT}
    assert not got.of(Category.MISSING) and not got.of(Category.UNEXPECTED)


def test_a_different_group_is_missing_plus_unexpected_not_different():
    got = run([session(10, pages="3")], [session(10, pages="4")])
    assert sorted(categories(got)) == sorted([Category.MISSING, Category.UNEXPECTED])


def test_leftovers_of_a_shared_key_are_missing_or_unexpected():
    got = run([session(10), session(20), session(30)], [session(20)])
    assert got.counts() == {"matched": 1, "missing": 2, "unexpected": 0, "different": 0}
    got = run([session(20)], [session(1), session(20), session(3)])
    assert got.counts()["matched"] == 1 and got.counts()["unexpected"] == 2


def test_values_compare_as_floats_and_a_type_difference_warns():
    assert values_equal(1, 1.0) and values_equal(1, "1") and values_equal("2.50", 2.5)
    assert not values_equal(1, 2) and not values_equal(1, True) and not values_equal(None, 0)
    assert values_equal(None, None) and values_equal("abc", "abc")
    assert as_number(True) is None and as_number("x") is None and as_number(" 3 ") == 3.0
    p = m(device="mobile")
    got = run([p], [dict(p, value="1")])
    (row,) = got.rows
    assert row.category is Category.MATCHED
    assert row.warnings == ['value sent as string "1" where the rulebook gives number 1 (the DACC stores both as 1.0)']
    assert got.ok and got.verdict == "Yes: the service sent exactly the 1 expected indicator (1 with warnings)."
    # 1.0 and 1 are one JSON type: no warning.
    assert run([p], [dict(p, value=1.0)]).rows[0].warnings == []


def test_created_by_and_extra_fields():
    p = m(device="mobile")
    (row,) = run([p], [dict(p, createdBy="ecolyo-dev")]).rows
    assert row.category is Category.DIFFERENT and row.differences == ["createdBy"]
    (row,) = run([p], [dict(p, note="x")]).rows
    assert row.category is Category.MATCHED and row.warnings == ["field 'note' sent but not expected"]


def test_group_key_order_does_not_matter():
    e = {"createdBy": "ecolyo", "measureName": "x", "startDate": "2021-12-08", "value": 1,
         "group1": {"a": "1", "b": "2"}}
    r = dict(e, group1={"b": "2", "a": "1"})
    assert run([e], [r]).ok


def test_expected_keeps_provenance_from_run_results():
    case = DATA / "golden" / "01-one-day.json"
    events = load_file(case)
    spec = json.loads(case.read_text())
    run_date = date.fromisoformat(spec["runDate"])
    results = simulate(events.events, events.context, run_date, run_date)
    expected = expected_from_results(results)
    indicators = results[0].indicators
    assert [e.payload for e in expected] == [i.payload() for i in indicators]
    assert all(e.run_date == spec["runDate"] for e in expected)
    with_events = next(e for e, i in zip(expected, indicators) if i.event_ids)
    source = indicators[expected.index(with_events)]
    assert with_events.event_ids == source.event_ids and with_events.rule == source.rule.name
    assert with_events.rule_source == source.rule.source_label
    # Received: the golden case's hand-computed night, so that the rules are judged, not echoed.
    got = compare(expected, received_from_payloads(spec["expected"]["indicators"]))
    assert got.ok and len(got.rows) == len(indicators)


def record(measure=None, status=201, *, id_=1, body=None, has=None, path="/", method="POST", kind=Kind.MEASURE,
           error=None, warnings=()):
    body = body if body is not None else json.dumps({"data": json.dumps(measure)}).encode()
    return Record(received_at=f"2021-12-09T10:00:0{id_}.000Z", method=method, path=path, body=body, kind=kind,
                  shape=Shape.DATA, measure=measure if has is not False else None,
                  has_measure=has if has is not None else measure is not None,
                  status=status, error=error, warnings=list(warnings), id=id_)


def test_received_records_what_counts():
    good = m(device="mobile")
    refused = m("navigation-count-daily", value=-1, page="home")
    records = [
        record(good, id_=1, warnings=["duplicate: ..."]),
        record(refused, 400, id_=2, error="value must be positive"),
        # Refused before parsing (injected fault): read from the body.
        record(good, 500, id_=3, has=False, error="injected fault: 500"),
        record(None, 400, id_=4, body=b"{not json", has=False, error="the body is not JSON"),
        record(None, 200, id_=5, path="/aggregate", kind=Kind.QUERY, method="GET", body=b""),
        record(good, 405, id_=6, method="GET"),
        record([1, 2], 400, id_=7, has=True),
    ]
    received = received_from_records(records)
    assert [r.record_id for r in received] == [1, 2, 3, 4, 7]
    assert received[0].payload == good and received[0].warnings == ["duplicate: ..."]
    assert received[1].payload == refused and received[1].status == 400
    assert received[2].payload == good and received[2].status == 500
    assert received[3].payload is None and "not JSON" in received[3].problem
    assert received[4].payload is None and received[4].problem == "the measure is not a JSON object"

    got = compare(expected_from_payloads([good, refused]), received)
    rows = {(r.category, r.received.record_id if r.received else None): r for r in got.rows}
    matched_refused = rows[(Category.MATCHED, 2)]
    assert "the receiver answered 400: value must be positive" in matched_refused.warnings
    assert rows[(Category.MATCHED, 1)].warnings == ["receiver: duplicate: ..."]
    assert rows[(Category.UNEXPECTED, 3)].warnings[0] == "sent more times than expected"
    unreadable = rows[(Category.UNEXPECTED, 4)]
    assert unreadable.warnings[0].startswith("no measure could be read from this post")
    assert got.counts() == {"matched": 2, "missing": 0, "unexpected": 3, "different": 0}


def test_to_json_holds_both_sides_and_the_classification():
    a, b = m(device="mobile"), m(device="desktop")
    got = run([a, b], [a, dict(b, value=3)])
    data = json.loads(json.dumps(got.to_json()))
    assert data["verdict"] == got.verdict and data["ok"] is False
    assert [e["payload"] for e in data["expected"]] == [a, b]
    assert [r["payload"]["value"] for r in data["received"]] == [1, 3]
    assert [(r["category"], r["expected"], r["received"]) for r in data["rows"]] == \
           [("matched", 0, 0), ("different", 1, 1)]
    assert data["rows"][1]["expectedValue"] == 1 and data["rows"][1]["receivedValue"] == 3
