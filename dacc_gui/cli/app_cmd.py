"""``dacc-gui app [FILE] [--sample]``: open the desktop app."""

from __future__ import annotations

import argparse
from pathlib import Path

from dacc_gui.cli.main import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("app", help="open the desktop app (the default command)",
                            description="Open DACC Inspector's window, on FILE or on the bundled sample.")
    parser.add_argument("file", nargs="?", metavar="FILE", help="a JSON export of usage events to open")
    parser.add_argument("--sample", action="store_true",
                        help="open the bundled sample (a few weeks of one user), moved to end yesterday")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.file and args.sample:
        raise UsageError("give FILE or --sample, not both")
    path = Path(args.file) if args.file else None
    if path is not None and not path.is_file():
        raise UsageError(f"{path}: no such file")
    try:
        from dacc_gui.ui.app import run as run_app
    except ImportError as exc:  # Qt missing or broken: say so, no traceback
        raise UsageError(f"the desktop app cannot start: {exc}. Install PySide6 (pip install -e .)") from None
    return run_app(path, sample=args.sample)
