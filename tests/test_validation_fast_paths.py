"""The shortcuts a preview's tens of thousands of checks take give the answers
of the long way: a set's duplicate key, and the parse of a plain YYYY-MM-DD."""

from __future__ import annotations

from datetime import datetime

import pytest
from dateutil import parser as dateparser
from hypothesis import given, settings, strategies as st

from dacc_gui.dacc import production
from dacc_gui.dacc.measures import load_catalog
from dacc_gui.dacc.production import answer_measure
from dacc_gui.dacc.validation import (
    Validation, _as_sent, _set_key, duplicate_key, validate_all, validation_of)

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


# Measures near the rulebook's shape, and each way one can leave it.
catalog = load_catalog()
names = st.sampled_from([d.name for d in catalog.definitions] + ["no-such-measure"]) | st.sampled_from([1, None])
near_values = (st.integers(-10 ** 10 - 2, -10 ** 10 + 2) | st.integers(10 ** 10 - 2, 10 ** 10 + 2)
               | st.integers(-5, 100_000) | st.sampled_from([True, 1.5, 2.0, "3", None, float("nan")]))
near_days = days | st.sampled_from(["2021-12-08", "2021-12-01", "2021-12-06", "2021-01-01", "2021-12-08T10:00:00",
                                    "10", "2021-12", "２０２１-12-08", "2021-12-08 ", "0000-01-01"]) | st.just(8)
group_keys = st.sampled_from(sorted({k for d in catalog.definitions for k in d.group_keys() if k}) + ["other"])
group_values = st.sampled_from(["faq", "", "a\x00b", "mobile"]) | st.sampled_from([1, None, True, ["faq"]])
near_groups = (st.dictionaries(group_keys, group_values, min_size=1, max_size=2)
               | st.sampled_from([None, {}, "faq", 1]))


def as_sent(definition, day: str, value: int) -> dict:
    """A measure as the rules make it."""
    measure = {"createdBy": "ecolyo", "measureName": definition.name, "startDate": day, "value": value}
    measure.update({f"group{n}": {k: "faq"} for n, k in enumerate(definition.group_keys(), start=1) if k})
    return measure


CHANGES = ("createdBy", "aggregationPeriod", "value", "startDate", "measureName", "a field missing",
           "a group value", "a group's other key", "a group's other key first", "a group", "a group gone")


def change(measure: dict, what: str, draw) -> None:
    """One way to leave the rulebook's shape."""
    groups = [k for k in measure if k.startswith("group")]
    group = measure[groups[0]] if groups else None
    if what == "createdBy":
        measure["createdBy"] = draw(st.sampled_from(["other", None, 1, "x" * 101]))
    elif what == "aggregationPeriod":
        measure["aggregationPeriod"] = draw(st.sampled_from(["day", "x" * 101, {}]))
    elif what == "value":
        measure["value"] = draw(near_values)
    elif what == "startDate":
        measure["startDate"] = draw(near_days)
    elif what == "measureName":
        measure["measureName"] = draw(names)
    elif what == "a field missing":
        measure.pop(draw(st.sampled_from(["createdBy", "value", "startDate", "measureName"])), None)
    elif what == "a group value" and isinstance(group, dict) and group:
        group[next(iter(group))] = draw(group_values)
    elif what == "a group's other key" and isinstance(group, dict):
        group[draw(group_keys)] = draw(group_values)
    elif what == "a group's other key first" and isinstance(group, dict):
        measure[groups[0]] = {draw(group_keys): draw(group_values), **group}
    elif what == "a group":
        measure[f"group{draw(st.integers(1, 3))}"] = draw(near_groups)
    elif what == "a group gone" and groups:
        del measure[groups[0]]


@st.composite
def near_measures(draw):
    """A measure as the rules make it, changed in none, one or two ways."""
    definition = draw(st.sampled_from(catalog.definitions))
    day = draw(st.sampled_from(["2021-12-08", "2021-12-01", "2021-12-06", "2021-01-01", "2024-02-29"]))
    measure = as_sent(definition, day, draw(st.integers(0, 100_000)))
    for what in draw(st.lists(st.sampled_from(CHANGES), max_size=2)):
        change(measure, what, draw)
    return measure


@settings(max_examples=1500, deadline=None)
@given(near_measures())
def test_the_check_of_a_measure_as_sent_is_the_full_steps_check(measure):
    quick = _as_sent(measure, catalog)
    if quick is not None:
        assert quick == validation_of(answer_measure(measure, catalog), catalog)


def test_the_rulebooks_measures_take_the_short_way_and_keep_their_warnings():
    month = {"createdBy": "ecolyo", "measureName": "konnector-event-daily", "startDate": "2021-12-08", "value": 1,
             "group1": {"slug": "enedis"}, "group2": {"event_type": "refresh"}, "group3": {"status": "success"}}
    assert _as_sent(month, catalog) == Validation(201)
    session = {"createdBy": "ecolyo", "measureName": "session-duration", "startDate": "2021-12-08", "value": 30,
               "group1": {"number_pages": "2"}, "group2": {"session_type": "any"}}
    assert _as_sent(session, catalog) == Validation(201)
    # A monthly measure on a day other than the 1st: the period's warning, as the full steps give it.
    monthly = [d for d in catalog.definitions if d.aggregationPeriod == "month"][0]
    measure = {"createdBy": "ecolyo", "measureName": monthly.name, "startDate": "2021-12-08", "value": 3}
    measure.update({f"group{n}": {k: "x"} for n, k in enumerate(monthly.group_keys(), start=1) if k})
    assert _as_sent(measure, catalog).warnings == [
        "startDate 2021-12-08 is not the start of its month period (2021-12-01)"]
    # Left to the full steps: a float value, a time of day, a group with a number.
    assert _as_sent(dict(month, value=1.5), catalog) is None
    assert _as_sent(dict(month, startDate="2021-12-08T00:00:00"), catalog) is None
    assert _as_sent(dict(month, group1={"slug": 1}), catalog) is None
