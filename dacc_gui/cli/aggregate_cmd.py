"""``dacc-gui aggregate``: run production's aggregation pass on a running receiver.

What the DACC's cron (``flask compute-all-aggregations``) does, asked of the
receiver's control API (``POST /_receiver/aggregation``): afterwards
``/aggregate`` and the production view show the merged figures.
"""

from __future__ import annotations

import argparse

import httpx

from dacc_gui.cli.main import EXIT_OK, EXIT_SOME_FAILED, UsageError
from dacc_gui.receiver import DEFAULT_HOST, DEFAULT_PORT


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "aggregate",
        help="run production's aggregation pass on a running receiver",
        description=(
            "Run the DACC's aggregation pass on a running receiver (dacc-gui serve or the app): "
            "the raw measures production stored since the last pass are merged into the stored "
            "aggregates, as its cron does. By default every definition is aggregated now; "
            "--due-only keeps to those whose executionFrequency has passed."
        ),
    )
    parser.add_argument("--url", default=f"http://{DEFAULT_HOST}:{DEFAULT_PORT}",
                        help="the receiver (default %(default)s)")
    parser.add_argument("--measure", metavar="NAME", help="only this definition")
    parser.add_argument("--due-only", action="store_true",
                        help="only definitions whose executionFrequency has passed since their last pass")
    parser.add_argument("--token", metavar="T", help="the receiver's token, if it has one")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    body = {"force": not args.due_only}
    if args.measure:
        body["measureName"] = args.measure
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    try:
        response = httpx.post(args.url.rstrip("/") + "/_receiver/aggregation", json=body, headers=headers, timeout=120)
    except httpx.HTTPError as exc:
        raise UsageError(f"cannot reach the receiver at {args.url}: {exc}") from exc
    if response.status_code != 200:
        raise UsageError(f"the receiver answered {response.status_code}: {response.text[:300]}")
    failed = 0
    for outcome in response.json()["passes"]:
        name = outcome["measureName"]
        if not outcome["ran"]:
            print(f"{name}: no pass ({outcome['note']})")
        elif outcome["ok"]:
            print(f"{name}: {outcome['rawRows']} raw measures aggregated into {outcome['groups']} groups")
        else:
            failed += 1
            print(f"{name}: the pass failed: {outcome['error']}")
    return EXIT_SOME_FAILED if failed else EXIT_OK
