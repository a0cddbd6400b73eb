"""Throughput and latency of the built-in receiver against a bare uvicorn baseline.

    .venv/bin/python bench/bench_receiver.py [--duration 10] [--clients 50] [--rounds 3]

Each server runs in its own process (so the load generator does not share its
interpreter lock) on loopback: a bare Starlette app on uvicorn that only
answers 201 to ``POST /measure``, and the receiver (validation through the
core, SQLite file in WAL, duplicate detection, every request recorded and
committed before its answer). The load: ``--clients`` keep-alive connections,
each posting valid measures back to back for ``--duration`` seconds. The two
servers take turns, ``--rounds`` times, so that other work on a shared machine
weighs on both alike; the figures are the medians, the ratio that of each
round's pair. Prints measures per second, p50/p99 latency, answers per server
CPU-second, the load average and the other processes that used the CPU, and
checks, after each receiver has stopped, that its file holds exactly as many
accepted measures as it acknowledged with 201.

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
import statistics
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


def _others_busy(exclude: set[int]) -> list[str]:
    """The other processes that used the CPU since the last call (what else ran meanwhile)."""
    try:
        import psutil
    except ImportError:
        return []
    busy = []
    for proc in psutil.process_iter(["pid", "name", "cmdline"]):
        if proc.info["pid"] in exclude:
            continue
        try:
            share = proc.cpu_percent(None)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if share >= 10:
            words = [os.path.basename(w) for w in (proc.info["cmdline"] or [proc.info["name"]])[:4]]
            busy.append(f"{' '.join(words)[:50]} ({share:.0f}%)")
    return busy


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
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per server and round")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3, help="baseline and receiver take turns this many times")
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
          f"{args.rounds} rounds, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    ours = {os.getpid()}
    _others_busy(ours)
    baselines, receivers, others, all_stored = [], [], [], True
    for round_ in range(1, args.rounds + 1):
        baseline = run_one("baseline", args.clients, args.duration, args.warmup)
        report(f"baseline{round_}", baseline)
        with tempfile.TemporaryDirectory() as tmp:
            db = str(Path(tmp) / "bench.sqlite3")
            receiver = run_one("receiver", args.clients, args.duration, args.warmup, db)
            report(f"receiver{round_}", receiver)
            acknowledged = receiver["codes"].get(201, 0)
            conn = sqlite3.connect(db)
            stored = conn.execute(
                "SELECT count(*) FROM records WHERE kind = 'measure' AND status = 201").fetchone()[0]
            conn.close()
        print(f"{'':9s} stored {stored} accepted records for {acknowledged} answers 201 "
              f"(summary said {receiver['summary']['accepted']}): {'equal' if stored == acknowledged else 'MISMATCH'}")
        all_stored &= stored == acknowledged
        baselines.append(baseline)
        receivers.append(receiver)
        others += _others_busy(ours)
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("other work meanwhile: " + (", ".join(sorted(set(others))) if others else "none seen"))
    rates = [statistics.median(s["rps"] for s in runs) for runs in (baselines, receivers)]
    ratios = [r["rps"] / b["rps"] for b, r in zip(baselines, receivers)]
    ratio = statistics.median(ratios)
    print(f"median    baseline {rates[0]:.0f}/s, receiver {rates[1]:.0f}/s")
    print(f"ratio     {ratio:.2f}x the bare baseline (each round: {', '.join(f'{x:.2f}' for x in ratios)}; goal >= 0.5)")
    if all(s.get("server_cpu") for s in baselines + receivers):
        # Less sensitive to other load on the machine than wall-clock rates.
        per_cpu = [statistics.median(sum(s["codes"].values()) / s["server_cpu"] for s in runs)
                   for runs in (baselines, receivers)]
        print(f"per CPU   {per_cpu[0]:.0f} vs {per_cpu[1]:.0f} answers per server CPU-second: "
              f"{per_cpu[1] / per_cpu[0]:.2f}x")
    goals = ratio >= 0.5 and rates[1] >= 2000 and all_stored
    print("goals     " + ("met" if goals else "NOT met") + " (>= 0.5x baseline, >= 2,000 measures/s, stored == acknowledged)")
    return 0 if all_stored else 1


if __name__ == "__main__":
    raise SystemExit(main())
