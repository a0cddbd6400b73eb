"""The stand-in service posts a night to a real receiver; its simulated bugs
show up in the comparison as missing, unexpected and different values."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

from dacc_gui.compare.comparison import Category, compare, expected_from_payloads, received_from_records
from dacc_gui.receiver.records import Kind
from tests import standin_service
from tests.conftest import DATA
from tests.helpers import golden_payloads, payload_multiset
from tests.receiver_support import live_receiver

CASE = DATA / "golden" / "01-one-day.json"
RUN_DATE = date.fromisoformat(json.loads(CASE.read_text())["runDate"])
SCRIPT = Path(standin_service.__file__)


def expected():
    """The night as the golden case gives it, computed by hand (never by the rules under test)."""
    return expected_from_payloads(golden_payloads("01-one-day"))


def received(receiver):
    receiver.store.flush()
    return received_from_records(receiver.store.records(kind=Kind.MEASURE))


def test_runs_as_a_script_with_the_url_from_the_environment():
    with live_receiver() as (receiver, _client):
        env = dict(os.environ, DACC_RECEIVER_URL=receiver.url)
        done = subprocess.run([sys.executable, str(SCRIPT), str(CASE), "--run-date", RUN_DATE.isoformat()],
                              env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        posted = [json.loads(json.loads(r.body)["data"]) for r in receiver.store.records()]
        assert all(r.path == "/" and r.shape == "data" for r in receiver.store.records())
        got = compare(expected(), received(receiver))
    want = [e.payload for e in expected()]
    # The stand-in computes with the rulebook: what it posts must be the hand-computed night.
    assert payload_multiset(posted) == payload_multiset(want) and len(want) > 3
    assert got.ok and got.counts()["matched"] == len(want)
    assert f"sending {len(want)} to {receiver.url}" in done.stdout


def test_simulated_bugs_are_what_the_comparison_finds():
    want = [e.payload for e in expected()]
    with live_receiver() as (receiver, _client):
        code = standin_service.main(["--payloads", str(CASE), "--run-date", RUN_DATE.isoformat(), "--url",
                                     receiver.url, "--drop", "0", "--duplicate", "1", "--alter-value", "2"])
        assert code == 0
        got = compare(expected(), received(receiver))
    assert got.counts() == {"matched": len(want) - 2, "missing": 1, "unexpected": 1, "different": 1}
    assert got.of(Category.MISSING)[0].expected.payload == want[0]
    assert got.of(Category.UNEXPECTED)[0].received.payload == want[1]
    different = got.of(Category.DIFFERENT)[0]
    assert different.expected.payload == want[2]
    assert different.received.payload["value"] == want[2]["value"] + 1


def test_bad_input_and_unreachable_receiver(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    assert standin_service.main([str(bad), "--run-date", "2021-12-09", "--url", "http://127.0.0.1:9"]) == 2
    assert "bad.json" in capsys.readouterr().err
    # A port nobody listens on: bound, then closed.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    assert standin_service.main([str(CASE), "--run-date", "2021-12-09", "--url", url]) == 2
    assert f"cannot reach {url}/" in capsys.readouterr().err
    assert standin_service.main([str(CASE), "--run-date", "2021-12-09", "--url", ""]) == 2
    assert "give --url or set DACC_RECEIVER_URL" in capsys.readouterr().err


def test_payloads_files_and_what_is_wrong_with_them(tmp_path, capsys):
    assert standin_service.read_payloads(CASE) == golden_payloads("01-one-day")
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps(golden_payloads("01-one-day")[:2]))
    assert standin_service.read_payloads(listed) == golden_payloads("01-one-day")[:2]
    bad = tmp_path / "bad.json"
    bad.write_text('{"indicators": 3}')
    assert standin_service.main(["--payloads", str(bad), "--run-date", "2021-12-09", "--url", "http://127.0.0.1:9"]) == 2
    assert "expected a list of payloads" in capsys.readouterr().err
    assert standin_service.main(["--run-date", "2021-12-09", "--url", "http://127.0.0.1:9"]) == 2
    assert "give the events, or --payloads" in capsys.readouterr().err
