"""Loading usage events: every export shape, and bad input reported with
what and where, never a traceback, nothing dropped."""

from __future__ import annotations

import json

import httpx
import pytest

from dacc_gui import DEFAULT_DOCTYPE
from dacc_gui.events.eventset import Shape
from dacc_gui.events.loader import Cancelled, LoadError, from_json, load_file, parse_events


def ev(n: int, **fields) -> dict:
    doc = {"_id": f"e{n}", "_rev": f"1-{n}", "type": "NavigationEvent",
           "eventDate": f"2021-12-08T09:{n % 60:02d}:00.000Z", "target": "faq", "aggregated": False}
    doc.update(fields)
    return doc


DOCS = [ev(1), ev(2, type="ConnectionEvent", context="desktop", cozyMetadata={"createdByApp": "ecolyo"}), ev(3)]


def ids(event_set):
    return [e.id for e in event_set.events]


# --- shapes -------------------------------------------------------------------

def test_plain_array():
    loaded = parse_events(json.dumps(DOCS))
    assert loaded.shape is Shape.ARRAY and ids(loaded) == ["e1", "e2", "e3"]
    assert loaded.context is None and loaded.rejected == []
    # Unknown fields are kept, in their place.
    assert loaded.events[1].to_document() == DOCS[1]


@pytest.mark.parametrize("doctype", [DEFAULT_DOCTYPE, "com.grandlyon.ecolyo.usageevents"])
def test_ach_export_of_either_spelling(doctype):
    loaded = parse_events(json.dumps({doctype: DOCS}, indent=2))
    assert loaded.shape is Shape.ACH and loaded.doctype == doctype and ids(loaded) == ["e1", "e2", "e3"]


def test_ach_export_with_the_doctype_given():
    other = "io.cozy.test.usage"
    text = json.dumps({other: DOCS, "io.cozy.other": []})
    with pytest.raises(LoadError, match="no events found"):
        parse_events(text)
    assert ids(parse_events(text, doctype=other)) == ["e1", "e2", "e3"]


def test_all_docs_rows_with_a_missing_doc_and_a_design_doc():
    rows = [{"id": d["_id"], "key": d["_id"], "value": {"rev": d["_rev"]}, "doc": d} for d in DOCS]
    rows.insert(1, {"id": "gone", "key": "gone", "value": {"rev": "2-x", "deleted": True}, "doc": None})
    design = {"_id": "_design/by_date", "_rev": "1-d", "views": {"by_date": {"map": "function(doc){}"}}}
    rows.append({"id": design["_id"], "key": design["_id"], "value": {"rev": "1-d"}, "doc": design})
    rows.append({"key": "nope", "error": "not_found"})
    loaded = parse_events(json.dumps({"total_rows": 6, "offset": 0, "rows": rows}))
    assert loaded.shape is Shape.ALL_DOCS and ids(loaded) == ["e1", "e2", "e3"]
    reasons = {r.index: r.describe() for r in loaded.rejected}
    assert set(reasons) == {1, 4, 5}
    assert "'gone'" in reasons[1] and "include_docs" in reasons[1]
    assert "design document" in reasons[4] and "_design/by_date" in reasons[4]
    assert "document #5" in reasons[5]
    assert loaded.extra["total_rows"] == 6


def test_the_stacks_normal_docs_answer(cozy_server, tmp_path):
    # The answer as the (fake) stack gives it, saved to a file as someone would.
    fake = cozy_server.fake
    fake.databases.clear()
    fake.put_docs(DOCS)
    answer = httpx.get(f"{fake.url}/data/{DEFAULT_DOCTYPE}/_normal_docs", params={"limit": 2},
                       headers={"Authorization": f"Bearer {fake.issue_token()}"})
    path = tmp_path / "normal_docs.json"
    path.write_text(answer.text)
    loaded = load_file(path)
    assert loaded.shape is Shape.NORMAL_DOCS and ids(loaded) == ["e1", "e2"] and loaded.rejected == []
    assert loaded.extra["total_rows"] == 3 and loaded.extra["bookmark"] == answer.json()["bookmark"]
    assert [e.rev for e in loaded.events] == [fake.doc("e1")["_rev"], fake.doc("e2")["_rev"]]
    # An empty page is the same shape; _all_docs rows without their doc are not documents.
    assert parse_events('{"rows": [], "total_rows": 3, "bookmark": ""}').shape is Shape.NORMAL_DOCS
    rows = [{"id": "e1", "key": "e1", "value": {"rev": "1-1"}}]
    bare = parse_events(json.dumps({"total_rows": 1, "offset": 0, "rows": rows}))
    assert bare.shape is Shape.ALL_DOCS and "include_docs" in bare.rejected[0].reason


def test_mango_find_answer():
    loaded = parse_events(json.dumps({"docs": DOCS, "bookmark": "g1AAAA", "next": False}))
    assert loaded.shape is Shape.FIND and ids(loaded) == ["e1", "e2", "e3"]
    assert loaded.extra["bookmark"] == "g1AAAA"


def test_own_format_with_its_context():
    loaded = parse_events(json.dumps({"events": DOCS, "context": {"connectedFluids": ["gas"], "monthlyAnalysisDay": 5}}))
    assert loaded.shape is Shape.OWN and ids(loaded) == ["e1", "e2", "e3"]
    assert loaded.context.connectedFluids == ["gas"] and loaded.context.monthlyAnalysisDay == 5


def test_own_format_with_a_bad_context_names_the_field():
    with pytest.raises(LoadError, match=r"context\.connectedFluids"):
        parse_events(json.dumps({"events": DOCS, "context": {"connectedFluids": ["fuel"]}}), name="x.json")
    with pytest.raises(LoadError, match="context"):
        parse_events(json.dumps({"events": DOCS, "context": [1]}))


