"""Files a user can produce that Python's JSON reading trips on: integers over
the int-string limit, deep nesting, lone surrogates. Each ends in the
project's own error naming where (exit 2 from the CLI, no traceback), or, for a
string, in output that holds it."""

from __future__ import annotations

import io
import json
import sys

import pytest

from dacc_gui.cli.main import main
from dacc_gui.cli.output import json_text
from dacc_gui.dacc.payloads import PayloadError, read_payloads
from dacc_gui.events.loader import LoadError, parse_events

LIMIT = sys.get_int_max_str_digits()  # 4300 unless the interpreter was told otherwise


def long_integer_export() -> tuple[str, int, int]:
    """An export whose third line ends in an integer one digit over the limit
    (after a string of more digits, which is no number); with its line and column."""
    lines = ['[',
             '  {"type": "NavigationEvent", "target": "consumption", "note": "' + "9" * (LIMIT + 5) + '",',
             '   "eventDate": "2021-12-08T09:00:00.000Z", "count": ' + "1" * (LIMIT + 1) + '}',
             ']']
    return "\n".join(lines), 3, lines[2].rindex(" ") + 2


# --- integers over the limit ---------------------------------------------------------

def test_an_integer_over_the_limit_is_a_load_error_naming_line_and_column():
    text, line, column = long_integer_export()
    with pytest.raises(LoadError) as err:
        parse_events(text, name="big.json")
    assert str(err.value) == (f"big.json: invalid JSON at line {line}, column {column}: "
                              f"an integer of {LIMIT + 1} digits (at most {LIMIT} are read)")


def test_an_integer_over_the_limit_in_json_lines_names_its_line():
    first = '{"type": "NavigationEvent", "eventDate": "2021-12-08"}'
    second = '{"type": "NavigationEvent", "n": -' + "7" * (LIMIT + 2) + "}"
    with pytest.raises(LoadError) as err:
        parse_events(first + "\n" + second + "\n", name="in.jsonl")
    assert str(err.value) == (f"in.jsonl: invalid JSON at line 2, column {second.index('-') + 1}: "
                              f"an integer of {LIMIT + 2} digits (at most {LIMIT} are read)")


def test_an_integer_at_the_limit_still_loads():
    event = parse_events('[{"type": "NavigationEvent", "n": ' + "3" * LIMIT + "}]").events[0]
    assert event.to_document()["n"] == int("3" * LIMIT)


def test_compute_exits_2_on_an_integer_over_the_limit(tmp_path, capsys):
    events, line, column = long_integer_export()
    path = tmp_path / "big.json"
    path.write_text(events)
    assert main(["compute", str(path), "--run-date", "2021-12-09"]) == 2
    assert capsys.readouterr().err == (f"dacc-gui compute: {path}: invalid JSON at line {line}, column {column}: "
                                       f"an integer of {LIMIT + 1} digits (at most {LIMIT} are read)\n")
    context = tmp_path / "context.json"
    context.write_text('{"monthlyAnalysisDay": ' + "3" * (LIMIT + 1) + "}")
    sample = tmp_path / "one.json"
    sample.write_text('[{"type": "NavigationEvent", "eventDate": "2021-12-08"}]')
    assert main(["compute", str(sample), "--run-date", "2021-12-09", "--context", str(context)]) == 2
    assert capsys.readouterr().err.startswith(f"dacc-gui compute: {context}: invalid JSON at line 1, column 24: ")


# --- deep nesting -------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "[" * 100_000 + "]" * 100_000,
    '{"runs": [{"indicators": [' + '{"a": ' * 50_000 + "0" + "}" * 50_000 + "]}]}",
])
def test_the_payload_reader_refuses_deep_nesting_naming_the_file(tmp_path, text):
    path = tmp_path / "deep.json"
    path.write_text(text)
    with pytest.raises(PayloadError) as err:
        read_payloads(path)
    assert str(err.value) == f"{path}: invalid JSON: nested too deeply"


def test_the_payload_reader_refuses_an_integer_over_the_limit_naming_where(tmp_path):
    path = tmp_path / "payloads.json"
    path.write_text('[{"measureName": "navigation-count-daily", "value": ' + "5" * (LIMIT + 1) + "}]")
    with pytest.raises(PayloadError) as err:
        read_payloads(path)
    assert str(err.value) == (f"{path}: invalid JSON at line 1, column 53: "
                              f"an integer of {LIMIT + 1} digits (at most {LIMIT} are read)")


@pytest.mark.parametrize("command", [["validate"], ["validate", "--format", "json"],
                                     ["push", "--url", "http://127.0.0.1:9", "--token-file", "unused"]])
def test_validate_and_push_exit_2_on_deep_nesting(tmp_path, capsys, command):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    assert main([command[0], str(path), *command[1:]]) == 2
    assert capsys.readouterr().err == f"dacc-gui {command[0]}: {path}: invalid JSON: nested too deeply\n"


# --- lone surrogates ------------------------------------------------------------------

SURROGATE_EVENTS = ('{"context": {"daccConsent": true}, "events": [{"_id": "n1", "type": "NavigationEvent", '
                    '"target": "\\ud800", "eventDate": "2021-12-08T09:00:00.000Z"}]}')
SURROGATE_PAYLOADS = '[{"createdBy": "ecolyo", "measureName": "\\udc80x", "startDate": "2021-12-08", "value": 1}]'


def test_compute_json_holds_a_lone_surrogate_as_its_escape(tmp_path, capsys):
    path = tmp_path / "events.json"
    path.write_text(SURROGATE_EVENTS)
    assert main(["compute", str(path), "--run-date", "2021-12-09"]) == 0
    out = capsys.readouterr().out
    assert '"page": "\\ud800"' in out
    indicators = json.loads(out)["runs"][0]["indicators"]
    assert indicators == [{"createdBy": "ecolyo", "measureName": "navigation-count-daily", "startDate": "2021-12-08",
                           "value": 1, "group1": {"page": "\ud800"}}]


def test_compute_table_shows_a_lone_surrogate_escaped(tmp_path, capsys):
    path = tmp_path / "events.json"
    path.write_text(SURROGATE_EVENTS)
    assert main(["compute", str(path), "--run-date", "2021-12-09", "--format", "table"]) == 0
    assert "  navigation-count-daily  2021-12-08  1  page=\\ud800\n" in capsys.readouterr().out


def test_validate_text_and_json_hold_a_lone_surrogate(tmp_path, capsys):
    path = tmp_path / "payloads.json"
    path.write_text(SURROGATE_PAYLOADS)
    assert main(["validate", str(path)]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        "#0 \\udc80x 2021-12-08: error: No measure definition found for: \\udc80x")
    assert main(["validate", str(path), "--format", "json"]) == 1
    [report] = json.loads(capsys.readouterr().out)
    assert report["error"] == "No measure definition found for: \udc80x"


def test_json_for_a_stream_that_is_not_utf8_is_ascii_and_means_the_same():
    value = {"page": "\ud800é€", "n": [1, "😀"]}
    latin = io.TextIOWrapper(io.BytesIO(), encoding="latin-1")
    text = json_text(value, latin)
    assert text.isascii() and json.loads(text) == value
    utf8 = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    text = json_text(value, utf8)
    assert "é€" in text and "😀" in text and "\\ud800" in text and json.loads(text) == value
