"""``dacc-gui push``: send indicators to the dev DACC through a Cozy, one request each.

FILE holds a list of indicators, one indicator, or a ``compute`` output.
Indicators the DACC would reject are not sent unless ``--force``. The
production DACC doctypes are refused.
"""

from __future__ import annotations

import argparse
import sys

from dacc_gui.cli.cozy_options import add_connection_args, connect
from dacc_gui.cli.main import EXIT_OK, EXIT_SOME_FAILED, UsageError
from dacc_gui.cozy.client import CozyError
from dacc_gui.dacc.payloads import PayloadError, read_payloads
from dacc_gui.cozy.push import DEV_DOCTYPES, PushOutcome, PushRefused, check_doctype, push_indicators


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("push", help="send indicators to the dev DACC through a Cozy",
                                   description=__doc__)
    parser.add_argument("file", metavar="FILE", help="indicators (a list, one, or a compute output)")
    add_connection_args(parser, doctype=False)
    parser.add_argument("--doctype", default=DEV_DOCTYPES[0],
                        help=f"the remote doctype: {' or '.join(DEV_DOCTYPES)} (default {DEV_DOCTYPES[0]})")
    parser.add_argument("--force", action="store_true", help="send indicators the DACC would reject, too")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        check_doctype(args.doctype)
    except PushRefused as exc:
        raise UsageError(str(exc)) from None
    try:
        payloads = read_payloads(args.file)
    except PayloadError as exc:
        raise UsageError(str(exc)) from None
    try:
        client = connect(args)
    except CozyError as exc:  # signing in failed, or the Cozy is unreachable
        print(f"dacc-gui push: {exc}", file=sys.stderr)
        return EXIT_SOME_FAILED
    with client:
        try:
            report = push_indicators(client, payloads, args.doctype, force=args.force)
        except CozyError as exc:
            print(f"dacc-gui push: {exc}", file=sys.stderr)
            return EXIT_SOME_FAILED
    print(report.summary())
    for result in report.results:
        if result.outcome is not PushOutcome.ACCEPTED:
            print(f"  {result.describe()}")
    return EXIT_OK if report.all_good else EXIT_SOME_FAILED