def test_json_lines():
    text = "\r\n".join(json.dumps(d) for d in DOCS) + "\r\n\n"
    loaded = parse_events(text)
    assert loaded.shape is Shape.JSONL and ids(loaded) == ["e1", "e2", "e3"]


def test_json_lines_keep_line_separators_inside_strings():
    docs = [ev(1, target="a\u2028b\x0cc\u0085d"), ev(2)]
    text = "\n".join(json.dumps(d, ensure_ascii=False) for d in docs)
    loaded = parse_events(text)
    assert [e.to_document() for e in loaded.events] == docs


def test_json_lines_bad_line_named():
    text = json.dumps(DOCS[0]) + "\n" + json.dumps(DOCS[1]) + "\n{\"type\": oops}\n"
    with pytest.raises(LoadError, match=r"line 3, column 10"):
        parse_events(text, name="events.jsonl")


def test_byte_order_mark_is_ignored():
    assert ids(parse_events(b"\xef\xbb\xbf" + json.dumps(DOCS).encode())) == ["e1", "e2", "e3"]


# --- files that cannot be read at all ------------------------------------------

def test_syntax_error_names_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[\n  {"type": "NavigationEvent"},\n  {"type" "ConnectionEvent"}\n]\n')
    with pytest.raises(LoadError) as err:
        load_file(path)
    message = str(err.value)
    assert str(path) in message and "line 3, column 11" in message


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"  \n ", "empty"),
    (b"\xff\xfe[]", "not UTF-8"),
    (b"42", "got a number"),
    (b'"events"', "got a string"),
    (b"null", "got null"),
    (b'{"foo": {}, "bar": 1}', "keys found: foo, bar"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"type": "X"}\n' + b"[" * 100_000 + b"]" * 100_000 + b"\n", "nested too deeply at line 2"),
])
def test_unreadable_sources_say_why(data, words):
    with pytest.raises(LoadError, match=words):
        parse_events(data, name="in.json")


def test_missing_file_named(tmp_path):
    with pytest.raises(LoadError, match="nothere.json: cannot read"):
        load_file(tmp_path / "nothere.json")


# --- bad documents --------------------------------------------------------------

def test_bad_documents_named_by_index_and_id_with_the_problem():
    docs = [ev(1), "hello", {"_id": "noType", "eventDate": "2021-12-08"}, ev(4, aggregated="yes"),
            {"_id": 12, "type": "NavigationEvent"}, [ev(5)], ev(6)]
    loaded = from_json(docs)
    assert ids(loaded) == ["e1", "e6"]
    found = {r.index: r.describe() for r in loaded.rejected}
    assert set(found) == {1, 2, 3, 4, 5}
    assert found[1] == "document #1: not an event: expected an object, got a string"
    assert "document #2 (_id 'noType')" in found[2] and "type: field required" in found[2]
    assert "(_id 'e4')" in found[3] and "aggregated" in found[3] and "boolean" in found[3]
    assert "_id" in found[4]
    assert "got an array" in found[5]
    assert [r.raw for r in loaded.rejected] == [docs[i] for i in (1, 2, 3, 4, 5)]


def test_unknown_type_and_bad_date_are_kept_and_flagged():
    docs = [ev(1), ev(2, type="ThemeSwitchEvent"), ev(3, eventDate="2021-11-31T10:00:00.000Z"),
            ev(4, eventDate="yesterday"), ev(5, eventDate=None), ev(6, eventDate="2021-12-08 10:00")]
    loaded = from_json(docs)
    assert ids(loaded) == ["e1", "e2", "e3", "e4", "e5", "e6"]
    flagged = {e.id: why for e, why in loaded.flagged()}
    assert set(flagged) == {"e2", "e3", "e4", "e5"}
    assert "unknown type 'ThemeSwitchEvent'" in flagged["e2"]
    assert "2021-11-31" in flagged["e3"] and "yesterday" in flagged["e4"]
    assert any("e2" in line and "kept" in line for line in loaded.problems())


def test_ten_bad_among_ten_thousand_good():
    docs = [ev(n) for n in range(10_000)]
    bad_at = [17, 500, 1234, 2000, 3333, 5000, 6001, 7777, 9000, 9999]
    for k, pos in enumerate(bad_at):
        docs.insert(pos, {"_id": f"bad{k}", "eventDate": "2021-12-08"} if k % 2 else f"garbage {k}")
    loaded = parse_events(json.dumps(docs))
    assert len(loaded.events) == 10_000
    assert ids(loaded) == [f"e{n}" for n in range(10_000)]
    assert [r.index for r in loaded.rejected] == bad_at
    assert len(loaded.problems()) == 10


def test_plain_id_and_rev_keys_are_data_not_identity():
    doc = {"_id": "a", "id": "b", "rev": "r", "_rev": "1-s", "type": "NavigationEvent"}
    loaded = from_json([doc])
    event = loaded.events[0]
    assert (event.id, event.rev) == ("a", "1-s")
    assert event.to_document() == doc and list(event.to_document()) == list(doc)
    only = from_json([{"id": "x", "type": "NavigationEvent"}]).events[0]
    assert only.id is None and only.to_document() == {"id": "x", "type": "NavigationEvent"}


# --- progress and cancel ---------------------------------------------------------

def test_progress_reaches_the_total_and_cancel_stops():
    docs = json.dumps([ev(n) for n in range(45_000)])
    seen = []
    parse_events(docs, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (45_000, 45_000) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(Cancelled):
        parse_events(docs, cancelled=cancelled)
