"""``dacc-gui app [FILE] [--sample]``: open the desktop app."""

from __future__ import annotations

import argparse
import ctypes.util
import os
import sys
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
    problem = display_problem()
    if problem:
        raise UsageError(problem)
    try:
        from dacc_gui.ui.app import run as run_app
    except ImportError as exc:  # Qt missing or broken: say so, no traceback
        raise UsageError(f"the desktop app cannot start: {exc}. Install PySide6 (pip install -e .)") from None
    return run_app(path, sample=args.sample)


def display_problem(environ: dict[str, str] | None = None, platform: str | None = None) -> str | None:
    """Why Qt could not open a window here, said before Qt aborts the process."""
    environ = os.environ if environ is None else environ
    platform = platform or sys.platform
    if not platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return None
    if not environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY"):
        return ("no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set). Run it in a "
                "desktop session, or under Xvfb (xvfb-run dacc-gui app); the headless commands (compute, "
                "serve, validate...) need no display")
    if not environ.get("WAYLAND_DISPLAY") and ctypes.util.find_library("xcb-cursor") is None:
        return ("Qt's X11 platform needs the xcb-cursor library, which is not installed: "
                "sudo apt-get install libxcb-cursor0 (Debian/Ubuntu), then try again")
    return None
