"""The lints the real DACC does not give, word for word, and the key a duplicate is counted under.

Each expectation is written out by hand from the rulebook's definitions
(dacc/measures.json: connection-count-daily has a day period and group1 device,
connection-count-monthly a month period, quiz-stars no period).
"""

from __future__ import annotations

import json

import pytest

from dacc_gui.dacc.validation import duplicate_key, lint_measure, validate_measure


def daily(**changes):
    m = {"createdBy": "ecolyo", "measureName": "connection-count-daily", "startDate": "2021-12-08", "value": 1,
         "group1": {"device": "mobile"}}
    m.update(changes)
    return m


def test_a_clean_measure_has_no_lint():
    assert lint_measure(daily()) == []
    assert lint_measure({"createdBy": "ecolyo", "measureName": "connection-count-monthly",
                         "startDate": "2021-12-01", "value": 3}) == []


@pytest.mark.parametrize("measure, warning", [
    (daily(startDate="2021-12-08T10:00:00"),
     "startDate '2021-12-08T10:00:00' has a time part; the day period starts at a day"),
    ({"createdBy": "ecolyo", "measureName": "connection-count-monthly", "startDate": "2021-12-08", "value": 3},
     "startDate 2021-12-08 is not the start of its month period (2021-12-01)"),
    (daily(createdBy="someone"), "createdBy is 'someone', not 'ecolyo'"),
    (daily(group1={"device": 1}), "group1.device is int 1, not a string"),
    (daily(value="2"), "value is a string; the DACC accepts it only because float() parses it"),
    (daily(value=1.234), "value 1.234 has more than 2 decimals: production stores 1.23 (NUMERIC(12,2))"),
    (daily(value=2.675), "value 2.675 has more than 2 decimals: production stores 2.68 (NUMERIC(12,2))"),
])
def test_each_lint_in_its_words(measure, warning):
    assert lint_measure(measure) == [warning]


def test_a_period_of_its_own_has_no_start_to_check():
    quiz = {"createdBy": "ecolyo", "measureName": "quiz-stars", "startDate": "2021-12-08T10:00:00", "value": 3,
            "group1": {"challenge_id": "c1"}, "group2": {"quiz_id": "q1"}}
    assert lint_measure(quiz) == []


@pytest.mark.parametrize("value", [1.2, 1.25, 3, True, 1.5e10, "x"])
def test_two_decimals_or_fewer_or_no_number_is_no_decimals_lint(value):
    assert not [w for w in lint_measure(daily(value=value)) if "decimals" in w]


def test_the_duplicate_key_is_name_start_and_groups_whatever_their_key_order():
    key = duplicate_key(daily(group1={"device": "mobile", "os": "ios"}))
    assert key == json.dumps(["connection-count-daily", "2021-12-08", {"device": "mobile", "os": "ios"}, None, None],
                             sort_keys=True)
    assert duplicate_key(daily(group1={"os": "ios", "device": "mobile"}, value=9)) == key  # the value is not in it
    assert duplicate_key(daily(startDate="2021-12-09", group1={"device": "mobile", "os": "ios"})) != key
    assert duplicate_key(daily(group2={"x": "y"})) != duplicate_key(daily())


def test_a_duplicate_says_whether_it_is_expected():
    seen: set[str] = set()
    assert validate_measure(daily(), seen=seen).warnings == []
    [warning] = validate_measure(daily(), seen=seen).warnings
    assert warning == ("duplicate: the same measure, startDate and groups were already received "
                       "(events not marked aggregated?)")
    quiz = {"createdBy": "ecolyo", "measureName": "quiz-stars", "startDate": "2021-12-08", "value": 3,
            "group1": {"challenge_id": "c1"}, "group2": {"quiz_id": "q1"}}
    validate_measure(quiz, seen=seen)
    [warning] = validate_measure(quiz, seen=seen).warnings
    assert warning == ("duplicate: the same measure, startDate and groups were already received "
                       "(normal for quiz-stars, which sends one value per occurrence)")


def _catalog_with_period(period: str):
    """The shipped catalog with connection-count-daily given another aggregationPeriod
    (no Ecolyo definition has a week or a year, but a DACC definition may)."""
    from dacc_gui.dacc.measures import MeasureCatalog, load_catalog

    data = load_catalog().model_dump()
    for d in data["definitions"]:
        if d["name"] == "connection-count-daily":
            d["aggregationPeriod"] = period
    return MeasureCatalog.model_validate(data)


@pytest.mark.parametrize("period, start, warning", [
    ("week", "2021-12-08", "startDate 2021-12-08 is not the start of its week period (a Monday)"),
    ("week", "2021-12-06", None),  # a Monday
    ("year", "2021-12-01", "startDate 2021-12-01 is not the start of its year period (2021-01-01)"),
    ("year", "2021-02-01", "startDate 2021-02-01 is not the start of its year period (2021-01-01)"),
    ("year", "2021-01-02", "startDate 2021-01-02 is not the start of its year period (2021-01-01)"),
    ("year", "2021-01-01", None),
    ("month", "2021-12-01", None),
    ("day", "2021-12-08 ", None),  # eleven characters, no time: blanks are not a time part
    ("day", "2021-12-08T10", "startDate '2021-12-08T10' has a time part; the day period starts at a day"),
])
def test_the_start_of_every_period_kind(period, start, warning):
    warnings = lint_measure(daily(startDate=start), _catalog_with_period(period))
    assert warnings == ([warning] if warning else [])
