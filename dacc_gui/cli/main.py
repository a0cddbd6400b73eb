"""``dacc-gui``: entry point. Each command lives in its own module of this
package and exposes ``register(subparsers)``; a command returns its exit code.

Exit codes everywhere: 0 all good, 1 some items failed (listed), 2 bad input
or usage (message on stderr).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys

from dacc_gui import __version__
from dacc_gui.cli.output import show_any_string

# In the order ``--help`` lists them.
COMMANDS = ("app", "compute", "validate", "generate", "serve", "aggregate", "pull", "save", "push")

EXIT_OK, EXIT_SOME_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(Exception):
    """Bad input or usage: printed on stderr, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dacc-gui",
        description=(
            "DACC Inspector: load Ecolyo usage events, edit their dates, preview the "
            "indicators the nightly service would send to Cozy's DACC, receive them "
            "in a mock DACC, compare, and push to the dev DACC. Without a command, "
            "opens the desktop app."
        ),
    )
    parser.add_argument("--version", action="version", version=f"dacc-gui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module_name = f"dacc_gui.cli.{name}_cmd"
        if importlib.util.find_spec(module_name) is None:
            continue
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        if "app" in parser._subparsers._group_actions[0].choices:  # type: ignore[union-attr]
            args = parser.parse_args(["app", *(argv or sys.argv[1:])])
        else:
            parser.print_help()
            return EXIT_OK
    # Strings of the input go to the terminal: one no encoding can write
    # (a lone surrogate) is shown escaped, not a crash halfway through.
    show_any_string(sys.stdout, sys.stderr)
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"dacc-gui {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"dacc-gui {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
