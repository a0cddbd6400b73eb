"""A stand-in for Ecolyo's aggregatorUsageEvents service, for tests and demos.

    python tests/standin_service.py EVENTS.json --run-date 2021-12-09 --url http://127.0.0.1:8081

computes the night of ``--run-date`` over the events with the rulebook (as
the app's preview does) and POSTs each indicator to ``URL/`` as
``{"data": "<compact JSON>"}``, the way the Ecolyo service does in the
Ecolyo page's local-test recipe. With ``--payloads FILE`` it posts the
payloads of that file instead (a JSON list, or an object whose
``indicators`` or ``expected.indicators`` hold them: a hand-computed
fixture or a golden case), as a service whose output is known beforehand,
so that a test judges the app's preview against something the rulebook's
code did not compute. Without ``--url`` it reads the
``DACC_RECEIVER_URL`` environment variable (the "Run Ecolyo's service"
dialog sets it). Bugs to simulate, by indicator position (0-based,
repeatable): ``--drop N`` does not send it, ``--duplicate N`` sends it
twice, ``--alter-value N`` sends it with its value plus one.

Exit status: 0 when every post got a 2xx, 1 when some were refused, 2 on
bad input or an unreachable receiver.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

# Run as a script: the checkout's package, not an installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from dacc_gui.events.loader import LoadError, load_file  # noqa: E402
from dacc_gui.rules import NightlyRun  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("events", type=Path, nargs="?", help="usage events (any format the app reads)")
    parser.add_argument("--run-date", required=True, type=date.fromisoformat, help="the night to run, YYYY-MM-DD")
    parser.add_argument("--payloads", type=Path, metavar="FILE",
                        help="post these payloads instead of computing them (a list, or a fixture or golden case)")
    parser.add_argument("--url", default=os.environ.get("DACC_RECEIVER_URL"),
                        help="the receiver (default: $DACC_RECEIVER_URL)")
    parser.add_argument("--ignore-monthly-date-protection", action="store_true")
    parser.add_argument("--drop", type=int, action="append", default=[], metavar="N")
    parser.add_argument("--duplicate", type=int, action="append", default=[], metavar="N")
    parser.add_argument("--alter-value", type=int, action="append", default=[], metavar="N")
    return parser.parse_args(argv)


def planned_posts(payloads: list[dict], drop=(), duplicate=(), alter=()) -> list[dict]:
    """The payloads to send once the simulated bugs are applied."""
    out = []
    for n, payload in enumerate(payloads):
        if n in drop:
            continue
        if n in alter:
            payload = dict(payload, value=payload["value"] + 1)
        out.append(payload)
        if n in duplicate:
            out.append(payload)
    return out


def read_payloads(path: Path) -> list[dict]:
    """The payloads of a file: a list, or ``indicators`` / ``expected.indicators`` of an object."""
    data = json.loads(path.read_text("utf-8"))
    if isinstance(data, dict):
        data = data.get("indicators", data.get("expected", {}).get("indicators"))
    if not isinstance(data, list) or not all(isinstance(p, dict) for p in data):
        raise ValueError("expected a list of payloads, or an object with indicators or expected.indicators")
    return data


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.url:
        print("standin-service: no receiver: give --url or set DACC_RECEIVER_URL", file=sys.stderr)
        return 2
    if args.payloads is not None:
        try:
            payloads = read_payloads(args.payloads)
        except (OSError, ValueError) as exc:
            print(f"standin-service: {args.payloads}: {exc}", file=sys.stderr)
            return 2
    elif args.events is None:
        print("standin-service: give the events, or --payloads", file=sys.stderr)
        return 2
    else:
        try:
            event_set = load_file(args.events)
        except LoadError as exc:
            print(f"standin-service: {exc}", file=sys.stderr)
            return 2
        run = NightlyRun(args.run_date, event_set.context, args.ignore_monthly_date_protection)
        payloads = run.apply(event_set.events).payloads()
    posts = planned_posts(payloads, set(args.drop), set(args.duplicate), set(args.alter_value))
    print(f"standin-service: run of {args.run_date}: {len(payloads)} indicators, sending {len(posts)} "
          f"to {args.url}", flush=True)
    url = args.url.rstrip("/") + "/"
    refused = 0
    try:
        with httpx.Client(timeout=10) as client:
            for payload in posts:
                body = {"data": json.dumps(payload, separators=(",", ":"), ensure_ascii=False)}
                answer = client.post(url, json=body)
                ok = 200 <= answer.status_code < 300
                refused += not ok
                print(f"{answer.status_code} {payload['measureName']} {payload['startDate']} "
                      f"value={payload['value']}" + ("" if ok else f"  {answer.text[:200]}"), flush=True)
    except httpx.HTTPError as exc:
        print(f"standin-service: cannot reach {url}: {exc}", file=sys.stderr)
        return 2
    print(f"standin-service: done, {len(posts) - refused} accepted, {refused} refused", flush=True)
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
