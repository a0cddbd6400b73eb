"""The receiver for a team: ``serve --db postgresql://... --workers N`` against the bare baseline.

    .venv/bin/python bench/bench_receiver_pg.py [--duration 20] [--clients 50] [--workers 2]

The load and the baseline are ``bench_receiver.py``'s (a bare Starlette app on
uvicorn, one process); the receiver is ``dacc-gui serve`` with ``--workers``
processes on a PostgreSQL the script starts (the ``pgserver`` wheel of the test
extra), every request validated and recorded, duplicates claimed in the
database. Prints measures per second, p50/p99 latency, the ratio to the
baseline, and checks that PostgreSQL holds exactly as many accepted measures
as were acknowledged with 201.

Not a test: figures depend on the machine (and on the database sharing its cores).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_receiver import load, percentile, report, run_one  # noqa: E402
from tests.postgres_support import fresh_database, postgres_server  # noqa: E402


def run_workers(url: str, workers: int, clients: int, duration: float, warmup: float) -> dict:
    import httpx

    proc = subprocess.Popen(
        [sys.executable, "-m", "dacc_gui", "serve", "--port", "0", "--db", url, "--workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        first = proc.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)", first)
        if not found:
            raise SystemExit(f"serve did not start: {first}")
        port = int(found.group(1))
        for _ in range(100):  # the workers are up once one answers
            try:
                httpx.get(f"http://127.0.0.1:{port}/status", timeout=5)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        stats = asyncio.run(load(port, clients, duration, warmup))
        stats["summary"] = httpx.get(f"http://127.0.0.1:{port}/_receiver/summary", timeout=30).json()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    stats["rps"] = stats["measured"] / duration
    lat = stats["latencies"]
    stats["p50"], stats["p99"] = percentile(lat, 0.50) * 1000, percentile(lat, 0.99) * 1000
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"{args.clients} keep-alive clients on loopback, {args.duration:g} s each (after {args.warmup:g} s "
          f"warm-up), {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {args.workers} workers")
    baseline = run_one("baseline", args.clients, args.duration, args.warmup)
    report("baseline", baseline)
    with postgres_server() as server:
        import psycopg

        url = fresh_database(server)
        receiver = run_workers(url, args.workers, args.clients, args.duration, args.warmup)
        report("receiver", receiver)
        with psycopg.connect(url) as conn:
            stored = conn.execute(
                "SELECT count(*) FROM records WHERE kind = 'measure' AND status = 201").fetchone()[0]
    acknowledged = receiver["codes"].get(201, 0)
    print(f"ratio     {receiver['rps'] / baseline['rps']:.2f}x the bare baseline (one process)")
    print(f"stored    {stored} accepted records for {acknowledged} answers 201 "
          f"(summary said {receiver['summary']['accepted']}): {'equal' if stored == acknowledged else 'MISMATCH'}")
    return 0 if stored == acknowledged else 1


if __name__ == "__main__":
    raise SystemExit(main())
