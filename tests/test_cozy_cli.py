"""``dacc-gui pull``, ``save`` and ``push`` against the fake stack: outputs, summaries, exit codes."""

from __future__ import annotations

import json
import socket
import webbrowser

import httpx
import pytest

from dacc_gui.cli.main import main
from tests.fake_cozy import generate_events

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
