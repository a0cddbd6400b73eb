"""What ``pull``, ``save`` and ``push`` share: the Cozy address, the token, the retries.

The token comes from ``--token-file F``, the ``DACC_GUI_COZY_TOKEN`` variable,
or ``--oauth`` (sign in through the browser; tokens kept in the system keyring
when one works). It is never taken on the command line, where every process
listing would show it, and never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import webbrowser
from pathlib import Path

from dacc_gui import DEFAULT_DOCTYPE
from dacc_gui.cli.main import UsageError
from dacc_gui.cozy.client import CozyClient, RetryPolicy, StaticToken, TokenSource, normalize_url
from dacc_gui.cozy.oauth import OAuthToken, sign_in
from dacc_gui.cozy.tokens import open_token_store

TOKEN_ENV = "DACC_GUI_COZY_TOKEN"


def add_connection_args(parser: argparse.ArgumentParser, doctype: bool = True) -> None:
    group = parser.add_argument_group("Cozy connection")
    group.add_argument("--url", required=True, help="the Cozy, e.g. http://cozy.localhost:8080")
    how = group.add_mutually_exclusive_group()
    how.add_argument("--token-file", metavar="F",
                     help="a file holding a token (cozy-stack instances token-app <domain> ecolyo); "
                          f"or set {TOKEN_ENV}")
    how.add_argument("--oauth", action="store_true",
                     help="sign in through the browser (OAuth 2 with PKCE); tokens kept in the system keyring")
    if doctype:
        group.add_argument("--events-doctype", default=DEFAULT_DOCTYPE, metavar="DOCTYPE",
                           help=f"the usage-event doctype (default {DEFAULT_DOCTYPE})")
    group.add_argument("--retries", type=int, default=3, metavar="N",
                       help="retries after a timeout, a refused connection or a 5xx (default 3)")
    group.add_argument("--backoff", type=float, default=0.5, metavar="SECONDS",
                       help="first wait before a retry, doubled each time (default 0.5)")
    group.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                       help="per request (default 30)")


def _token_source(args: argparse.Namespace, url: str) -> TokenSource:
    if args.token_file:
        try:
            text = Path(args.token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"--token-file {args.token_file}: cannot read it ({exc.strerror or exc})") from None
        if not text:
            raise UsageError(f"--token-file {args.token_file}: the file is empty")
        return StaticToken(text.splitlines()[0])
    if os.environ.get(TOKEN_ENV, "").strip():
        return StaticToken(os.environ[TOKEN_ENV])
    if args.oauth:
        store = open_token_store()
        tokens = store.load(url)
        if tokens is None:
            print(f"Signing in to {url}: finish in the browser window that opens…", file=sys.stderr)
            tokens = sign_in(url, open_browser=_open_browser)
            store.save(url, tokens)
        if not store.persistent:
            print(f"note: {store.note}", file=sys.stderr)
        return OAuthToken(url, tokens, store)
    raise UsageError(
        f"no token: give --token-file F (a token from `cozy-stack instances token-app <domain> ecolyo`), "
        f"set {TOKEN_ENV}, or sign in with --oauth"
    )


def _open_browser(link: str) -> bool:
    # The link carries no secret; shown so that a machine without a browser can still sign in.
    print(f"If no browser opens, open this address: {link}", file=sys.stderr)
    webbrowser.open(link)
    return True


def connect(args: argparse.Namespace) -> CozyClient:
    """A client for ``--url`` with the token the options give; UsageError when there is none."""
    try:
        url = normalize_url(args.url)
    except ValueError as exc:
        raise UsageError(f"--url: {exc}") from None
    if args.retries < 0 or args.backoff < 0 or args.timeout <= 0:
        raise UsageError("--retries and --backoff must not be negative, --timeout must be positive")
    source = _token_source(args, url)
    return CozyClient(url, source, retry=RetryPolicy(attempts=args.retries + 1, backoff=args.backoff),
                      timeout=args.timeout)
