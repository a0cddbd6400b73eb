"""``dacc-gui pull``, ``save`` and ``push`` against the fake stack: outputs, summaries, exit codes."""

from __future__ import annotations

import json
import socket
import webbrowser

import httpx
import pytest

from dacc_gui.cli.main import main
from tests.fake_cozy import USAGE_DOCTYPE, generate_events

GOOD = {"createdBy": "ecolyo", "measureName": "connection-count-daily", "startDate": "2022-01-03", "value": 4,
        "group1": {"device": "desktop"}}
BAD = {"createdBy": "ecolyo", "measureName": "no-such-measure", "startDate": "2022-01-03", "value": 1}


@pytest.fixture
def fake(cozy_server, monkeypatch):
    monkeypatch.delenv("DACC_GUI_COZY_TOKEN", raising=False)
    fake = cozy_server.fake
    fake.databases.clear()
    fake.requests.clear()
    fake.put_docs(generate_events(120, seed=21))
    return fake


@pytest.fixture
def token_args(fake, tmp_path):
    token = fake.issue_token()
    path = tmp_path / "token.txt"
    path.write_text(token + "\n")
    return ["--url", fake.url, "--token-file", str(path), "--backoff", "0.001"], token


def pull(tmp_path, args, name="events.json"):
    out = tmp_path / name
    assert main(["pull", *args, "-o", str(out)]) == 0
    return out


def test_pull_writes_the_events_with_their_rev_and_never_prints_the_token(fake, token_args, tmp_path, capsys):
    args, token = token_args
    out = pull(tmp_path, args)
    data = json.loads(out.read_text())
    assert sorted(d["_id"] for d in data["events"]) == sorted(fake.docs())
    assert all(d["_rev"] == fake.doc(d["_id"])["_rev"] for d in data["events"])
    printed = capsys.readouterr()
    assert "120 events" in printed.out
    assert token not in printed.out + printed.err


def test_the_token_may_come_from_the_environment(fake, tmp_path, monkeypatch):
    monkeypatch.setenv("DACC_GUI_COZY_TOKEN", fake.issue_token())
    pull(tmp_path, ["--url", fake.url])


def test_no_token_is_bad_usage(fake, tmp_path, capsys):
    assert main(["pull", "--url", fake.url, "-o", str(tmp_path / "x.json")]) == 2
    assert "no token" in capsys.readouterr().err


def test_an_unreachable_cozy_is_a_failure_not_a_traceback(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DACC_GUI_COZY_TOKEN", "t")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = main(["pull", "--url", f"http://127.0.0.1:{port}", "--retries", "1", "--backoff", "0",
                 "-o", str(tmp_path / "x.json")])
    assert code == 1
    assert "refused" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_save_writes_the_changed_events_and_summarises(fake, token_args, tmp_path, capsys):
    args, _ = token_args
    out = pull(tmp_path, args)
    data = json.loads(out.read_text())
    for doc in data["events"][:3]:
        doc["eventDate"] = "2021-06-01T10:00:00.000Z"
    out.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["save", str(out), *args, "--backup-dir", str(tmp_path / "bk")]) == 0
    printed = capsys.readouterr().out
    assert "written 3, unchanged 117, conflicts 0, failed 0" in printed
    assert str(tmp_path / "bk") in printed
    assert all(fake.doc(d["_id"])["eventDate"] == "2021-06-01T10:00:00.000Z" for d in data["events"][:3])


def test_save_lists_conflicts_and_exits_1_then_reapplies_on_request(fake, token_args, tmp_path, capsys):
    args, _ = token_args
    out = pull(tmp_path, args)
    data = json.loads(out.read_text())
    target = data["events"][0]
    target["eventDate"] = "2021-06-01T10:00:00.000Z"
    out.write_text(json.dumps(data))
    fake.touch(target["_id"], result="changed elsewhere")
    capsys.readouterr()
    backup = ["--backup-dir", str(tmp_path / "bk")]
    assert main(["save", str(out), *args, *backup]) == 1
    printed = capsys.readouterr().out
    assert "conflicts 1" in printed and target["_id"] in printed and "changed on the server" in printed
    assert fake.doc(target["_id"])["eventDate"] != target["eventDate"]
    assert main(["save", str(out), *args, *backup, "--reapply-conflicts"]) == 0
    final = fake.doc(target["_id"])
    assert final["eventDate"] == target["eventDate"] and final["result"] == "changed elsewhere"


def ach_export(tmp_path, fake, name="export.json"):
    """The server's documents as ACH exports them: no _rev."""
    path = tmp_path / name
    docs = [{k: v for k, v in d.items() if k != "_rev"} for d in fake.docs().values()]
    path.write_text(json.dumps({USAGE_DOCTYPE: docs}))
    return path, docs


