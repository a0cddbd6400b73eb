"""Hostile inputs through the loader, the payload reader and the CLI; prints what came out.

Every input is JSON text (or bytes) a user could hand the project: exports of
the sample events with fields replaced by huge integers (more than Python's
4,300-digit limit), lone surrogates ("\\ud800"), deep nesting, hostile
strings or random JSON; random JSON values; deeply nested documents; exports
cut short, with a byte flipped, or not UTF-8. The same seed gives the same
inputs.

- ``loader``: ``parse_events`` on the bytes; only ``LoadError`` may come out.
- ``payloads``: ``read_payloads`` then ``validate_all``; only ``PayloadError``.
- ``cli``: ``dacc-gui compute`` (json, table), ``validate`` (text, json),
  ``push`` and ``save`` (to an address where nothing listens), run in this
  process with stdout and stderr as strict UTF-8 pipes. Counted as errors: an
  exception out of ``main`` (the traceback a user would see), exit 2 without a
  message, a ``--format json`` output that is not JSON.

Run (after ``scripts/test`` has made ``.venv``)::

    .venv/bin/python bench/fuzz_inputs.py                  # 10,000 / 3,000 / 600 inputs
    .venv/bin/python bench/fuzz_inputs.py --loader 2000 --payloads 500 --cli 120 --seed 3

An example input of each error kind is written to ``bench/out/fuzz/``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dacc_gui import DEFAULT_DOCTYPE  # noqa: E402
from dacc_gui.cli.main import main  # noqa: E402
from dacc_gui.dacc.payloads import PayloadError, read_payloads  # noqa: E402
from dacc_gui.dacc.validation import validate_all  # noqa: E402
from dacc_gui.events.loader import LoadError, parse_events  # noqa: E402

SAMPLE = json.loads((ROOT / "dacc_gui" / "events" / "sample.json").read_text("utf-8"))
OUT = ROOT / "bench" / "out" / "fuzz"
LIMIT = 4300  # Python's default int-string limit (sys.get_int_max_str_digits)

HOSTILE_STRINGS = [
    "\ud800", "\udfff", "a\ud83db", "\udc80\ud800", "\x00", "\x1b[31m", "\u2028", "\ufeff", "é", "😀", "",
    " ", "\\", '"', "```", "|", "<script>alert(1)</script>", '<img src=x onerror="alert(1)">',
    "[x](javascript:alert(1))", "*bold* _it_ #h", "2021-12-08T09:00:00.000Z", "2021-02-30", "NavigationEvent",
]
KEYS = ["_id", "_rev", "type", "eventDate", "startDate", "target", "context", "result", "aggregated",
        "measureName", "value", "group1", "group2", "group3", "createdBy", "runs", "indicators", "events"]


class Raw:
    """JSON text written as is (a huge integer, a deep nesting): ``json.dumps`` cannot make it."""

    def __init__(self, text: str) -> None:
        self.text = text


def to_text(value: Any, ascii_only: bool = True) -> str:
    if isinstance(value, Raw):
        return value.text
    try:
        return json.dumps(value, ensure_ascii=ascii_only)  # quick when it holds no Raw
    except TypeError:
        pass
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=ascii_only)}: {to_text(v, ascii_only)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_text(v, ascii_only) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


def huge(rng: random.Random) -> Raw:
    digits = rng.randint(LIMIT + 1, 2 * LIMIT)
    sign = rng.choice(["", "-"])
    tail = rng.choice(["", "", ".5", "e3"])  # a float of many digits is fine; an integer is not
    return Raw(sign + "1" + "7" * (digits - 1) + tail)


def deep(rng: random.Random) -> Raw:
    depth = rng.choice([100, 900, 990, 1000, 1500, 5000, 100_000])
    opener, closer = rng.choice([("[", "]"), ('{"a": ', "}")])
    return Raw(opener * depth + "0" + closer * depth)


def hostile_string(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return rng.choice(HOSTILE_STRINGS)
    return "".join(chr(rng.choice([rng.randint(32, 126), rng.randint(0xD800, 0xDFFF), rng.randint(0, 0x10FFFF)]))
                   for _ in range(rng.randint(1, 8)))


def random_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.45:
        return rng.choice([None, True, False, 0, -1, 7, 2.5, 1e308, "", "x", hostile_string(rng)])
    if roll < 0.55:
        return huge(rng)
    if roll < 0.6:
        return deep(rng)
    if roll < 0.8:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(KEYS + [hostile_string(rng)]): random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


FLAVOURS = ("clean", "strings", "huge", "deep", "random")


def hostile_field(rng: random.Random, flavour: str) -> Any:
    if flavour == "strings":
        return hostile_string(rng)
    if flavour == "huge":
        return huge(rng)
    if flavour == "deep":
        return deep(rng)
    return random_value(rng)


def mutate_doc(rng: random.Random, doc: dict[str, Any], flavour: str) -> dict[str, Any]:
    doc = dict(doc)
    if flavour == "strings" and doc.get("type") in ("NavigationEvent", "KonnectorAttemptEvent", "QuizEndEvent"):
        doc["target"] = hostile_string(rng)  # strings that reach the indicators' groups
        return doc
    key = rng.choice(list(doc) + KEYS + [hostile_string(rng)])
    doc[key] = hostile_field(rng, flavour)
    return doc


def export_value(rng: random.Random, flavour: str) -> tuple[Any, bool]:
    """An export of some sample events, a few mutated; and whether it is JSON Lines."""
    start = rng.randrange(len(SAMPLE["events"]) - 20)
    docs = SAMPLE["events"][start:start + rng.randint(20, 120)]
    if flavour != "clean":
        rate = 0.3 if flavour == "strings" else 0.03
        docs = [mutate_doc(rng, d, flavour) if rng.random() < rate else d for d in docs]
    shape = rng.choice(["own", "own", "ach", "array", "rows", "docs", "jsonl"])
    if shape == "own":
        context = SAMPLE["context"] if flavour == "clean" or rng.random() < 0.9 else hostile_field(rng, flavour)
        return {"events": docs, "context": context}, False
    if shape == "ach":
        return {DEFAULT_DOCTYPE: docs}, False
    if shape == "rows":
        return {"rows": [{"id": "r", "doc": d} for d in docs]}, False
    if shape == "docs":
        return {"docs": docs, "bookmark": "b"}, False
    return docs, shape == "jsonl"


def events_input(rng: random.Random) -> bytes:
    roll = rng.random()
    if roll < 0.05:
        return to_text(random_value(rng)).encode()
    if roll < 0.07:
        return deep(rng).text.encode()
    value, jsonl = export_value(rng, rng.choice(FLAVOURS))
    ascii_only = rng.random() < 0.9
    if jsonl:
        text = "\n".join(to_text(d, ascii_only) for d in value) + "\n"
    else:
        text = to_text(value, ascii_only)
    data = text.encode("utf-8", "surrogatepass")  # a raw surrogate: bytes that are not UTF-8
    return damage(rng, data)


def damage(rng: random.Random, data: bytes) -> bytes:
    roll = rng.random()
    if roll < 0.05 and data:
        return data[:rng.randrange(len(data))]
    if roll < 0.08 and data:
        n = rng.randrange(len(data))
        return data[:n] + bytes([rng.randrange(256)]) + data[n + 1:]
    if roll < 0.1:
        return b"\xef\xbb\xbf" + data
    return data


def payload_value(rng: random.Random) -> Any:
    flavour = rng.choice(FLAVOURS)
    base = {"createdBy": "ecolyo", "measureName": "navigation-count-daily", "startDate": "2021-12-08",
            "value": 3, "group1": {"page": "consumption"}}
    payloads = []
    for _ in range(rng.randint(1, 6)):
        p = dict(base)
        if flavour != "clean" and rng.random() < 0.5:
            key = rng.choice(["measureName", "startDate", "value", "group1", "group2", "createdBy",
                              hostile_string(rng)])
            p[key] = hostile_field(rng, flavour)
            if flavour == "strings" and rng.random() < 0.5:
                p["group1"] = {hostile_string(rng): hostile_string(rng)}
        payloads.append(p)
    roll = rng.random()
    if roll < 0.05:
        return random_value(rng)
    if roll < 0.4:
        return {"runs": [{"runDate": "2021-12-09", "indicators": payloads}]}
    if roll < 0.5:
        return payloads[0]
    return payloads


def payloads_input(rng: random.Random) -> bytes:
    return damage(rng, to_text(payload_value(rng), rng.random() < 0.9).encode("utf-8", "surrogatepass"))


# --- running -----------------------------------------------------------------------------------

def kind(exc: BaseException) -> str:
    return type(exc).__name__


def run_loader(data: bytes) -> str:
    try:
        parse_events(data)
    except LoadError:
        return "LoadError"
    return "loaded"


def run_payloads(path: Path) -> str:
    try:
        payloads = read_payloads(path)
    except PayloadError:
        return "PayloadError"
    validate_all(payloads)
    return "read"


def _pipe() -> io.TextIOWrapper:
    # What a redirected stdout is on Linux: UTF-8, strict.
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict", newline="\n")


def run_cli(argv: list[str]) -> tuple[str, str | None]:
    """(outcome, error kind or None)."""
    out, err = _pipe(), _pipe()
    error = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
        except Exception as exc:  # what a user would see as a traceback
            return f"traceback {kind(exc)}", f"traceback {kind(exc)}"
    for stream in (out, err):
        with contextlib.suppress(ValueError):
            stream.flush()
    stdout = out.buffer.getvalue().decode("utf-8", "replace")
    stderr = err.buffer.getvalue().decode("utf-8", "replace")
    if "Traceback (most recent call last)" in stderr:
        error = "traceback printed"
    elif code == 2 and not stderr.strip():
        error = "exit 2 without a message"
    elif code in (0, 1) and "--format" in argv and "json" in argv:
        try:
            json.loads(out.buffer.getvalue().decode("utf-8"))
        except ValueError:
            error = "json output that is not JSON"
    return f"exit {code}", error


def keep_example(name: str, data: bytes, seen: set[str]) -> None:
    if name in seen:
        return
    seen.add(name)
    OUT.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() else "-" for c in name)
    (OUT / f"{safe}.json").write_bytes(data)


def main_fuzz(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--loader", type=int, default=10_000, metavar="N", help="inputs for parse_events")
    parser.add_argument("--payloads", type=int, default=3_000, metavar="N", help="inputs for read_payloads")
    parser.add_argument("--cli", type=int, default=600, metavar="N", help="CLI runs")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    shutil.rmtree(OUT, ignore_errors=True)  # examples of this run only
    seen: set[str] = set()
    totals: dict[str, tuple[int, Counter, Counter]] = {}
    started = time.monotonic()

    outcomes, errors = Counter(), Counter()
    for _ in range(args.loader):
        data = events_input(rng)
        try:
            outcomes[run_loader(data)] += 1
        except Exception as exc:
            outcomes["error"] += 1
            errors[kind(exc)] += 1
            keep_example(f"loader-{kind(exc)}", data, seen)
    totals["loader (parse_events)"] = (args.loader, outcomes, errors)

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        outcomes, errors = Counter(), Counter()
        path = tmp_path / "payloads.json"
        for _ in range(args.payloads):
            data = payloads_input(rng)
            path.write_bytes(data)
            try:
                outcomes[run_payloads(path)] += 1
            except Exception as exc:
                outcomes["error"] += 1
                errors[kind(exc)] += 1
                keep_example(f"payloads-{kind(exc)}", data, seen)
        totals["payload reader (read_payloads + validate_all)"] = (args.payloads, outcomes, errors)

        token = tmp_path / "token"
        token.write_text("not-a-token")
        nowhere = ["--url", "http://127.0.0.1:9", "--token-file", str(token), "--retries", "0", "--timeout", "2"]
        commands = [
            ("compute", "json", events_input, ["compute", "{f}", "--run-date", "2021-12-09", "--until", "2021-12-12"]),
            ("compute", "table", events_input, ["compute", "{f}", "--run-date", "2021-12-03", "--format", "table"]),
            ("validate", "text", payloads_input, ["validate", "{f}"]),
            ("validate", "json", payloads_input, ["validate", "{f}", "--format", "json"]),
            ("push", "", payloads_input, ["push", "{f}", *nowhere]),
            ("save", "", events_input, ["save", "{f}", *nowhere, "--backup-dir", str(tmp_path / "bk")]),
        ]
        weights = [0.25, 0.2, 0.2, 0.2, 0.075, 0.075]
        outcomes, errors = Counter(), Counter()
        by_command: Counter = Counter()
        for _ in range(args.cli):
            name, fmt, make, template = rng.choices(commands, weights)[0]
            data = make(rng)
            path = tmp_path / "input.json"
            path.write_bytes(data)
            argv_ = [str(path) if a == "{f}" else a for a in template]
            label = f"{name} {fmt}".strip()
            by_command[label] += 1
            outcome, error = run_cli(argv_)
            outcomes[f"{label}: {outcome}"] += 1
            if error:
                errors[f"{label}: {error}"] += 1
                keep_example(f"cli-{label}-{error}", data, seen)
        totals["cli (in process, strict UTF-8 pipes)"] = (args.cli, outcomes, errors)

    print(f"seed {args.seed}, {time.monotonic() - started:.0f} s")
    for target, (count, outcomes, errors) in totals.items():
        print(f"\n{target}: {count} inputs")
        for name, n in sorted(outcomes.items()):
            print(f"  {n:6d}  {name}")
        print(f"  errors: {sum(errors.values())}" + ("" if errors else " (none)"))
        for name, n in errors.most_common():
            print(f"  {n:6d}  {name}")
    if seen:
        print(f"\nan example of each error kind: {OUT}")
    return 1 if any(errors for _, _, errors in totals.values()) else 0


if __name__ == "__main__":
    sys.setrecursionlimit(1000)  # the interpreter's default, as for a user
    try:
        raise SystemExit(main_fuzz())
    except Exception:
        traceback.print_exc()
        raise SystemExit(3)
