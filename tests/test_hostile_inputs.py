"""Files a user can produce that Python's JSON reading trips on: integers over
the int-string limit, deep nesting, lone surrogates. Each ends in the
project's own error naming where (exit 2 from the CLI, no traceback), or, for a
string, in output that holds it."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dacc_gui import DEFAULT_DOCTYPE
from dacc_gui.cli.main import main
from dacc_gui.cli.output import json_text
from dacc_gui.dacc.payloads import PayloadError, read_payloads
from dacc_gui.dacc.validation import validate_all
from dacc_gui.events.eventset import EventSet
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


@pytest.mark.parametrize("token, words", [("NaN", "NaN"), ("-Infinity", "-Infinity"), ("1e999", "1e999"),
                                          ("-" + "9" * 400 + ".5", "-9999999...999999.5")])
def test_numbers_a_cozy_document_cannot_hold_are_a_load_error_naming_where(token, words):
    # Python reads them (as nan or inf); writing the event back, to a Cozy or a file, could not.
    text = '[{"type": "NavigationEvent", "note": "NaN 1e999",\n  "eventDate": "2021-12-08", "n": ' + token + "}]"
    with pytest.raises(LoadError) as err:
        parse_events(text, name="odd.json")
    assert str(err.value) == f"odd.json: invalid JSON at line 2, column 35: {words} is not a finite number"


def test_save_of_a_not_finite_date_is_bad_input_not_a_traceback(tmp_path, capsys):
    path = tmp_path / "nan.json"
    path.write_text('[{"_id": "a", "_rev": "1-x", "type": "NavigationEvent", "eventDate": NaN}]')
    assert main(["save", str(path), "--url", "http://127.0.0.1:9", "--token-file", "unused"]) == 2
    assert capsys.readouterr().err == (f"dacc-gui save: {path}: invalid JSON at line 1, column 70: "
                                       "NaN is not a finite number\n")


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
        "#0 \\udc80x 2021-12-08: error (production answers 400): No measure definition found for: \\udc80x")
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


# --- any JSON text ---------------------------------------------------------------------

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Raw(str):
    """JSON text as is: what ``json.dumps`` cannot write (an integer over the limit, deep nesting)."""


def to_text(value, ascii_only: bool) -> str:
    if isinstance(value, Raw):
        return value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=ascii_only)}: {to_text(v, ascii_only)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_text(v, ascii_only) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


# Lone surrogates are what a "\ud800" escape reads as; st.characters() never draws them.
odd_texts = st.lists(st.integers(0xD800, 0xDFFF).map(chr) | st.characters(), min_size=1, max_size=4).map("".join)
strings = (odd_texts | st.text(max_size=8)
           | st.sampled_from(["NavigationEvent", "2021-12-08T09:00:00.000Z", "navigation-count-daily", "<b>"]))
long_integers = st.tuples(st.sampled_from(["", "-"]), st.integers(LIMIT - 1, LIMIT + 40)).map(
    lambda t: Raw(t[0] + "7" * t[1]))
nestings = st.tuples(st.sampled_from([10, 900, 990, 1000, 3000, 100_000]), st.sampled_from(["[]", "{}"])).map(
    lambda t: Raw(("[" * t[0] + "]" * t[0]) if t[1] == "[]" else ('{"a": ' * t[0] + "0" + "}" * t[0])))
not_finite = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-2e308"]).map(Raw)
scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | strings
           | long_integers | nestings | not_finite)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(strings, inner, max_size=4),
    max_leaves=12,
)
# Documents with the keys the loader and the rules read, so that inputs get past the shape.
events = st.fixed_dictionaries(
    {"type": st.sampled_from(["NavigationEvent", "KonnectorAttemptEvent", "QuizEndEvent"]) | values,
     "eventDate": st.sampled_from(["2021-12-08T09:00:00.000Z", "2021-12-08"]) | values},
    optional={"_id": strings, "target": odd_texts | values, "result": values, "aggregated": values},
)
# Consent given, so that the events' strings reach the indicators printed.
contexts = st.just({"daccConsent": True}) | st.none() | values
event_files = (values
               | st.lists(events | values, max_size=5)
               | st.builds(lambda d, c: {"events": d, "context": c}, st.lists(events, max_size=5), contexts)
               | st.lists(events, max_size=5).map(lambda d: {DEFAULT_DOCTYPE: d}))
payload = st.fixed_dictionaries(
    {"createdBy": st.just("ecolyo") | values, "measureName": st.just("navigation-count-daily") | odd_texts | values,
     "startDate": st.just("2021-12-08") | values, "value": st.integers(0, 9) | values},
    optional={"group1": st.dictionaries(strings, odd_texts | values, max_size=2) | values},
)
payload_files = (values | payload | st.lists(payload | values, max_size=5)
                 | st.lists(payload, max_size=5).map(lambda p: {"runs": [{"indicators": p}]}))

# Files that read, whose odd strings reach what is printed: the output path, not only the errors.
readable_events = st.builds(
    lambda docs: {"events": docs, "context": {"daccConsent": True}},
    st.lists(st.fixed_dictionaries({
        "type": st.sampled_from(["NavigationEvent", "KonnectorAttemptEvent", "KonnectorConnectEvent"]),
        "eventDate": st.just("2021-12-08T09:00:00.000Z"),
        "target": odd_texts, "result": st.sampled_from(["success", "error"]) | odd_texts,
    }, optional={"_id": odd_texts}), min_size=1, max_size=4),
)
readable_payloads = st.lists(st.fixed_dictionaries(
    {"createdBy": st.just("ecolyo"), "measureName": st.just("navigation-count-daily") | odd_texts,
     "startDate": st.just("2021-12-08") | odd_texts, "value": st.integers(0, 9),
     "group1": st.dictionaries(odd_texts, odd_texts, min_size=1, max_size=2)}), min_size=1, max_size=4)
# Mostly escaped text (a raw surrogate makes bytes that are not UTF-8: refused before anything prints).
escaped = st.sampled_from([True, True, False])


def mostly(readable, anything):
    """Two draws in three from ``readable``."""
    return st.integers(0, 2).flatmap(lambda n: anything if n == 0 else readable)


def as_file(value, ascii_only: bool, jsonl: bool = False) -> bytes:
    if jsonl and isinstance(value, list):
        text = "".join(to_text(v, ascii_only) + "\n" for v in value)
    else:
        text = to_text(value, ascii_only)
    return text.encode("utf-8", "surrogatepass")  # a raw surrogate: bytes that are not UTF-8


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@FUZZ
@given(event_files, st.booleans(), st.booleans())
def test_any_json_text_loads_or_raises_load_error(value, ascii_only, jsonl):
    data = as_file(value, ascii_only, jsonl)
    for source in (data, data.decode("utf-8", "surrogatepass")):
        try:
            loaded = parse_events(source, name="in.json")
        except LoadError as exc:
            assert str(exc).startswith("in.json: ")
            continue
        assert isinstance(loaded, EventSet)
        loaded.problems()  # every document the rules cannot use, in words: never raises


class _Key(str):
    pass


def typed(value):
    """A value with its types spelt out (1, 1.0 and True differ, so do key
    orders), as a flat list: values nested a thousand deep do not recurse."""
    out, todo = [], [value]
    while todo:
        v = todo.pop()
        if isinstance(v, dict):
            out.append(("object", len(v)))
            for k, x in reversed(v.items()):
                todo += [x, _Key(k)]
        elif isinstance(v, (list, tuple)):
            out.append(("array", len(v)))
            todo += reversed(v)
        elif isinstance(v, float):
            out.append(("float", repr(v)))
        else:
            out.append((type(v).__name__, v))
    return out


def outcome(load):
    """What a load gives, in full: the error's words, or every part of the set."""
    try:
        loaded = load()
    except LoadError as exc:
        return "error", str(exc)
    return typed({"shape": str(loaded.shape), "doctype": loaded.doctype, "extra": loaded.extra,
                  "context": loaded.context.to_json() if loaded.context else None,
                  "events": [e.to_document() for e in loaded.events],
                  "rejected": [(r.index, r.reason, r.raw, r.doc_id) for r in loaded.rejected]})


