"""Saving events: lossless for every shape, rejected documents back at their
place, ACH output importable, atomic writes."""

from __future__ import annotations

import json

import pytest

from dacc_gui import DEFAULT_DOCTYPE
from dacc_gui.events.model import parse_event_date, rewrite_event_date
from dacc_gui.events.eventset import Shape
from dacc_gui.events.loader import load_file, parse_events
from dacc_gui.events.saver import documents, dumps, save_file, to_json_object


def ev(n: int, **fields) -> dict:
    # Key order differs from the model's field order on purpose.
    doc = {"_id": f"e{n}", "_rev": f"1-{n}", "type": "NavigationEvent", "target": "faq",
           "eventDate": f"2021-12-08T09:{n % 60:02d}:00.000Z", "aggregated": False,
           "cozyMetadata": {"doctypeVersion": 1, "createdByApp": "ecolyo", "updatedByApps": [{"slug": "ecolyo"}]}}
    doc.update(fields)
    return doc


DOCS = [ev(1), ev(2, type="ConnectionEvent", context="Mozilla/5.0 (iPhone) é ☃"), "not a doc",
        {"_id": "nt", "eventDate": "2021-12-08"}, ev(5, type="WeirdEvent", extra=[1, 2.5, None, {"x": True}])]


def rows(docs):
    out = [{"id": d.get("_id"), "key": d.get("_id"), "value": {"rev": d.get("_rev")}, "doc": d}
           if isinstance(d, dict) else d for d in docs]
    # A deleted document's row carries no doc.
    out.insert(3, {"id": "gone", "key": "gone", "value": {"rev": "2-g", "deleted": True}, "doc": None})
    return out


SOURCES = {
    Shape.ARRAY: lambda: DOCS,
    Shape.ACH: lambda: {DEFAULT_DOCTYPE: [{k: v for k, v in d.items() if k != "_rev"} if isinstance(d, dict) else d
                                          for d in DOCS]},
    Shape.FIND: lambda: {"docs": DOCS, "bookmark": "abc", "warning": "no matching index found"},
    Shape.ALL_DOCS: lambda: {"total_rows": 5, "offset": 0, "rows": rows(DOCS)},
    Shape.NORMAL_DOCS: lambda: {"rows": DOCS, "total_rows": 5, "bookmark": "g1AAAAB"},
    Shape.OWN: lambda: {"name": "case", "events": DOCS, "context": {"connectedFluids": ["water"]}, "note": "kept"},
}


def text_of(shape: Shape) -> str:
    if shape is Shape.JSONL:
        return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in DOCS)
    return json.dumps(SOURCES[shape](), ensure_ascii=False, indent=2) + "\n"


@pytest.mark.parametrize("shape", list(Shape))
def test_saving_unchanged_gives_back_the_same_file(tmp_path, shape):
    source = tmp_path / "in.json"
    source.write_text(text_of(shape), encoding="utf-8")
    loaded = load_file(source)
    assert loaded.shape is shape
    out = save_file(loaded, tmp_path / "out.json")
    # Same documents, same field order, same top-level keys: the same text.
    assert out.read_text(encoding="utf-8") == source.read_text(encoding="utf-8")
    again = load_file(out)
    assert documents(again) == documents(loaded)
    assert [list(e.to_document()) for e in again.events] == [list(e.to_document()) for e in loaded.events]


@pytest.mark.parametrize("shape", list(Shape))
def test_rejected_documents_are_written_back_at_their_place(shape):
    loaded = parse_events(text_of(shape))
    if shape is Shape.ALL_DOCS:
        assert [r.index for r in loaded.rejected] == [2, 3, 4]
        saved = to_json_object(loaded)["rows"]
        assert saved[2] == "not a doc" and saved[3]["id"] == "gone" and saved[3]["doc"] is None
        assert saved[4]["doc"] == {"_id": "nt", "eventDate": "2021-12-08"}
        assert [r["id"] for r in saved if isinstance(r, dict)] == ["e1", "e2", "gone", "nt", "e5"]
        return
    assert [r.index for r in loaded.rejected] == [2, 3]
    docs = documents(loaded)
    assert docs[2] == "not a doc" and docs[3] == {"_id": "nt", "eventDate": "2021-12-08"}
    assert [d["_id"] for d in docs if isinstance(d, dict) and d.get("type")] == ["e1", "e2", "e5"]


