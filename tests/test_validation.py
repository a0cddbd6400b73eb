"""The preview's verdict (dacc.validation): production's answer, and the lints."""

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


@pytest.mark.parametrize("measure, status, message", [
    (None, 500, "'NoneType' object is not subscriptable"),
    ({}, 500, "'measureName'"),
    (with_(measureName="nope"), 400, "No measure definition found for: nope"),
    (with_(value=...), 400, "A value must be given"),
    (with_(value="abc"), 400, "value type is incorrect, it must be a number"),
    (with_(startDate=...), 400, "startDate must be given"),
    (with_(startDate="not a date"), 400, "startDate type is incorrect, it must be a date"),
    (with_(group1="mobile"), 400, "groups format is incorrect"),
    (with_(group1={"platform": "mobile"}), 400, "Group1 key does not match measure definition: platform"),
    (with_(group2={"x": "y"}), 400, "Group2 key does not match measure definition: x"),
])
def test_each_check_gives_productions_status_and_text(measure, status, message):
    result = check_measure(measure)
    assert (result.status, result.error) == (status, message)
    assert not result.ok and result.level == "error"


def test_first_failure_wins_in_the_dacc_order():
    assert check_measure(with_(value=..., group1={"x": "y"})).error == "A value must be given"


def test_a_500_says_why_production_answers_so():
    result = check_measure(with_(value=None))
    assert result.status == 500
    assert "float(value)" in result.production_note
    assert result.production_note in result.messages()


def test_a_measure_production_would_not_store_is_not_ok():
    result = check_measure(with_(value=True))
    assert result.status == 201 and not result.stored and not result.ok
    assert result.not_stored_reason == "value is a boolean"
    assert result.error.startswith("not stored: value true is a boolean")


def test_numeric_strings_and_lenient_dates_are_accepted_like_the_dacc():
    assert check_measure(with_(value="12.5")).ok
    assert check_measure(with_(startDate="Dec 8 2021")).ok


def test_lints_on_accepted_measures():
    result = validate_measure(with_(startDate="2021-12-08T10:00:00", createdBy="someone", group1={"device": 1}))
    assert result.ok and result.level == "warning"
    text = " | ".join(result.warnings)
    assert "time part" in text and "createdBy" in text and "not a string" in text


@pytest.mark.parametrize("value, warned", [(1.005, "production stores 1.01"), ("2.999", "production stores 3.00"),
                                           (1.5, None), ("1.500", None), (3, None)])
def test_a_value_with_more_than_two_decimals_is_a_warning(value, warned):
    warnings = validate_measure(with_(value=value)).warnings
    found = [w for w in warnings if "more than 2 decimals" in w]
    assert (found[0].endswith(f"{warned} (NUMERIC(12,2))") if warned else found == [])


def test_monthly_measure_not_on_the_first_is_a_warning():
    result = validate_measure({"createdBy": "ecolyo", "measureName": "connection-count-monthly", "startDate": "2021-12-09", "value": 3})
    assert result.ok and any("start of its month" in w for w in result.warnings)
    assert validate_measure({"createdBy": "ecolyo", "measureName": "connection-count-monthly", "startDate": "2021-12-01", "value": 3}).level == "ok"


def test_duplicates_are_flagged_within_a_set():
    results = validate_all([GOOD, dict(GOOD), with_(group1={"device": "desktop"})])
    assert [bool(r.warnings) for r in results] == [False, True, False]
    assert "duplicate" in results[1].warnings[0]


def test_a_measure_production_did_not_store_is_no_duplicate():
    results = validate_all([with_(value=True), with_(value=2)])
    assert results[1].warnings == []


def test_messages_are_the_error_then_why_production_answers_so_then_the_lints():
    refused = check_measure(with_(value=...))
    assert refused.messages() == ["A value must be given"]  # a 400 says it all itself
    crashed = check_measure(with_(value=None))
    assert len(crashed.messages()) == 2 and crashed.messages()[1] == crashed.production_note
    assert crashed.messages()[0] == crashed.error and crashed.error != crashed.production_note
    assert check_measure(GOOD).messages() == []


def test_a_catalog_given_is_the_one_every_check_uses():
    from dacc_gui.dacc.measures import MeasureCatalog, MeasureDefinition

    only = MeasureCatalog(definitions=[MeasureDefinition(name="page-count-weekly", group1Key="page",
                                                         aggregationPeriod="week")])
    measure = {"createdBy": "ecolyo", "measureName": "page-count-weekly", "startDate": "2021-12-06",
               "value": 3, "group1": {"page": "faq"}}
    # Unknown to the shipped definitions...
    assert validate_all([measure])[0].error == "No measure definition found for: page-count-weekly"
    # ...known to this catalog: stored, and linted against its weekly period.
    [checked] = validate_all([measure], catalog=only)
    assert checked.ok and checked.warnings == []  # 2021-12-06 is a Monday
    wednesday = dict(measure, startDate="2021-12-08")
    [checked] = validate_all([wednesday], catalog=only)
    assert checked.ok and checked.warnings == ["startDate 2021-12-08 is not the start of its week period (a Monday)"]
    assert validate_measure(wednesday, only).warnings == checked.warnings
    assert check_measure(measure, only).ok
    # The shipped measures are unknown to it.
    assert check_measure(GOOD, only).error == "No measure definition found for: connection-count-daily"
