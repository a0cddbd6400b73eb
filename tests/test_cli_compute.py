"""The headless commands ``compute`` and ``validate``, and the entry points."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dacc_gui.cli.main import main
from tests.conftest import GOLDEN

CASE3 = next(p for p in GOLDEN if p.name.startswith("03"))


def compute(capsys, *argv):
    code = main(["compute", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_range_prints_one_entry_per_night(capsys):
    code, out, _ = compute(capsys, CASE3, "--run-date", "2022-02-02", "--until", "2022-02-04")
    runs = json.loads(out)["runs"]
    assert code == 0 and [r["runDate"] for r in runs] == ["2022-02-02", "2022-02-03", "2022-02-04"]
    assert [r["aggregated"] for r in runs] == [[], ["m15"], []]


def test_context_comes_from_the_option_before_the_file(capsys, tmp_path):
    ctx = tmp_path / "ctx.json"
    ctx.write_text(json.dumps({"daccConsent": False}))
    code, out, _ = compute(capsys, CASE3, "--run-date", "2022-02-03", "--context", ctx)
    assert code == 0 and json.loads(out)["runs"][0]["indicators"] == []
    # a file holding {"context": ...} works too
    ctx.write_text(json.dumps({"context": {"connectedFluids": ["gas"]}}))
    code, out, _ = compute(capsys, CASE3, "--run-date", "2022-02-04", "--context", ctx)
    assert [p["group1"] for p in json.loads(out)["runs"][0]["indicators"] if p["measureName"] == "konnector-connected-daily"] == [{"categories": "gas"}]


def test_without_any_context_the_defaults_apply(capsys, tmp_path):
    events = tmp_path / "plain.json"
    events.write_text(json.dumps([{"_id": "a", "type": "ConnectionEvent", "eventDate": "2022-02-02T10:00:00.000Z"}]))
    code, out, _ = compute(capsys, events, "--run-date", "2022-02-03")
    measures = sorted(p["measureName"] for p in json.loads(out)["runs"][0]["indicators"])
    # default analysis day is 3, no fluids connected, not subscribed
    assert "connection-count-monthly" in measures and "konnector-connected-daily" not in measures


@pytest.mark.parametrize("content, fragment", [
    ("{\"events\": [1, 2,,]}", "line 1, column"),
    ("", "empty"),
    ("{\"events\": [], \"context\": {\"monthlyAnalysisDay\": 40}}", "monthlyAnalysisDay"),
    ("42", "expected a JSON array or object"),
])
def test_bad_input_exits_2_with_a_message(capsys, tmp_path, content, fragment):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code, out, err = compute(capsys, bad, "--run-date", "2022-02-03")
    assert code == 2 and out == "" and fragment in err and "Traceback" not in err


def test_bad_dates_and_ranges_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["compute", str(CASE3), "--run-date", "2022-02-30"])
    assert exc.value.code == 2
    code, _, err = compute(capsys, CASE3, "--run-date", "2022-02-03", "--until", "2022-02-01")
    assert code == 2 and "before" in err


def test_table_format_is_readable(capsys):
    code, out, _ = compute(capsys, GOLDEN[1], "--run-date", "2022-03-10", "--format", "table")
    assert code == 0 and "Night of 2022-03-10" in out and "skipped d6" in out and "konnector-event-daily" in out


def test_documents_that_are_not_events_are_reported_on_stderr(capsys, tmp_path):
    f = tmp_path / "mixed.json"
    f.write_text(json.dumps([{"type": "NavigationEvent", "eventDate": "2022-02-02T10:00:00Z", "target": "faq"}, 5]))
    code, out, err = compute(capsys, f, "--run-date", "2022-02-05")
    assert code == 0 and "document #1" in err and json.loads(out)["runs"]


def test_validate_reports_errors_and_exit_code(capsys, tmp_path):
    f = tmp_path / "p.json"
    f.write_text(json.dumps([
        {"createdBy": "ecolyo", "measureName": "quiz-stars", "startDate": "2021-12-08", "value": 4,
         "group1": {"challenge_id": "C"}, "group2": {"quiz_id": "Q"}},
        {"createdBy": "ecolyo", "measureName": "quiz-stars", "startDate": "2021-12-08", "value": None},
    ]))
    assert main(["validate", str(f)]) == 1
    out = capsys.readouterr().out
    assert ("#1 quiz-stars 2021-12-08: error (production answers 500): float() argument must be a string "
            "or a number, not 'NoneType'") in out and "float(value)" in out
    assert "1 accepted" in out and "1 rejected" in out


def test_validate_accepts_a_compute_output(capsys, tmp_path):
    assert main(["compute", str(GOLDEN[0]), "--run-date", "2021-12-09"]) == 0
    f = tmp_path / "out.json"
    f.write_text(capsys.readouterr().out)
    assert main(["validate", str(f), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report) == 14 and all(r["status"] == 201 for r in report)


def test_help_and_python_dash_m():
    root = Path(__file__).parent.parent
    for argv in (["--help"], ["compute", "--help"], ["validate", "--help"]):
        proc = subprocess.run([sys.executable, "-m", "dacc_gui", *argv], capture_output=True, text=True, cwd=root)
        assert proc.returncode == 0 and "usage: dacc-gui" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "dacc_gui", "compute", str(GOLDEN[0]), "--run-date", "2021-12-09"],
                          capture_output=True, text=True, cwd=root)
    assert proc.returncode == 0 and len(json.loads(proc.stdout)["runs"][0]["indicators"]) == 14


def test_the_app_says_why_it_cannot_open_a_window():
    from dacc_gui.cli.app_cmd import display_problem

    assert "no display" in display_problem({}, "linux")
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({}, "darwin") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
