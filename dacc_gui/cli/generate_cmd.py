"""``dacc-gui generate``: write synthetic Ecolyo usage (one user or a population)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

from dacc_gui.simulation import generator
from dacc_gui.cli.main import EXIT_OK, UsageError
from dacc_gui.events.eventset import Shape
from dacc_gui.events.saver import save_file


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "generate",
        help="write synthetic usage events and a matching user context",
        description=(
            "Write realistic usage events of one user over N days (sessions, konnectors, "
            "challenges, profile, monthly report) and a matching user context. Same seed "
            "and arguments, same bytes. With --users K: one file per user in the folder OUT "
            "(user-001.json...), or with --combined one file "
            '{"events": [... each with "userId"], "contexts": {userId: context}}.'
        ),
    )
    p.add_argument("--days", type=int, required=True, metavar="N", help="number of days (day 1 = --start)")
    p.add_argument("--users", type=int, default=1, metavar="K", help="number of users (default 1)")
    p.add_argument("--start", default=generator.DEFAULT_START.isoformat(), metavar="YYYY-MM-DD",
                   help=f"first day (default {generator.DEFAULT_START.isoformat()})")
    p.add_argument("--seed", type=int, default=generator.DEFAULT_SEED, metavar="S",
                   help=f"random seed (default {generator.DEFAULT_SEED})")
    p.add_argument("--combined", action="store_true", help="all users in one file, each event with a userId")
    p.add_argument("--aggregated-before", metavar="YYYY-MM-DD", dest="aggregated_before",
                   help="mark the events of the days before this one as already aggregated")
    p.add_argument("--format", choices=[s.value for s in Shape], default=Shape.OWN.value,
                   help="file shape for a single user or one file per user (default own: events and context)")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output file (folder for --users K > 1)")
    p.set_defaults(func=run)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} {text!r}: expected a date YYYY-MM-DD") from None


def run(args: argparse.Namespace) -> int:
    if args.days <= 0:
        raise UsageError(f"--days must be at least 1 (got {args.days})")
    if args.users <= 0:
        raise UsageError(f"--users must be at least 1 (got {args.users})")
    start = _day(args.start, "--start")
    before = _day(args.aggregated_before, "--aggregated-before") if args.aggregated_before else None
    shape = Shape(args.format)
    if args.combined and shape is not Shape.OWN:
        raise UsageError("--combined writes this project's format only (drop --format)")
    out = Path(args.output)
    per_user_folder = args.users > 1 and not args.combined

    targets = [out / f"{generator.user_id_for(i, args.users)}.json" for i in range(args.users)] \
        if per_user_folder else [out]
    _check_writable(out, folder=per_user_folder)

    population = generator.generate_population(args.users, args.days, start, args.seed, before)
    try:
        if args.combined:
            save_file(generator.combined_event_set(population), out)
        else:
            for user, target in zip(population, targets):
                save_file(user.event_set(), target, shape)
    except OSError as exc:
        raise UsageError(f"cannot write {exc.filename or out}: {exc.strerror or exc}") from None
    total = sum(len(u.events) for u in population)
    where = f"{len(targets)} files in {out}" if per_user_folder else str(out)
    print(f"wrote {total} events of {args.users} user(s) over {args.days} day(s) from {start} to {where}",
          file=sys.stderr)
    return EXIT_OK


def _check_writable(out: Path, folder: bool) -> None:
    """Fail before generating anything when the output cannot be written."""
    if folder:
        if out.exists() and not out.is_dir():
            raise UsageError(f"{out} is a file; with --users K > 1 OUT is a folder (or use --combined)")
        parent = out if out.exists() else _existing_parent(out)
    else:
        if out.is_dir():
            raise UsageError(f"{out} is a folder; expected a file name")
        parent = _existing_parent(out)
    if not parent.is_dir():
        raise UsageError(f"cannot write {out}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {out}: {parent} is not writable")


def _existing_parent(path: Path) -> Path:
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    return parent
