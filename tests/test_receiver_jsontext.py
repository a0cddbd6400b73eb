"""The receiver's JSON text: the same as json's where json works, and also where it cannot."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dacc_gui.receiver import jsontext

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
values = st.recursive(scalars, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=30)


@given(values)
def test_the_flat_encoder_and_decoder_agree_with_json(value):
    text = json.dumps(value, ensure_ascii=False)
    assert jsontext._dumps_flat(value, keep_nan=False) == text
    assert jsontext._loads_flat(text) == value
    assert jsontext._loads_flat(json.dumps(value, indent=2)) == value


def test_deep_nesting_goes_in_and_out():
    text = '{"a": ' * 3000 + "[1, null]" + "}" * 3000
    value = jsontext.loads(text)
    assert jsontext.dumps(value) == text


def test_nan_and_infinity():
    assert jsontext.dumps({"x": math.nan, "y": [math.inf, -math.inf]}) == '{"x": "nan", "y": ["inf", "-inf"]}'
    kept = jsontext.dumps({"x": math.nan, "y": -math.inf}, keep_nan=True)
    assert kept == '{"x": NaN, "y": -Infinity}'
    back = jsontext._loads_flat(kept)
    assert math.isnan(back["x"]) and back["y"] == -math.inf


def test_lone_surrogates_become_escapes_that_read_back():
    text = jsontext.dumps({"name": "a\ud800b", "ok": "é"})
    assert text == '{"name": "a\\ud800b", "ok": "é"}'
    text.encode("utf-8")
    assert json.loads(text) == {"name": "a\ud800b", "ok": "é"}


@pytest.mark.parametrize("bad", ["[1,]", "{", "[1 2]", '{"a" 1}', "[1] x", ""])
def test_the_flat_decoder_refuses_what_is_not_json(bad):
    with pytest.raises(ValueError):
        jsontext._loads_flat(bad)


def test_a_circular_value_is_an_error_not_an_endless_loop():
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="ircular"):
        jsontext.dumps(loop)
