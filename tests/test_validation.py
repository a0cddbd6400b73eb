"""The DACC's checks, in its order, with its messages; and the lints."""

from __future__ import annotations

import pytest

from dacc_gui.dacc.validation import check_measure, validate_all, validate_measure

GOOD = {"createdBy": "ecolyo", "measureName": "connection-count-daily", "startDate": "2021-12-08",
        "value": 1, "group1": {"device": "mobile"}}


def with_(**changes):
    out = dict(GOOD)
    for key, value in changes.items():
        if value is ...:
            out.pop(key)
        else:
            out[key] = value
    return out


@pytest.mark.parametrize("measure, message", [
    (None, "The measure cannot be empty"),
    ({}, "A measure name must be given"),
    (with_(measureName=...), "A measure name must be given"),
    (with_(measureName="nope"), "No measure definition found for: nope"),
    (with_(value=...), "A value must be given"),
    (with_(value="abc"), "value type is incorrect, it must be a number"),
    (with_(startDate=...), "A start date must be given"),
    (with_(startDate="not a date"), "startDate type is incorrect, it must be a date"),
    (with_(group1="mobile"), "groups format is incorrect"),
    (with_(group1={}), "groups format is incorrect"),
    (with_(group1={"platform": "mobile"}), "Group key does not match measure definition: platform"),
    (with_(group1=...), "Group key does not match measure definition: None"),
    (with_(group2={"x": "y"}), "Group key does not match measure definition: x"),
])
def test_each_check_and_its_message(measure, message):
    result = check_measure(measure)
    assert result.status == 400 and result.error == message


def test_first_failure_wins_in_the_dacc_order():
    # no value AND a bad group: the value check comes first
    assert check_measure(with_(value=..., group1={"x": "y"})).error == "A value must be given"
    assert check_measure({"value": None}).error == "A measure name must be given"


def test_null_value_is_a_400_here_but_a_500_in_production():
    result = check_measure(with_(value=None))
    assert result.status == 400
    assert result.production_status == 500
    assert "production would answer 500" in result.production_note


def test_numeric_strings_and_lenient_dates_are_accepted_like_the_dacc():
    assert check_measure(with_(value="12.5")).ok
    assert check_measure(with_(startDate="Dec 8 2021")).ok


def test_lints_on_accepted_measures():
    result = validate_measure(with_(startDate="2021-12-08T10:00:00", createdBy="someone", group1={"device": 1}))
    assert result.ok and result.level == "warning"
    text = " | ".join(result.warnings)
    assert "time part" in text and "createdBy" in text and "not a string" in text


def test_monthly_measure_not_on_the_first_is_a_warning():
    result = validate_measure({"createdBy": "ecolyo", "measureName": "connection-count-monthly", "startDate": "2021-12-09", "value": 3})
    assert result.ok and any("start of its month" in w for w in result.warnings)
    assert validate_measure({"createdBy": "ecolyo", "measureName": "connection-count-monthly", "startDate": "2021-12-01", "value": 3}).level == "ok"


def test_duplicates_are_flagged_within_a_set():
    results = validate_all([GOOD, dict(GOOD), with_(group1={"device": "desktop"})])
    assert [bool(r.warnings) for r in results] == [False, True, False]
    assert "duplicate" in results[1].warnings[0]
