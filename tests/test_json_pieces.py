"""Parsing by pieces: the same value and the same errors as ``json.loads``, Cancel asked often,
and what was read let go of when cancelled."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dacc_gui.common import json_pieces
from dacc_gui.common.cancel import Cancelled
from dacc_gui.common.json_pieces import NotInPieces, loads, loads_utf8

SETTINGS = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | \
    st.text(alphabet=st.sampled_from('ab}{],[ :"\\\u00e9\u2028'), max_size=6)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner,
                                                                                         max_size=4), max_leaves=12)
objects = st.dictionaries(st.text(max_size=5), values, max_size=5)
documents = st.lists(objects, max_size=30) | st.fixed_dictionaries(
    {"events": st.lists(objects, max_size=30)}, optional={"context": values, "count": st.integers()})


@SETTINGS
@given(documents, st.integers(1, 64), st.sampled_from([None, 0, 2]))
def test_the_same_value_as_json_loads(document, piece, indent):
    text = json.dumps(document, indent=indent, ensure_ascii=False)
    assert loads(text, piece=piece) == json.loads(text)
    try:
        assert loads_utf8(text.encode("utf-8"), piece=piece) == json.loads(text)
    except NotInPieces:
        pass  # a shape it leaves to loads: allowed, never a wrong value


@SETTINGS
@given(documents, st.integers(1, 64), st.data())
def test_the_same_error_as_json_loads(document, piece, data):
    text = json.dumps(document)
    cut = data.draw(st.integers(0, max(0, len(text) - 1)))
    broken = text[:cut] + data.draw(st.sampled_from(["", ",", "}", "]", " x", ",]"])) + text[cut + 1:]
    try:
        expected = json.loads(broken)
    except json.JSONDecodeError as exc:
        with pytest.raises(json.JSONDecodeError) as raised:
            loads(broken, piece=piece)
        assert (raised.value.msg, raised.value.pos) == (exc.msg, exc.pos)
        with pytest.raises((NotInPieces, json.JSONDecodeError)):
            loads_utf8(broken.encode("utf-8"), piece=piece)
    else:
        assert loads(broken, piece=piece) == expected


def test_a_bom_and_non_ascii_text():
    text = json.dumps({"events": [{"target": "é" * 50, "n": n} for n in range(200)]}, ensure_ascii=False)
    assert loads_utf8(b"\xef\xbb\xbf" + text.encode("utf-8"), piece=100) == json.loads(text)
    with pytest.raises(NotInPieces):  # not UTF-8: the caller decodes, and says where it is not
        loads_utf8(text.encode("latin-1"), piece=100)


def events_text(n: int) -> str:
    return json.dumps([{"_id": f"e{i}", "type": "NavigationEvent", "eventDate": "2021-12-08T10:00:00.000Z",
                        "target": "consumption"} for i in range(n)])


@pytest.mark.parametrize("reader", ["text", "bytes"])
def test_cancel_is_asked_between_pieces_and_stops_the_parse(reader, monkeypatch):
    text = events_text(20_000)  # about 1.8 MB
    monkeypatch.setattr(json_pieces, "PIECE", 1 << 14)
    parse = (lambda c: loads(text, c, piece=1 << 14)) if reader == "text" else \
        (lambda c: loads_utf8(text.encode(), c, piece=1 << 14))
    asked = []
    parse(lambda: asked.append(1) or False)
    assert len(asked) >= len(text) // (1 << 14) - 1  # at least once a piece: a few milliseconds apart
    built = []

    class Spy(json_pieces._Reader if reader == "text" else json_pieces._BytesReader):
        def check(self):
            built[:] = self.building
            super().check()

    monkeypatch.setattr(json_pieces, "_Reader" if reader == "text" else "_BytesReader", Spy)
    calls = []
    with pytest.raises(Cancelled):
        parse(lambda: calls.append(1) or len(calls) >= 5)
    assert len(calls) == 5  # it stopped at the first look after Cancel
    assert built and all(part == [] for part in built)  # what was read was let go of
