"""Intake throughput and latency over HTTP, against warroom and Debian's Alertmanager.

    .venv/bin/python bench/ingest.py [--seconds 8] [--connections 64] [--procs 2]

Starts `warroom serve` (SQLite, durable group commit) and `prometheus-alertmanager` on free
ports, then drives `POST /api/v2/alerts` on both with the same load generator: raw asyncio
HTTP/1.1 keep-alive connections in several processes (httpx costs more CPU than the servers
being measured). Modes: one alert per request, and 64-alert batches, both re-sending a fixed
pool of distinct alerts as Prometheus does. Then a half-load run reports latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from warroom.testing.prometheus import ALERTMANAGER, Process
from warroom.testing.server import Server

KEY = "bench-key-0123456789abcdef0123"
POOL = 2048  # distinct alerts re-sent over and over


def alerts(start: int, count: int) -> list[dict[str, object]]:
    return [{"labels": {"alertname": "BenchAlert", "job": "bench",
                        "instance": f"i{(start + i) % POOL}", "severity": "warning"},
             "annotations": {"summary": "bench"}, "startsAt": "2026-01-05T09:00:00Z",
             "endsAt": "2099-01-01T00:00:00Z", "generatorURL": "http://prom/graph"}
            for i in range(count)]


def request_bytes(host: str, port: int, path: str, body: bytes, bearer: str | None) -> bytes:
    auth = f"Authorization: Bearer {bearer}\r\n" if bearer else ""
    return (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{auth}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body


async def _connection(host: str, port: int, requests: list[bytes], stop_at: float,
                      interval: float, latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    index = 0
    # Spread the connections over one interval; in step they would arrive as bursts.
    next_at = time.perf_counter() + random.uniform(0, interval)
    try:
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                return
            if interval:
                if now < next_at:
                    await asyncio.sleep(next_at - now)
                next_at += interval
            started = time.perf_counter()
            writer.write(requests[index % len(requests)])
            index += 1
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if status >= 300:
                errors.append(status)
    finally:
        writer.close()


def _worker(args: tuple[str, int, list[bytes], float, int, float, mp.Queue[Any]]) -> None:
    host, port, requests, seconds, connections, rate, out = args
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    latencies: list[float] = []
    errors: list[int] = []

    async def main() -> None:
        stop_at = time.perf_counter() + seconds
        interval = connections / rate if rate else 0.0
        await asyncio.gather(*(_connection(host, port, requests[i::connections] or requests,
                                           stop_at, interval, latencies, errors)
                               for i in range(connections)))

    asyncio.run(main())
    out.put((latencies, errors))


def prime(host: str, port: int, path: str, bearer: str | None) -> float:
    """Send every alert of the pool once, so the measured runs are steady-state re-sends (new
    alerts run the routing/incident pipeline; re-sends only bump counts). Returns seconds."""
    import httpx

    started = time.perf_counter()
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    with httpx.Client(base_url=f"http://{host}:{port}", headers=headers, timeout=120) as client:
        for start in range(0, POOL, 256):
            client.post(path, json=alerts(start, 256)).raise_for_status()
    return time.perf_counter() - started


def drive(host: str, port: int, path: str, batch: int, bearer: str | None, seconds: float,
          connections: int, procs: int, rate: float = 0.0) -> dict[str, float]:
    """Run the load; `rate` (requests/s, all processes together) 0 means as fast as possible."""
    bodies = [json.dumps(alerts(i * batch, batch)).encode() for i in range(POOL // batch or 1)]
    requests = [request_bytes(host, port, path, body, bearer) for body in bodies]
    queue: mp.Queue[Any] = mp.Queue()
    per_proc = max(1, connections // procs)
    workers = [mp.Process(target=_worker, args=((host, port, requests, seconds, per_proc,
                                                 rate / procs, queue),)) for _ in range(procs)]
    for w in workers:
        w.start()
    latencies: list[float] = []
    errors: list[int] = []
    for _ in workers:
        lat, err = queue.get()
        latencies += lat
        errors += err
    for w in workers:
        w.join()
    latencies.sort()
    count = len(latencies)
    return {"requests_per_s": count / seconds, "alerts_per_s": count * batch / seconds,
            "p50_ms": 1000 * statistics.median(latencies) if latencies else 0.0,
            "p99_ms": 1000 * latencies[int(count * 0.99) - 1] if count else 0.0,
            "errors": float(len(errors))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--only", choices=["warroom", "alertmanager"], default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="warroom-bench-"))
    (work / "org.yaml").write_text(
        "services: [{name: bench}]\nintegrations:\n"
        "  - {name: prom, kind: prometheus, service: bench, key: '${BENCH_KEY}'}\n")
    targets: list[tuple[str, int, str, str | None]] = []
    server = Server(work, {"WARROOM_CONFIG": str(work / "org.yaml"), "BENCH_KEY": KEY,
                           "WARROOM_LOG_LEVEL": "warning", "WARROOM_WORKERS": "0"})
    am = Process("alertmanager", [ALERTMANAGER, f"--storage.path={work / 'am'}",
                                  "--cluster.listen-address=",
                                  f"--config.file={work / 'am.yml'}"], work)
    (work / "am.yml").write_text("route: {receiver: 'null'}\nreceivers: [{name: 'null'}]\n")
    try:
        if args.only != "alertmanager":
            server.start()
            targets.append(("warroom", server.port, "/api/v2/alerts", KEY))
        if args.only != "warroom":
            am.start("/-/ready")
            targets.append(("alertmanager", am.port, "/api/v2/alerts", None))
        results: dict[str, dict[str, dict[str, float]]] = {}
        for name, port, path, bearer in targets:
            results[name] = {}
            took = prime("127.0.0.1", port, path, bearer)
            print(f"{name:12} created {POOL} alerts in {took:.2f} s", flush=True)
            for mode, batch in (("single", 1), ("batch64", 64)):
                drive("127.0.0.1", port, path, batch, bearer, 1.5, args.connections,
                      args.procs)  # warm-up: creates the alerts, fills caches
                full = drive("127.0.0.1", port, path, batch, bearer, args.seconds,
                             args.connections, args.procs)
                half = drive("127.0.0.1", port, path, batch, bearer, args.seconds,
                             args.connections, args.procs, rate=full["requests_per_s"] / 2)
                results[name][mode] = full
                results[name][mode + "_half"] = half
                print(f"{name:12} {mode:8} {full['requests_per_s']:9.0f} req/s "
                      f"{full['alerts_per_s']:9.0f} alerts/s  p50 {full['p50_ms']:6.2f} ms "
                      f"p99 {full['p99_ms']:6.2f} ms  errors {full['errors']:.0f} | at half "
                      f"load ({half['requests_per_s']:.0f} req/s): p50 {half['p50_ms']:.2f} ms "
                      f"p99 {half['p99_ms']:.2f} ms", flush=True)
        if "warroom" in results and "alertmanager" in results:
            for mode in ("single", "batch64"):
                ratio = (results["warroom"][mode]["alerts_per_s"]
                         / results["alertmanager"][mode]["alerts_per_s"])
                print(f"ratio warroom/alertmanager {mode}: {ratio:.2f}")
        print(json.dumps({"cpus": os.cpu_count(), "results": results}))
    finally:
        server.stop()
        am.stop()


if __name__ == "__main__":
    main()
