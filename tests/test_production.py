"""Production's answer (dacc.production) to every row of the spec, and what it stores."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from tests.dacc_spec_cases import CASES, JSON, measure, text

from dacc_gui.dacc.production import answer_body, answer_measure


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_row_of_the_spec(case):
    answer = answer_body(case.content_type, case.raw)
    assert answer.status == case.status
    if case.prefix:
        assert answer.error.startswith(case.error)
    else:
        assert answer.error == case.error
    if case.status == 201:
        assert answer.stored is case.stored
        assert (answer.not_stored.reason if answer.not_stored else None) == case.reason
    else:
        assert not answer.stored
    assert answer.why or (case.status == 201 and case.stored)  # anything wrong is said in words


def test_what_production_stores_is_rounded_and_loses_the_offset():
    row = answer_measure(measure(value=1.005, startDate="2021-12-08T10:30:00+02:00")).row
    assert row.value == Decimal("1.01")  # half away from zero, on the decimal text (1.005 is 1.00499... in binary)
    assert row.start == datetime(2021, 12, 8, 10, 30)  # +02:00 dropped, not applied
    assert answer_measure(measure(value=-2.675)).row.value == Decimal("-2.68")
    assert answer_measure(measure(value="  7.125 ")).row.value == Decimal("7.13")
    assert answer_measure(measure(value=True)).row is None


def test_a_value_that_rounds_up_to_10_to_the_10_is_not_stored():
    assert answer_measure(measure(value=9999999999.99)).stored
    assert answer_measure(measure(value="9999999999.995")).not_stored.reason == "value is 10^10 or more"


def test_messages_are_python_3_8s():
    # 3.11 says "a string or a real number" and "string indices must be integers, not 'str'".
    assert answer_measure(measure(value=None)).error == "float() argument must be a string or a number, not 'NoneType'"
    assert answer_body(JSON, b'"x"').error == "string indices must be integers"


def test_the_why_says_what_was_wrong_in_plain_words():
    assert "reads measureName" in answer_body(JSON, b"{}").why
    assert "value true is a boolean" in answer_measure(measure(value=True)).why
    assert "text/plain" in answer_body("text/plain", text(measure()).encode()).why


# -- open cases of the spec, settled as written, each made explicit ------------------
def test_open_case_a_null_measure_name_finds_no_definition():
    assert answer_measure(measure(measureName=None)).error == "No measure definition found for: None"


def test_open_case_a_json_plus_type_is_not_application_json():
    # The spec says "other than application/json"; Flask 2.0 would read +json too (not measured).
    assert answer_body("application/vnd.api+json", text(measure()).encode()).status == 500


def test_open_case_an_integer_too_large_for_a_float_is_pythons_500():
    answer = answer_body(JSON, b'{"measureName": "connection-count-daily", "value": 1' + b"0" * 400 + b"}")
    assert (answer.status, answer.error) == (500, "int too large to convert to float")


def test_open_case_only_the_listed_storage_refusals_drop_a_measure():
    # createdBy a number or a list, a NUL in a group key: not in the spec's list, so stored.
    assert answer_measure(measure(createdBy=12)).row.created_by == "12"
    assert answer_measure(measure(createdBy=["a"])).stored
    assert answer_measure(measure(group1={"device": "m", "k\u0000": "v"})).stored


def test_open_case_a_date_without_a_year_is_no_timestamp():
    assert answer_measure(measure(startDate="Dec 8")).not_stored.reason == "startDate is no PostgreSQL timestamp"