@FUZZ
@given(event_files, st.booleans(), st.booleans(), st.booleans())
@example({"events": [], "context": {"": {"\ud800": None}}}, True, False, False)  # a context key escaped so
def test_bytes_load_as_their_text_does(value, ascii_only, jsonl, bom):
    # Bytes are read as they are, the documents one by one; what that gives
    # is what decoding them and reading the text gave.
    data = (b"\xef\xbb\xbf" if bom else b"") + as_file(value, ascii_only, jsonl)

    def via_text():
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise LoadError(f"in.json: not UTF-8 text (byte {exc.start})") from None
        return parse_events(text, name="in.json")

    assert outcome(lambda: parse_events(data, name="in.json")) == outcome(via_text)


@pytest.mark.parametrize("where", ["array", "events", "extra"])
def test_bytes_nested_near_the_limit_load_as_their_text_does(where):
    # Every depth around where reading stops, whatever the stack above: a
    # document read alone is not let deeper than the whole text would be.
    limit = sys.getrecursionlimit()
    for depth in range(limit // 3, limit + 5):
        nested = "[" * depth + "]" * depth
        doc = '{"type": "NavigationEvent", "eventDate": "2021-12-08", "x": ' + nested + "}"
        text = {"array": f"[{doc}]", "events": f'{{"events": [{doc}]}}',
                "extra": f'{{"events": [], "note": {{"x": {nested}}}}}'}[where]
        assert outcome(lambda: parse_events(text.encode(), name="in.json")) == \
            outcome(lambda: parse_events(text, name="in.json")), depth


@FUZZ
@given(payload_files, st.booleans())
def test_any_json_text_reads_as_payloads_or_raises_payload_error(folder, value, ascii_only):
    path = folder / "payloads.json"
    path.write_bytes(as_file(value, ascii_only))
    try:
        payloads = read_payloads(path)
    except PayloadError as exc:
        assert str(exc).startswith(f"{path}: ")
        return
    assert len(validate_all(payloads)) == len(payloads)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``main`` with stdout and stderr as a redirected process has them: strict UTF-8."""
    out, err = (io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="\n") for _ in range(2))
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)  # an exception here is the traceback a user would see
    out.flush()
    err.flush()
    return code, out.buffer.getvalue().decode("utf-8"), err.buffer.getvalue().decode("utf-8")


def check_cli(argv: list[str], json_output: bool) -> None:
    code, out, err = run_cli(argv)
    assert "Traceback" not in err
    if code == 2:
        assert err.startswith(f"dacc-gui {argv[0]}: ") and len(err.strip()) > len(f"dacc-gui {argv[0]}:")
    else:
        assert code in (0, 1)
        if json_output:
            json.loads(out)


@FUZZ
@given(mostly(readable_events, event_files), escaped, st.booleans(), st.sampled_from(["json", "table"]))
def test_compute_of_any_json_text_ends_in_output_or_exit_2_with_a_message(folder, value, ascii_only, jsonl, fmt):
    path = folder / "events.json"
    path.write_bytes(as_file(value, ascii_only, jsonl))
    check_cli(["compute", str(path), "--run-date", "2021-12-09", "--format", fmt], fmt == "json")


@FUZZ
@given(mostly(readable_payloads, payload_files), escaped, st.sampled_from(["json", "text"]))
def test_validate_of_any_json_text_ends_in_output_or_exit_2_with_a_message(folder, value, ascii_only, fmt):
    path = folder / "payloads.json"
    path.write_bytes(as_file(value, ascii_only))
    check_cli(["validate", str(path), "--format", fmt], fmt == "json")