def test_save_of_an_export_without_rev_never_undoes_what_the_server_changed_since(fake, token_args, tmp_path,
                                                                                    capsys):
    args, _ = token_args
    backup = ["--backup-dir", str(tmp_path / "bk")]
    export, docs = ach_export(tmp_path, fake)
    fresh = [d for d in docs if d.get("aggregated") is False]
    edited_ids = [d["_id"] for d in fresh[:3]]
    marked = [fresh[2]["_id"], fresh[3]["_id"]]  # one edited here, one not
    edited = json.loads(export.read_text())
    for doc in edited[USAGE_DOCTYPE]:
        if doc["_id"] in edited_ids:
            doc["eventDate"] = "2021-06-01T10:00:00.000Z"
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(edited))
    for doc_id in marked:  # the nightly service, after the export
        fake.touch(doc_id, aggregated=True)
    before = fake.docs()
    capsys.readouterr()

    # Without the export to compare with, nothing is written on a guess.
    assert main(["save", str(path), *args, *backup]) == 1
    printed = capsys.readouterr().out
    assert "written 0, unchanged 116, conflicts 4, failed 0" in printed
    assert "note: 4 events without _rev differ from the server" in printed
    assert printed.count("give --base") == 4
    assert fake.docs() == before

    # With it: only the edited eventDates are written; the server's aggregated stays (--reapply-conflicts too).
    assert main(["save", str(path), *args, *backup, "--base", str(export), "--reapply-conflicts"]) == 0
    printed = capsys.readouterr().out
    assert "note: 3 events merged: only the fields edited since the base are written" in printed
    assert "written 3, unchanged 117, conflicts 0, failed 0" in printed
    after = fake.docs()
    for doc_id, doc in before.items():
        if doc_id in edited_ids:
            assert {k: v for k, v in after[doc_id].items() if k != "_rev"} == dict(
                {k: v for k, v in doc.items() if k != "_rev"}, eventDate="2021-06-01T10:00:00.000Z")
        else:
            assert after[doc_id] == doc
    assert [after[doc_id]["aggregated"] for doc_id in marked] == [True, True]


def test_save_of_a_field_edited_on_both_sides_is_a_conflict_shown_then_reapplied(fake, token_args, tmp_path,
                                                                                 capsys):
    args, _ = token_args
    export, docs = ach_export(tmp_path, fake)
    target = docs[0]
    edited = json.loads(export.read_text())
    edited[USAGE_DOCTYPE][0]["eventDate"] = "2021-06-01T10:00:00.000Z"
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(edited))
    fake.touch(target["_id"], eventDate="2030-01-01T00:00:00.000Z", result="theirs")
    capsys.readouterr()
    common = [str(path), *args, "--base", str(export), "--backup-dir", str(tmp_path / "bk")]
    assert main(["save", *common]) == 1
    printed = capsys.readouterr().out
    assert (f"  {target['_id']}: conflict (edited here and changed on the server since the base: eventDate is "
            f"'2021-06-01T10:00:00.000Z' here, '2030-01-01T00:00:00.000Z' on the server, was "
            f"{target['eventDate']!r}) — --reapply-conflicts writes the edit over the server's value") in printed
    assert fake.doc(target["_id"])["eventDate"] == "2030-01-01T00:00:00.000Z"
    assert main(["save", *common, "--reapply-conflicts"]) == 0
    final = fake.doc(target["_id"])
    assert final["eventDate"] == "2021-06-01T10:00:00.000Z" and final["result"] == "theirs"


def test_a_backup_is_put_back_with_reapply_conflicts(fake, token_args, tmp_path, capsys):
    args, _ = token_args
    backups = tmp_path / "bk"
    out = pull(tmp_path, args)
    data = json.loads(out.read_text())
    before = {d["_id"]: dict(d) for d in data["events"][:2]}
    for doc in data["events"][:2]:
        doc["eventDate"], doc["aggregated"] = "2021-06-01T10:00:00.000Z", not doc.get("aggregated", False)
    out.write_text(json.dumps(data))
    assert main(["save", str(out), *args, "--backup-dir", str(backups)]) == 0
    [backup] = backups.iterdir()
    capsys.readouterr()
    assert main(["save", str(backup), *args, "--backup-dir", str(backups), "--reapply-conflicts"]) == 0
    assert "2 conflicting event(s) reloaded, the file's edit written onto each" in capsys.readouterr().out
    for doc_id, doc in before.items():
        restored = fake.doc(doc_id)
        assert (restored["eventDate"], restored.get("aggregated")) == (doc["eventDate"], doc.get("aggregated"))


def test_save_of_a_bad_file_is_bad_input(fake, token_args, tmp_path, capsys):
    args, _ = token_args
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["save", str(bad), *args]) == 2
    assert "invalid JSON" in capsys.readouterr().err


def test_push_summarises_per_status_and_exits_1_when_one_is_held_back(fake, token_args, tmp_path, capsys):
    args, _ = token_args
    path = tmp_path / "indicators.json"
    path.write_text(json.dumps({"runs": [{"indicators": [GOOD]}]}))
    assert main(["push", str(path), *args]) == 0
    assert "1 accepted" in capsys.readouterr().out
    path.write_text(json.dumps([GOOD, BAD]))
    assert main(["push", str(path), *args]) == 1
    printed = capsys.readouterr().out
    assert "1 accepted, 1 not-sent" in printed and "no-such-measure" in printed


def test_push_to_the_production_dacc_is_refused(fake, token_args, tmp_path, capsys):
    args, _ = token_args
    path = tmp_path / "indicators.json"
    path.write_text(json.dumps([GOOD]))
    assert main(["push", str(path), *args, "--doctype", "cc.cozycloud.dacc"]) == 2
    assert "production" in capsys.readouterr().err
    assert fake.count("POST") == 0


def test_oauth_signs_in_through_the_browser_and_says_where_tokens_are_kept(fake, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DACC_GUI_TOKEN_STORE", "memory")
    monkeypatch.setattr(webbrowser, "open", lambda link: httpx.get(link, follow_redirects=True) and True)
    pull(tmp_path, ["--url", fake.url, "--oauth"])
    err = capsys.readouterr().err
    assert "memory only" in err
    assert not any(t in err for t in fake.tokens)