def test_an_edit_changes_only_the_edited_value_in_place(tmp_path):
    loaded = parse_events(text_of(Shape.ARRAY))
    first = loaded.events[0]
    moved = rewrite_event_date(first.eventDate, parse_event_date(first.eventDate).replace(day=1))
    loaded.events[0] = first.copy_with(eventDate=moved, aggregated=True)
    saved = json.loads(dumps(loaded))
    expected = dict(DOCS[0], eventDate="2021-12-01T09:01:00.000Z", aggregated=True)
    assert saved[0] == expected and list(saved[0]) == list(DOCS[0])
    assert saved[1:] == DOCS[1:]


@pytest.mark.parametrize("shape", [Shape.OWN, Shape.ARRAY, Shape.FIND, Shape.ALL_DOCS, Shape.NORMAL_DOCS, Shape.JSONL])
def test_ach_output_is_importable_with_rev_stripped(shape):
    loaded = parse_events(text_of(shape))
    value = to_json_object(loaded, Shape.ACH)
    assert list(value) == [DEFAULT_DOCTYPE]
    docs = value[DEFAULT_DOCTYPE]
    assert all("_rev" not in d for d in docs if isinstance(d, dict))
    assert [d["_id"] for d in docs if isinstance(d, dict) and "type" in d] == ["e1", "e2", "e5"]
    text = dumps(loaded, Shape.ACH)
    assert text.startswith('{\n  "com.grandlyon.ecolyo.usageevent": [\n    {')  # ACH's two-space indent
    assert parse_events(text).shape is Shape.ACH
    # The events loaded from it are the same, less their revision.
    assert [e.to_document() for e in parse_events(text).events] == [
        {k: v for k, v in e.to_document().items() if k != "_rev"} for e in loaded.events]


def test_converting_keeps_the_context_only_in_own_format():
    loaded = parse_events(text_of(Shape.OWN))
    array = to_json_object(loaded, Shape.ARRAY)
    assert isinstance(array, list) and len(array) == len(DOCS)
    own = to_json_object(parse_events(text_of(Shape.ARRAY)), Shape.OWN)
    assert list(own) == ["events"] and own["events"] == DOCS


def test_a_changed_context_is_written_out():
    loaded = parse_events(text_of(Shape.OWN))
    loaded.context = loaded.context.model_copy(update={"subscribedToMonthlyReport": True})
    value = to_json_object(loaded)
    assert list(value) == ["name", "events", "context", "note"]
    assert value["context"]["subscribedToMonthlyReport"] is True
    assert value["context"]["connectedFluids"] == ["water"]


def test_lone_surrogate_is_saved_escaped_and_reads_back(tmp_path):
    loaded = parse_events('[{"_id": "s", "type": "NavigationEvent", "target": "\\ud800 é"}]')
    out = save_file(loaded, tmp_path / "s.json")
    again = load_file(out)
    assert again.events[0].target == "\ud800 é"


def test_save_is_atomic_and_creates_folders(tmp_path, monkeypatch):
    loaded = parse_events(text_of(Shape.ARRAY))
    out = save_file(loaded, tmp_path / "a" / "b" / "out.json")
    assert out.exists() and list(out.parent.iterdir()) == [out]
    before = out.read_bytes()

    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr("dacc_gui.common.atomic.os.replace", boom)
    loaded.events.pop()
    with pytest.raises(OSError):
        save_file(loaded, out)
    # The old file is intact and no temporary file is left behind.
    assert out.read_bytes() == before and list(out.parent.iterdir()) == [out]
