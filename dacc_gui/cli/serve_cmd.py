"""``dacc-gui serve``: the built-in DACC receiver, headless, one log line per request.

Stops cleanly on Ctrl-C or SIGTERM: the requests in flight are answered and
recorded first. Exits 2 with a message when the port is taken or the database
unusable. The token comes from ``--token-file F`` or ``DACC_GUI_RECEIVER_TOKEN``
(which process listings do not show), or ``--token T``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from dacc_gui.cli.main import UsageError
from dacc_gui.receiver.backends import is_postgres_url
from dacc_gui.receiver import jsontext
from dacc_gui.receiver.httplayer import DEFAULT_READ_TIMEOUT
from dacc_gui.receiver import (
    DEFAULT_CAP,
    DEFAULT_HOST,
    DEFAULT_PORT,
    Receiver,
    ReceiverError,
    StoreError,
    default_db_path,
    is_loopback,
)

TOKEN_ENV = "DACC_GUI_RECEIVER_TOKEN"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the built-in DACC receiver without the app",
        description=(
            "Run the built-in DACC receiver: it answers every measure as the real DACC does "
            "(its 500s and its 201s that store nothing included; --clear-errors makes those "
            "400 and 422), says why in each record, and keeps every request. One line per "
            "request on stdout. Control API for scripts under /_receiver/ (summary, measures, "
            "reset, export, faults, mode, aggregation, aggregates)."
        ),
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}; anything but loopback exposes the receiver)",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks one)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--db", metavar="PATH|URL",
        help=f"SQLite file for the records (default {default_db_path()}), or a postgresql:// URL: "
        "a receiver a team shares",
    )
    where.add_argument("--memory", action="store_true", help="keep the records in memory only (lost on exit)")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--token-file", metavar="F",
                     help="require 'Authorization: Bearer <token>' as the real DACC does, the token being "
                          f"the first line of F (or set {TOKEN_ENV}); the control API then needs it too")
    how.add_argument("--token", metavar="T",
                     help=f"the same with the token given here (every process listing shows it: prefer "
                          f"--token-file or {TOKEN_ENV})")
    parser.add_argument("--read-timeout", type=float, default=DEFAULT_READ_TIMEOUT, metavar="SECONDS",
                        help=f"a request's headers or body that take longer get 408 (default "
                             f"{DEFAULT_READ_TIMEOUT:g})")
    parser.add_argument(
        "--clear-errors",
        action="store_true",
        help="fail loudly where production hides a mistake: its 500s are answered 400 with a clear "
        "message, and a measure it would answer 201 but not store gets 422 (default: answer "
        "exactly as production does)",
    )
    parser.add_argument(
        "--aggregation-schedule",
        action="store_true",
        help="run production's aggregation pass on each definition's executionFrequency (day, "
        "week, month) as its cron does; without it a pass runs only when asked "
        "(POST /_receiver/aggregation, or dacc-gui aggregate)",
    )
    parser.add_argument(
        "--cap", type=int, default=DEFAULT_CAP, help=f"records kept, oldest dropped first (default {DEFAULT_CAP})"
    )
    parser.add_argument(
        "--workers", type=int, default=1, metavar="N",
        help="server processes (default 1); more than one needs a postgresql:// --db",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a port number (0-65535)")
    if args.cap < 1:
        raise UsageError("--cap must be at least 1")
    if not args.read_timeout > 0:
        raise UsageError("--read-timeout must be a positive number of seconds")
    token = _token(args)
    db_path = None if args.memory else (args.db or default_db_path())
    if args.workers != 1:
        return _run_workers(args, db_path, token)
    try:
        receiver = Receiver(
            db_path, host=args.host, port=args.port, token=token, cap=args.cap,
            clear_errors=args.clear_errors, aggregation_schedule=args.aggregation_schedule,
            read_timeout=args.read_timeout,
        )
    except StoreError as exc:
        raise UsageError(str(exc)) from exc
    # encodable: a body's lone surrogate would make print() fail
    receiver.add_listener(lambda record: print(jsontext.encodable(record.log_line()), flush=True))
    receiver.add_refusal_listener(
        lambda status, reason: print(f"{status} refused by the HTTP layer before the receiver: {reason}", flush=True)
    )
    try:
        receiver.start()
    except ReceiverError as exc:
        receiver.close()
        raise UsageError(str(exc)) from exc

    where = "memory only" if db_path is None else getattr(receiver.store, "where", str(db_path))  # no password
    answers = "clear errors (400 for production's 500s, 422 for what it would not store)" if args.clear_errors \
        else "as production"
    print(f"DACC receiver on {receiver.url} (records: {where}; answers {answers}); Ctrl-C stops",
          file=sys.stderr, flush=True)
    if not is_loopback(args.host):
        print(
            f"warning: listening on {args.host}: anyone who reaches this address can post measures "
            "and read every record through /_receiver/",
            file=sys.stderr,
            flush=True,
        )
    stopping = threading.Event()

    def on_signal(*_: object) -> None:
        if stopping.is_set():  # a second Ctrl-C while the requests in flight are answered
            print("dacc-gui serve: still answering the requests in flight, then stopping", file=sys.stderr,
                  flush=True)
        stopping.set()

    # Kept until the end: a second Ctrl-C must not interrupt the stop half-way.
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping.wait(0.5):
            if not receiver.running:
                print("dacc-gui serve: the server stopped unexpectedly", file=sys.stderr)
                return 1
        receiver.stop()
        summary = receiver.store.summary()
    finally:
        receiver.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    refused = f", {summary['httpRefused']} refused by the HTTP layer" if summary.get("httpRefused") else ""
    print(
        "DACC receiver stopped: {total} measure requests kept, {accepted} accepted, {rejected} rejected, "
        "{warnings} with warnings, {notStoredByProduction} not stored by production".format(**summary) + refused,
        file=sys.stderr,
        flush=True,
    )
    return 0


def _run_workers(args: argparse.Namespace, db: object, token: str | None) -> int:
    """``--workers N``: uvicorn's supervisor and N processes on one PostgreSQL database."""
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if not is_postgres_url(db):
        raise UsageError(
            "--workers needs a PostgreSQL --db (postgresql://...): a SQLite file is one process's"
        )
    from dacc_gui.receiver.pg_store import describe
    from dacc_gui.receiver.workers import serve_workers

    def listening(port: int) -> None:
        host = f"[{args.host}]" if ":" in args.host else args.host
        print(f"DACC receiver on http://{host}:{port} (records: {describe(db)}; {args.workers} workers); "
              "Ctrl-C stops", file=sys.stderr, flush=True)
        if not is_loopback(args.host):
            print(f"warning: listening on {args.host}: anyone who reaches this address can post measures "
                  "and read every record through /_receiver/", file=sys.stderr, flush=True)

    try:
        serve_workers(
            db, args.host, args.port, args.workers, token, args.cap, clear_errors=args.clear_errors,
            aggregation_schedule=args.aggregation_schedule, read_timeout=args.read_timeout,
            on_listening=listening,
        )
    except (StoreError, ReceiverError) as exc:
        raise UsageError(str(exc)) from exc
    print("DACC receiver stopped", file=sys.stderr, flush=True)
    return 0


def _token(args: argparse.Namespace) -> str | None:
    """The token from --token-file, --token or the environment (in that order), or None."""
    if args.token_file:
        try:
            text = Path(args.token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            why = getattr(exc, "strerror", None) or exc
            raise UsageError(f"--token-file {args.token_file}: cannot read it ({why})") from None
        if not text:
            raise UsageError(f"--token-file {args.token_file}: the file is empty")
        return text.splitlines()[0].strip()
    if args.token is not None:
        if not args.token.strip():
            raise UsageError("--token is empty")
        return args.token
    return os.environ.get(TOKEN_ENV, "").strip() or None
