"""Sorting keys for the events table: the order Python's own stable sort gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dacc_gui.events import query
from dacc_gui.events.query import argsort

# Text as the table's columns hold it: dates, names, accents, emoji, empty cells.
TEXT = st.one_of(st.sampled_from(["", "2022-03-0110:00:00.000Z", "2022-03-01", "faq", "é", "e", "z", "ü😀"]),
                 st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                         max_size=12))


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT, max_size=60), st.booleans(), st.sampled_from([1, 3, 50_000]))
def test_text_keys_sort_as_python_sorts_them(keys, descending, step):
    query.STEP, saved = step, query.STEP  # small chunks: the filling a chunk at a time is exercised
    try:
        order = argsort(keys, descending).tolist()
    finally:
        query.STEP = saved
    expected = sorted(range(len(keys)), key=lambda i: keys[i], reverse=descending)  # stable both ways
    assert order == expected


def test_keys_that_are_not_all_text_still_sort():
    assert argsort([True, False, True, False]).tolist() == [1, 3, 0, 2]
    # A lone surrogate cannot be UTF-8: numpy's own text order then.
    assert argsort(["b", "\ud800", "a"]).tolist() == [2, 0, 1]
