"""JSON text read the fast way gives what the standard library gives: the same
values (types, float bits, key order) or a refusal exactly where ``json.loads``
refuses, for text that is JSON, nearly JSON, or what Python adds to JSON."""

from __future__ import annotations

import json
import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dacc_gui.common import jsontext
from dacc_gui.common.jsontext import JSONTextError

FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")) * 3, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


class _Refused(Exception):
    pass


def _refuse(token):
    raise _Refused(token)


def _finite(token):
    value = float(token)
    if math.isinf(value):
        raise _Refused(token)
    return value


def stdlib(text, finite):
    """What ``json.loads`` makes of the text: ("value", v) or ("refused",)."""
    hooks = {"parse_constant": _refuse, "parse_float": _finite} if finite else {}
    try:
        return "value", json.loads(text, **hooks)
    except (ValueError, RecursionError, _Refused):
        return ("refused",)


def ours(text, finite):
    try:
        return "value", jsontext.loads(text, finite=finite)
    except JSONTextError:
        return ("refused",)


def typed(value):
    """A value with its types spelt out: 1, 1.0 and True differ, so do 0.0 and -0.0, and key orders."""
    if isinstance(value, dict):
        return "object", [(k, typed(v)) for k, v in value.items()]
    if isinstance(value, list):
        return "array", [typed(v) for v in value]
    if isinstance(value, float):
        return "float", repr(value)
    return type(value).__name__, value


def outcome(result):
    return (result[0], typed(result[1])) if result[0] == "value" else result


# JSON text, mostly valid, with what Python reads beyond JSON and, one time in
# four, a fault (a near miss of a token, a cut, trailing text) somewhere.
digits = st.text("0123456789", min_size=1, max_size=20)
numbers = st.builds(
    lambda sign, whole, frac, exp: sign + whole + frac + exp,
    st.sampled_from(["", "", "-"]),
    st.just("0") | digits.map(lambda d: "1" + d) | st.sampled_from(["7", "9" * 4300, "8" * 4301, "18446744073709551616"]),
    st.just("") | digits.map(lambda d: "." + d),
    st.just("") | st.tuples(st.sampled_from(["e", "E"]), st.sampled_from(["", "+", "-"]),
                            st.text("0123456789", min_size=1, max_size=3)).map("".join),
)
near_numbers = st.sampled_from(["+1", "01", "00", "1.", ".5", "1e", "1e+", "-", "--1", "0x1F", "1_000"])
escapes = st.sampled_from(['\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u00e9", "\\u0000",
                           "\\ud83d\\ude00", "\\ud800", "\\udc00x", "\\uDFFF\\uD800"])
near_escapes = st.sampled_from(["\\x", "\\u12", "\\", "\x00", "\x1f", "\n"])
chars = st.characters(blacklist_categories=("Cs",), blacklist_characters='"\\', min_codepoint=0x20) | st.sampled_from(
    ["\x7f", "\u2028", "é", "😀", "\ufeff"])
strings = st.lists(chars | chars | escapes, max_size=6).map(lambda parts: '"' + "".join(parts) + '"')
near_strings = st.tuples(strings, near_escapes).map(lambda t: t[0][:-1] + t[1] + '"')
constants = st.sampled_from(["true", "false", "null", "NaN", "Infinity", "-Infinity", "1e999", "-1e400", "1e-400",
                             "2.2250738585072011e-308", "9007199254740993", "1.7976931348623157e308", "-0", "-0.0"])
near_constants = st.sampled_from(["nul", "True", "nan", "infinity", "-NaN", "+Infinity"])
spaces = st.sampled_from(["", "", "", " ", "\n", "\t", "\r\n"])
valid_scalars = numbers | numbers | strings | strings | constants
scalars = st.one_of(*[valid_scalars] * 6, near_numbers, near_strings, near_constants)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(st.tuples(spaces, inner), max_size=4).map(lambda items: "[" + ",".join(s + v for s, v in items) + "]")
        | st.lists(st.tuples(strings, spaces, inner), max_size=4).map(
            lambda items: "{" + ", ".join(k + ":" + s + v for k, s, v in items) + "}")
    ),
    max_leaves=12,
)
faults = st.sampled_from(["cut", "junk", "another", "comma", "colon", "space"])


def _fault(text, fault, at):
    n = at % (len(text) + 1)
    if fault == "cut":
        return text[:n]
    if fault == "junk":
        return text + " x"
    if fault == "another":  # two values: what JSON Lines look like
        return text + "\n" + text
    if fault == "comma":
        return text[:n] + "," + text[n:]
    if fault == "colon":
        return text.replace(":", "", 1)
    return text[:n] + "\x0c" + text[n:]  # whitespace Python does not read as JSON's


texts = st.one_of(
    *[st.tuples(spaces, values, spaces).map("".join)] * 3,
    st.builds(_fault, values, faults, st.integers(0, 10_000)),
)


@FUZZ
@given(texts, st.booleans())
def test_json_like_text_reads_as_the_standard_library_reads_it(text, finite):
    assert outcome(ours(text, finite)) == outcome(stdlib(text, finite))


@FUZZ
@given(texts, st.booleans())
def test_utf8_bytes_read_as_their_text(text, finite):
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate drawn raw has no UTF-8 form
        return
    assert outcome(ours(data, finite)) == outcome(stdlib(text, finite))


@FUZZ
@given(st.text(max_size=60), st.booleans())
def test_any_text_reads_as_the_standard_library_reads_it(text, finite):
    assert outcome(ours(text, finite)) == outcome(stdlib(text, finite))


def test_a_syntax_error_names_line_and_column_as_the_standard_library_finds_them():
    text = '{\n  "a": [1, 2,\n  "b": 3\n}'
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(JSONTextError) as err:
        jsontext.loads(text.encode())
    assert (err.value.lineno, err.value.colno, err.value.reason) == (
        expected.value.lineno, expected.value.colno, expected.value.msg)
    assert str(err.value) == f"invalid JSON at line 3, column 6: {expected.value.msg}"


def test_bytes_that_are_not_utf8_are_refused_naming_the_byte():
    with pytest.raises(JSONTextError) as err:
        jsontext.loads(b'["ok", "\xe9t\xe9"]')
    assert str(err.value) == "invalid JSON: not UTF-8 text (byte 8)"


def test_what_python_adds_to_json_reads_unless_finite_is_asked():
    assert math.isnan(jsontext.loads("[NaN]")[0]) and jsontext.loads("1e999") == math.inf
    assert jsontext.loads('"\\ud800"') == "\ud800"
    with pytest.raises(JSONTextError):
        jsontext.loads("[NaN]", finite=True)
