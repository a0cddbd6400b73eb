"""The shortcuts a preview's tens of thousands of checks take give the answers
of the long way: a set's duplicate key, and the parse of a plain YYYY-MM-DD."""

from __future__ import annotations

from datetime import datetime

import pytest
from dateutil import parser as dateparser
from hypothesis import given, settings, strategies as st

from dacc_gui.dacc import production
from dacc_gui.dacc.validation import _set_key, duplicate_key, validate_all

texts = st.sampled_from(["a", "b", "1", "true", "", "null"])
values = texts | st.sampled_from([1, 1.0, True, None, 0, False]) | st.lists(texts, max_size=2)
groups = st.none() | st.dictionaries(st.sampled_from(["k", "j"]), values, max_size=2) | values
measures = st.fixed_dictionaries(
    {"measureName": texts | st.sampled_from([1, None]), "startDate": texts | st.sampled_from([1, None])},
    optional={"group1": groups, "group2": groups, "group3": groups},
)


@settings(max_examples=500, deadline=None)
@given(measures, measures)
def test_a_sets_key_tells_duplicates_as_the_json_key_does(a, b):
    assert (_set_key(a) == _set_key(b)) == (duplicate_key(a) == duplicate_key(b))


def test_a_set_of_text_only_measures_flags_the_second_of_two():
    m = {"createdBy": "ecolyo", "measureName": "navigation-count-daily", "startDate": "2021-12-08", "value": 2,
         "group1": {"page": "faq"}}
    other = dict(m, group1={"page": "gas"})
    checks = validate_all([m, other, dict(m, value=3)])
    assert [any(w.startswith("duplicate") for w in c.warnings) for c in checks] == [False, False, True]


days = st.builds(lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}", st.integers(0, 9999), st.integers(0, 99),
                 st.integers(0, 99))


@settings(max_examples=300, deadline=None)
@given(days)
def test_a_plain_day_parses_as_dateutil_does_whatever_the_day_today(text):
    try:
        want = dateparser.parse(text, default=datetime(2000, 1, 1))
    except (ValueError, OverflowError) as exc:
        with pytest.raises(type(exc)):
            production.parse_date(text)
        return
    # Nothing of the text is filled in from today: another default gives the same.
    assert dateparser.parse(text, default=datetime(2004, 3, 2)) == want
    assert production.parse_date(text) == want


def test_a_text_that_lacks_a_part_still_takes_it_from_today():
    today = datetime.now()
    assert production.parse_date("10") == datetime(today.year, today.month, 10)
    assert production.parse_date("2021-12") == datetime(2021, 12, today.day)
