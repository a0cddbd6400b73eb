"""The example exports in resources/examples say what their README says."""

from __future__ import annotations

from pathlib import Path

import pytest

from dacc_gui.events.loader import LoadError, load_file

EXAMPLES = Path(__file__).parents[1] / "resources" / "examples"


@pytest.mark.parametrize("name, said", [
    ("empty.json", "the file is empty"),
    ("truncated.json", "invalid JSON at line 29"),
    ("not-json.json", "invalid JSON at line 1, column 1"),
    ("latin1.json", "not UTF-8"),
    ("no-events-key.json", "no events found"),
    ("rows-is-a-string.json", "rows"),
    ("deep-nesting.json", "nested too deeply"),
    ("huge-integer.json", "an integer of 5000 digits"),
])
def test_each_broken_export_is_refused_naming_the_file(name, said):
    with pytest.raises(LoadError) as caught:
        load_file(EXAMPLES / "bad" / name)
    assert str(caught.value).startswith(str(EXAMPLES / "bad" / name) + ":")
    assert said in str(caught.value)


def test_unreadable_dates_and_types_load_flagged():
    event_set = load_file(EXAMPLES / "bad" / "unreadable-dates-and-types.json")
    problems = [p for _, p in event_set.flagged()]
    assert len(event_set.events) == 3 and len(problems) == 3
    assert sum("unknown type" in p for p in problems) == 1


@pytest.mark.parametrize("name, events", [
    ("week-own.json", 53), ("week-ach.json", 53), ("week-all-docs.json", 53), ("population-combined.json", 141),
])
def test_the_good_exports_load_whole(name, events):
    event_set = load_file(EXAMPLES / name)
    assert len(event_set.events) == events and event_set.rejected == []
