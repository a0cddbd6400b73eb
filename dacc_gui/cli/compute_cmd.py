"""``dacc-gui compute``: the indicators the nightly service would send."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dacc_gui import DEFAULT_DOCTYPE
from dacc_gui.cli.dates import iso_date
from dacc_gui.cli.main import UsageError
from dacc_gui.cli.output import write_json
from dacc_gui.common import jsontext
from dacc_gui.common.jsontext import JSONTextError
from dacc_gui.events.context import ContextError, UserContext
from dacc_gui.events.loader import LoadError, load_file
from dacc_gui.rules import RunResult, simulate


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compute",
        help="compute the indicators of one night or a range of nights",
        description=(
            "Compute the indicators Ecolyo's nightly service would send for a run date "
            "(or each night of a range, each seeing the aggregated flags the previous "
            "nights left). The events file is never modified."
        ),
    )
    p.add_argument("file", metavar="FILE", help="usage events (any export shape, or JSON Lines)")
    p.add_argument("--run-date", required=True, type=iso_date, metavar="YYYY-MM-DD", help="the (first) night")
    p.add_argument("--until", type=iso_date, metavar="YYYY-MM-DD", help="last night of a range (inclusive)")
    p.add_argument("--context", metavar="CONTEXT.json",
                   help="user context (default: the file's 'context' object, else the defaults)")
    p.add_argument("--ignore-monthly-date", action="store_true",
                   help="send monthly indicators whatever the day (the local-test recipe's switch)")
    p.add_argument("--format", choices=("json", "table"), default="json")
    p.add_argument("--doctype", default=DEFAULT_DOCTYPE, help=f"doctype key of an ACH export (default {DEFAULT_DOCTYPE})")
    p.set_defaults(func=run)


def read_context(path: str) -> UserContext:
    try:
        value = jsontext.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the context ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except JSONTextError as exc:
        raise UsageError(f"{path}: {exc}") from None
    if isinstance(value, dict) and isinstance(value.get("context"), dict):
        value = value["context"]
    try:
        return UserContext.parse(value, where=path)
    except ContextError as exc:
        raise UsageError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    until = args.until or args.run_date
    if until < args.run_date:
        raise UsageError(f"--until {until} is before --run-date {args.run_date}")
    try:
        event_set = load_file(args.file, doctype=args.doctype)
    except LoadError as exc:
        raise UsageError(str(exc)) from None
    for line in event_set.problems():
        print(f"warning: {line}", file=sys.stderr)
    context = read_context(args.context) if args.context else event_set.context
    results = simulate(event_set.events, context, args.run_date, until, args.ignore_monthly_date)
    if args.format == "json":
        write_json({"runs": [r.to_json() for r in results]})
    else:
        for result in results:
            sys.stdout.write(format_table(result))
    return 0


def format_table(result: RunResult) -> str:
    """A run as text for a terminal."""
    lines = [f"Night of {result.run_date}: {len(result.indicators)} indicator(s), "
             f"{len(result.aggregated)} event(s) marked aggregated"]
    if result.consent_blocked:
        lines.append("  consent not given: nothing sent, nothing marked aggregated")
    if result.monthly_held_back:
        lines.append(f"  monthly part not run: the monthly analysis day is {result.monthly_analysis_day}")
    rows = []
    for ind in result.indicators:
        groups = " ".join(f"{k}={v}" for k, v in (grp for grp in ind.groups if grp))
        rows.append((ind.measureName, ind.startDate, str(ind.value), groups))
    if rows:
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        for r in rows:
            lines.append(f"  {r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}".rstrip())
    for skipped in result.skipped:
        lines.append(f"  skipped {skipped.event_id}: {skipped.reason}")
    for note in result.notes:
        lines.append(f"  note: {note}")
    return "\n".join(lines) + "\n\n"
