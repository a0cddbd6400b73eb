"""``dacc-gui pull``: read every usage event of a Cozy into a file (this project's format, ``_rev`` kept)."""

from __future__ import annotations

import argparse
import sys

from dacc_gui.cli.cozy_options import add_connection_args, connect
from dacc_gui.cli.main import EXIT_OK, EXIT_SOME_FAILED, UsageError
from dacc_gui.cozy.client import CozyError
from dacc_gui.cozy.events import FIND, NORMAL_DOCS, pull_events
from dacc_gui.events.saver import save_file


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("pull", help="read the usage events of a Cozy into a file",
                                   description=__doc__)
    add_connection_args(parser)
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write the events")
    parser.add_argument("--method", choices=(NORMAL_DOCS, FIND), default=NORMAL_DOCS,
                        help="_normal_docs (default, every document) or Mango _find on an eventDate index")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        client = connect(args)
    except CozyError as exc:  # signing in failed, or the Cozy is unreachable
        print(f"dacc-gui pull: {exc}", file=sys.stderr)
        return EXIT_SOME_FAILED
    with client:
        try:
            result = pull_events(client, args.events_doctype, method=args.method)
        except CozyError as exc:
            print(f"dacc-gui pull: {exc}", file=sys.stderr)
            return EXIT_SOME_FAILED
    try:
        path = save_file(result.event_set, args.output)
    except OSError as exc:
        raise UsageError(f"-o {args.output}: cannot write it ({exc.strerror or exc})") from None
    events = len(result.event_set.events)
    note = " (the database does not exist yet)" if result.database_missing else ""
    print(f"{events} events read from {client.url}{note} into {path}")
    for line in result.event_set.problems()[:20]:
        print(f"  kept as is: {line}")
    return EXIT_OK
