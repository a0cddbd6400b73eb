"""``dacc-gui save``: write back the eventDate and aggregated edits of a file to the Cozy.

Every other field of a document is left as it is on the server. With the
_rev of this project's pull, a document changed on the server since is a
conflict and is not written. A file without _rev (an ACH export) needs
--base, the export as it was before editing: only the fields edited since
are written, onto the server's current version; without it, a field that
differs from the server's cannot be told from a change made there since the
export and is a conflict too. --reapply-conflicts reloads each conflicting
document and writes the file's edit onto it (without a base: the file's
values, as when putting a backup back). The documents about to change are
backed up first; the path is printed.
"""

from __future__ import annotations

import argparse
import sys

from dacc_gui.cli.cozy_options import add_connection_args, connect
from dacc_gui.cli.main import EXIT_OK, EXIT_SOME_FAILED, UsageError
from dacc_gui.cozy.client import CozyError
from dacc_gui.cozy.sync import (
    CHANGED_ON_BOTH_SIDES,
    NO_REV_TO_COMPARE,
    Change,
    Outcome,
    SaveSession,
    reload_and_reapply,
    save_events,
    write_changes,
)
from dacc_gui.events.loader import LoadError, load_file


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("save", help="write edited event dates back to a Cozy",
                                   description=__doc__)
    parser.add_argument("file", metavar="FILE", help="events (any export shape; this project's pull keeps _rev)")
    add_connection_args(parser)
    parser.add_argument("--bulk", action="store_true",
                        help="write with _bulk_docs (needs POST on the doctype; else one by one)")
    parser.add_argument("--backup-dir", metavar="DIR", help="where the backup goes (default: the data directory)")
    parser.add_argument("--base", metavar="EXPORT",
                        help="the export as it was before editing (for a file without _rev): only the fields "
                             "edited since are written, over the server's current documents")
    parser.add_argument("--reapply-conflicts", action="store_true",
                        help="reload each conflicting document and write the file's edit onto it")
    parser.set_defaults(func=run)


HINTS = {
    CHANGED_ON_BOTH_SIDES: " — --reapply-conflicts writes the edit over the server's value",
    NO_REV_TO_COMPARE: " — give --base (the export before editing), or --reapply-conflicts to write the file's values",
}


def run(args: argparse.Namespace) -> int:
    try:
        event_set = load_file(args.file, doctype=args.events_doctype)
        base = None
        if args.base:
            base = {e.id: e.to_document() for e in load_file(args.base, doctype=args.events_doctype).events if e.id}
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
            report = save_events(client, event_set.events, args.events_doctype, session=session, bulk=args.bulk,
                                 base=base)
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
            hint = ""
            if result.outcome is Outcome.CONFLICT:
                hint = next((h for start, h in HINTS.items() if result.message.startswith(start)),
                            " — pull again, or use --reapply-conflicts")
            print(f"  {result.describe()}{hint}")
    return EXIT_OK if report.all_good else EXIT_SOME_FAILED


def _reapply(client, doctype: str, report, session: SaveSession) -> None:
    reapplied = 0
    for n, result in enumerate(report.results):
        if result.outcome is not Outcome.CONFLICT or result.change is None:
            continue
        fresh = reload_and_reapply(client, result.change, doctype)
        if isinstance(fresh, Change):
            reapplied += 1
            fresh = write_changes(client, [fresh], doctype, session=session).results[0]
        report.results[n] = fresh
    if reapplied:
        report.notes.append(f"{reapplied} conflicting event(s) reloaded, the file's edit written onto each")
