"""Throughput and latency of the built-in receiver against a bare uvicorn baseline.

    /work/main/.venv/bin/python bench/bench_receiver.py [--duration 20] [--clients 50]

Each server runs in its own process (so the load generator does not share its
interpreter lock) on loopback: first a bare Starlette app on uvicorn that only
answers 201 to ``POST /measure``, then the receiver (validation through the
core, SQLite file in WAL, duplicate detection, every request recorded). The
load: ``--clients`` keep-alive connections, each posting valid measures back
to back for ``--duration`` seconds. Prints measures per second, p50/p99
latency, the ratio to the baseline, and checks that the receiver stored
exactly as many accepted measures as it acknowledged with 201.

Not a test: figures depend on the machine. Goals: ratio >= 0.5 and >= 2,000
validated, persisted measures per second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEVICES = ("mobile", "desktop", "tablet")


# -- servers (run in a child process) ------------------------------------------------
def serve_baseline() -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def measure(request):
        await request.body()
        return Response('{"ok": true}', 201, media_type="application/json")

    app = Starlette(routes=[Route("/measure", measure, methods=["POST"])])
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False,
                            lifespan="off", backlog=2048)
    server = uvicorn.Server(config)

    async def run() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        print(server.servers[0].sockets[0].getsockname()[1], flush=True)
        await task

    asyncio.run(run())


def serve_receiver(db: str) -> None:
    from dacc_gui.receiver import Receiver

    receiver = Receiver(db, host="127.0.0.1", port=0).start()
    print(receiver.port, flush=True)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while not stop:
        time.sleep(0.1)
    receiver.close()


# -- load generator ----------------------------------------------------------------------
def request_bytes(port: int, n: int) -> bytes:
    day = 1 + n % 28
    body = json.dumps({
        "createdBy": "ecolyo",
        "measureName": "connection-count-daily",
        "startDate": f"2021-12-{day:02d}",
        "value": n % 7,
        "group1": {"device": DEVICES[n % 3]},
    }).encode()
    head = (
        f"POST /measure HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body


async def read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def client(port: int, until: float, warmup_end: float, stats: dict, requests: list[bytes], k: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = k
    while True:
        now = time.perf_counter()
        if now >= until:
            break
        writer.write(requests[i % len(requests)])
        i += 50
        status = await read_response(reader)
        done = time.perf_counter()
        stats["codes"][status] = stats["codes"].get(status, 0) + 1
        if now >= warmup_end:
            stats["latencies"].append(done - now)
    writer.close()


async def load(port: int, clients: int, duration: float, warmup: float) -> dict:
    requests = [request_bytes(port, n) for n in range(1000)]
    stats: dict = {"codes": {}, "latencies": []}
    start = time.perf_counter()
    warmup_end = start + warmup
    until = warmup_end + duration
    await asyncio.gather(*(client(port, until, warmup_end, stats, requests, k) for k in range(clients)))
    stats["measured"] = len(stats["latencies"])
    stats["seconds"] = duration
    return stats


def _cpu_seconds(pid: int) -> float | None:
    try:
        import psutil
    except ImportError:
        return None
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_one(kind: str, clients: int, duration: float, warmup: float, db: str | None = None) -> dict:
    args = [sys.executable, __file__, "--serve", kind] + (["--db", db] if db else [])
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        port = int(proc.stdout.readline())
        client_cpu = time.process_time()
        stats = asyncio.run(load(port, clients, duration, warmup))
        stats["client_cpu"] = time.process_time() - client_cpu
        stats["server_cpu"] = _cpu_seconds(proc.pid)
        if kind == "receiver":
            import httpx

            stats["summary"] = httpx.get(f"http://127.0.0.1:{port}/_receiver/summary").json()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    stats["rps"] = stats["measured"] / duration
    lat = stats["latencies"]
    stats["p50"], stats["p99"] = percentile(lat, 0.50) * 1000, percentile(lat, 0.99) * 1000
    return stats


def report(name: str, stats: dict) -> None:
    print(f"{name:9s} {stats['rps']:8.0f} measures/s   p50 {stats['p50']:6.1f} ms   p99 {stats['p99']:6.1f} ms"
          f"   answers {dict(sorted(stats['codes'].items()))}")
    if stats.get("server_cpu") is not None:
        print(f"{'':9s} CPU seconds: server {stats['server_cpu']:.1f}, load generator {stats['client_cpu']:.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--serve", choices=("baseline", "receiver"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "baseline":
        serve_baseline()
        return 0
    if args.serve == "receiver":
        serve_receiver(args.db)
        return 0

    print(f"{args.clients} keep-alive clients on loopback, {args.duration:g} s each (after {args.warmup:g} s warm-up), "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    baseline = run_one("baseline", args.clients, args.duration, args.warmup)
    report("baseline", baseline)
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.sqlite3")
        receiver = run_one("receiver", args.clients, args.duration, args.warmup, db)
        report("receiver", receiver)
        acknowledged = receiver["codes"].get(201, 0)
        stored = sqlite3.connect(db).execute(
            "SELECT count(*) FROM records WHERE kind = 'measure' AND status = 201").fetchone()[0]
    ratio = receiver["rps"] / baseline["rps"]
    print(f"ratio     {ratio:.2f}x the bare baseline (goal >= 0.5)")
    if baseline.get("server_cpu") and receiver.get("server_cpu"):
        # Less sensitive to other load on the machine than wall-clock rates.
        per_cpu = [sum(s["codes"].values()) / s["server_cpu"] for s in (baseline, receiver)]
        print(f"per CPU   {per_cpu[0]:.0f} vs {per_cpu[1]:.0f} answers per server CPU-second: "
              f"{per_cpu[1] / per_cpu[0]:.2f}x")
    print(f"stored    {stored} accepted records for {acknowledged} answers 201 "
          f"(summary said {receiver['summary']['accepted']}): {'equal' if stored == acknowledged else 'MISMATCH'}")
    goals = ratio >= 0.5 and receiver["rps"] >= 2000 and stored == acknowledged
    print("goals     " + ("met" if goals else "NOT met") + " (>= 0.5x baseline, >= 2,000 measures/s, stored == acknowledged)")
    return 0 if stored == acknowledged else 1


if __name__ == "__main__":
    raise SystemExit(main())
