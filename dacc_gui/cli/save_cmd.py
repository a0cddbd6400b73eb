"""``dacc-gui save``: write back the events of a file whose eventDate or aggregated differ from the Cozy's.

Every other field of a document is left as it is on the server. A document
changed on the server since the file was pulled is a conflict and is not
written (``--reapply-conflicts`` reloads it and writes the file's edit onto
it). The documents about to change are backed up first; the path is printed.
"""

from __future__ import annotations

import argparse
import sys

from dacc_gui.cli.cozy_options import add_connection_args, connect
from dacc_gui.cli.main import EXIT_OK, EXIT_SOME_FAILED, UsageError
from dacc_gui.cozy.client import CozyError
from dacc_gui.cozy.sync import Change, Outcome, SaveSession, reload_and_reapply, save_events, write_changes
from dacc_gui.events.loader import LoadError, load_file


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("save", help="write edited event dates back to a Cozy",
                                   description=__doc__)
    parser.add_argument("file", metavar="FILE", help="events (any export shape; this project's pull keeps _rev)")
    add_connection_args(parser)
    parser.add_argument("--bulk", action="store_true",
                        help="write with _bulk_docs (needs POST on the doctype; else one by one)")
    parser.add_argument("--backup-dir", metavar="DIR", help="where the backup goes (default: the data directory)")
    parser.add_argument("--reapply-conflicts", action="store_true",
                        help="reload each conflicting document and write the file's edit onto it")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        event_set = load_file(args.file, doctype=args.events_doctype)
    except LoadError as exc:
        raise UsageError(str(exc)) from None
    session = SaveSession(args.backup_dir)
    try:
        client = connect(args)
    except CozyError as exc:  # signing in failed, or the Cozy is unreachable
        print(f"dacc-gui save: {exc}", file=sys.stderr)
        return EXIT_SOME_FAILED
    with client:
        try:
            report = save_events(client, event_set.events, args.events_doctype, session=session, bulk=args.bulk)
            if args.reapply_conflicts:
                _reapply(client, args.events_doctype, report, session)
        except CozyError as exc:
            print(f"dacc-gui save: {exc}", file=sys.stderr)
            return EXIT_SOME_FAILED
    for note in report.notes:
        print(f"note: {note}")
    if session.backup_path:
        print(f"backup of the documents before the change: {session.backup_path}")
    print(report.summary())
    for result in report.results:
        if result.outcome not in (Outcome.WRITTEN, Outcome.UNCHANGED):
            hint = " — pull again, or use --reapply-conflicts" if result.outcome is Outcome.CONFLICT else ""
            print(f"  {result.describe()}{hint}")
    return EXIT_OK if report.all_good else EXIT_SOME_FAILED


def _reapply(client, doctype: str, report, session: SaveSession) -> None:
    for n, result in enumerate(report.results):
        if result.outcome is not Outcome.CONFLICT or result.change is None:
            continue
        fresh = reload_and_reapply(client, result.change, doctype)
        if isinstance(fresh, Change):
            fresh = write_changes(client, [fresh], doctype, session=session).results[0]
        report.results[n] = fresh
