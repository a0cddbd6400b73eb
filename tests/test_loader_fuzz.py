"""Property tests: whatever it is fed, the loader raises nothing but
``LoadError``; whatever it loads, saving and loading again loses nothing."""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dacc_gui import DEFAULT_DOCTYPE
from dacc_gui.events.eventset import EventSet, Shape
from dacc_gui.events.loader import LoadError, from_json, parse_events
from dacc_gui.events.saver import documents, dumps, encode, to_json_object
from tests.strategies import contexts, event_documents, event_like, exports, json_values, odd_contexts

SETTINGS = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")), deadline=None, suppress_health_check=[HealthCheck.too_slow])

documents_ = st.lists(event_like | json_values, max_size=6)
# Anything at all, and exports of real-looking events in every shape.
tops = (
    exports()
    | documents_
    | st.builds(lambda d, c: {"events": d, "context": c}, documents_, contexts | odd_contexts)
    | st.builds(lambda d: {"rows": [{"id": "r", "doc": x} if i % 2 else x for i, x in enumerate(d)]}, documents_)
    | st.builds(lambda d: {"docs": d, "bookmark": "b"}, documents_)
    | st.builds(lambda d: {"rows": d, "total_rows": len(d), "bookmark": "b"}, documents_)
    | st.builds(lambda d: {DEFAULT_DOCTYPE: d}, documents_)
    | json_values
)


def _loads_or_load_error(load, value):
    try:
        result = load(value)
    except LoadError as exc:
        assert str(exc)
        return None
    assert isinstance(result, EventSet)
    return result


@SETTINGS
@given(tops)
def test_any_json_value_loads_or_raises_load_error(value):
    result = _loads_or_load_error(from_json, value)
    event("load: " + ("error" if result is None else "events" if result.events else "no events"))
    if result is None:
        return
    # Every document is either an event or rejected with a reason: none dropped.
    assert all(r.reason for r in result.rejected)
    assert len(result.rejected) + len(result.events) == _document_count(value, result.shape)
    for loaded in result.events:
        loaded.problem()  # never raises


def _document_count(value, shape):
    if shape is Shape.ARRAY:
        return len(value)
    key = {Shape.OWN: "events", Shape.ALL_DOCS: "rows", Shape.NORMAL_DOCS: "rows", Shape.FIND: "docs"}.get(shape)
    if key is None:
        key = next(k for k, v in value.items() if isinstance(v, list) and (k == DEFAULT_DOCTYPE or "." in k))
    return len(value[key])


@SETTINGS
@given(exports())
def test_saving_what_was_loaded_loses_nothing(value):
    loaded = _loads_or_load_error(from_json, value)
    event("round trip: " + ("load error" if loaded is None else "events" if loaded.events else "no events"))
    if loaded is None:
        return
    text = dumps(loaded)
    again = parse_events(text)
    assert again.shape is loaded.shape
    assert documents(again) == documents(loaded)
    assert [list(e.to_document()) for e in again.events] == [list(e.to_document()) for e in loaded.events]
    if loaded.shape is not Shape.ALL_DOCS:
        # Documents come back exactly as they were read (rows of _all_docs are rebuilt).
        assert documents(loaded) == _source_documents(value, loaded.shape)


def _source_documents(value, shape):
    if shape is Shape.ARRAY:
        return value
    key = {Shape.OWN: "events", Shape.NORMAL_DOCS: "rows", Shape.FIND: "docs"}.get(shape)
    if key is None:
        key = next(k for k, v in value.items() if isinstance(v, list) and (k == DEFAULT_DOCTYPE or "." in k))
    return value[key]


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes_load_or_raise_load_error(data):
    _loads_or_load_error(parse_events, data)


@SETTINGS
@given(st.text(max_size=300))
def test_any_text_loads_or_raises_load_error(text):
    _loads_or_load_error(parse_events, text)


@SETTINGS
@given(tops, st.sampled_from(["json", "jsonl", "cut"]))
def test_any_export_text_loads_or_raises_load_error(value, form):
    if form == "json":
        text = json.dumps(value, ensure_ascii=False)
    elif form == "jsonl":
        text = "\n".join(json.dumps(v) for v in (value if isinstance(value, list) else [value]))
    else:  # a file cut short by a failed copy
        full = json.dumps(value, indent=2)
        text = full[: len(full) // 2]
    _loads_or_load_error(parse_events, text)


@SETTINGS
@given(event_documents())  # odd values included: see the strategy
def test_events_built_without_validation_are_what_pydantic_builds(doc):
    from pydantic import ValidationError

    from dacc_gui.events.model import UsageEvent, _plain_event

    fast = _plain_event(doc)
    try:
        slow = UsageEvent.model_validate(doc, by_alias=True, by_name=False)
    except ValidationError:
        event("fast path: pydantic refuses")
        assert fast is None
        return
    if fast is None:  # a value pydantic accepts but the plain path leaves to it
        event("fast path: left to pydantic")
        return
    event("fast path: compared")
    assert fast.__dict__ == slow.__dict__ and list(fast.__dict__) == list(slow.__dict__)
    assert fast.__pydantic_extra__ == slow.__pydantic_extra__
    assert list(fast.__pydantic_extra__) == list(slow.__pydantic_extra__)
    assert fast.model_fields_set == set()  # the fields assigned since reading: none yet
    assert fast.to_document() == doc and list(fast.to_document()) == list(doc)
    assert fast.copy_with(aggregated=True).to_document() == {**doc, "aggregated": True}


@SETTINGS
@given(st.lists(event_like, max_size=8))
def test_a_reader_builds_what_from_document_builds(docs):
    from pydantic import ValidationError

    from dacc_gui.events.model import Reader, UsageEvent

    reader = Reader()  # one reader for all: shapes learnt on one document serve the next
    for doc in docs + docs:
        try:
            expected = UsageEvent.from_document(doc)
        except ValidationError as exc:
            try:
                reader.event(doc)
            except ValidationError as again:
                assert again.errors() == exc.errors()
            else:
                raise AssertionError("the reader built an event pydantic refuses")
            continue
        built = reader.event(doc)
        assert built == expected and dict(vars(built)) == dict(vars(expected))
        assert [type(v) for v in vars(built).values()] == [type(v) for v in vars(expected).values()]
        assert built.to_document() == doc and list(built.to_document()) == list(doc)
        assert built.model_fields_set == set()


def _typed(value):
    if isinstance(value, dict):
        return "object", [(k, _typed(v)) for k, v in value.items()]
    if isinstance(value, list):
        return "array", [_typed(v) for v in value]
    if isinstance(value, float):
        return "float", repr(value)
    return type(value).__name__, value


def _has_float(value):
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return isinstance(value, float)


@SETTINGS
@given(tops, st.sampled_from(list(Shape)))
def test_saved_text_is_what_the_standard_library_wrote(value, shape):
    loaded = _loads_or_load_error(from_json, value)
    if loaded is None:
        return
    written = to_json_object(loaded, shape)
    if shape is Shape.JSONL:
        expected = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in written)
    else:
        expected = json.dumps(written, ensure_ascii=False, indent=2) + "\n"
    text = dumps(loaded, shape)
    assert encode(loaded, shape) == text.encode("utf-8")
    if not _has_float(written):
        assert text == expected
    else:  # a float may be spelt otherwise (1e16 for 1e+16): the same number
        def parse(t):
            return [json.loads(line) for line in t.split("\n")[:-1]] if shape is Shape.JSONL else json.loads(t)
        assert _typed(parse(text)) == _typed(parse(expected))
        assert text.count("\n") == expected.count("\n")  # laid out the same
