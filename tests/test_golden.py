"""The hand-computed golden cases of the rulebook, through the API and the CLI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from dacc_gui.cli.main import main
from dacc_gui.events.loader import load_file
from dacc_gui.rules import NightlyRun
from tests.conftest import GOLDEN
from tests.helpers import payload_multiset


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_golden_case_through_the_api(path: Path) -> None:
    case = json.loads(path.read_text())
    event_set = load_file(path)
    run = NightlyRun(date.fromisoformat(case["runDate"]), event_set.context, case["ignoreMonthlyDateProtection"])
    result = run.apply(event_set.events)
    expected = case["expected"]
    assert payload_multiset(result.payloads()) == payload_multiset(expected["indicators"])
    assert [s.event_id for s in result.skipped] == expected["skippedEventIds"]
    assert sorted(result.aggregated) == sorted(expected["aggregatedAfter"])


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_golden_case_through_the_cli(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = json.loads(path.read_text())
    argv = ["compute", str(path), "--run-date", case["runDate"], "--format", "json"]
    if case["ignoreMonthlyDateProtection"]:
        argv.append("--ignore-monthly-date")
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["runs"] and len(out["runs"]) == 1
    night = out["runs"][0]
    assert list(night) == ["runDate", "indicators", "skipped", "aggregated"]
    assert night["runDate"] == case["runDate"]
    assert payload_multiset(night["indicators"]) == payload_multiset(case["expected"]["indicators"])
    assert [s["eventId"] for s in night["skipped"]] == case["expected"]["skippedEventIds"]
    assert all(set(s) == {"eventId", "reason"} and s["reason"] for s in night["skipped"])
    assert sorted(night["aggregated"]) == sorted(case["expected"]["aggregatedAfter"])
    for payload in night["indicators"]:
        keys = list(payload)
        assert keys[:4] == ["createdBy", "measureName", "startDate", "value"]
        assert keys[4:] == sorted(keys[4:])  # group1, group2, group3 in order
