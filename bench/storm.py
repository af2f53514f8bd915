"""Alert storms: alerts never seen before, against warroom and Debian's Alertmanager in one run.

    .venv/bin/python bench/storm.py [--seconds 8] [--storm 10000] [--only warroom]

Starts `warroom serve` with the example organisation (its routes and triage rules) on SQLite
and `prometheus-alertmanager`, then drives `POST /api/v2/alerts` on both with `wrk` (Debian's
package), whose Lua script makes every alert of every request new, in two shapes:
- one alert per request, 32 connections;
- 64-alert batches, 16 connections.
Then a partition storm: 10,000 new alerts across 20 jobs (four routes of the example org),
sent as 64-alert batches over 16 connections; it reports the time from the first request until
every alert is committed and attached to its incident, measured from the database, and how many
incidents the storm made. Prints rate, p50/p99 latency and the ratio to Alertmanager.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import sqlalchemy as sa

from warroom.intake import integrations as integ
from warroom.store.alerts import alerts as alerts_table
from warroom.store.db import create_engine
from warroom.testing.prometheus import ALERTMANAGER, Process
from warroom.testing.server import Server

REPO = Path(__file__).resolve().parents[1]
WRK = shutil.which("wrk") or "/usr/bin/wrk"

# 20 jobs across four routes of examples/org/intake.yaml. (Its frontend route groups by
# instance, so a storm of new instances there would be one incident per alert.)
JOBS = ([f"shieldx-{n}" for n in range(7)] + [f"auth-{n}" for n in range(7)]
        + [f"postgres-{n}" for n in range(3)] + ["node", "prometheus", "alertmanager"])

LUA = r"""
local counter = 0
local threads = {}
local n = 0
local jobs = {%(jobs)s}
local batch = %(batch)d
local run = "%(run)s"

function setup(thread)
  thread:set("tid", n)
  n = n + 1
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  %(auth)s
end

request = function()
  counter = counter + 1
  local parts = {}
  for i = 1, batch do
    local id = run .. "-" .. tid .. "-" .. counter .. "-" .. i
    local job = jobs[(counter * batch + i) %% #jobs + 1]
    parts[i] = '{"labels":{"alertname":"StormTargetDown","job":"' .. job ..
      '","instance":"' .. id .. '","cluster":"c1","severity":"warning"},' ..
      '"annotations":{"summary":"storm"},"startsAt":"%(starts)s",' ..
      '"endsAt":"2099-01-01T00:00:00Z"}'
  end
  return wrk.format(nil, nil, nil, "[" .. table.concat(parts, ",") .. "]")
end

local bad = 0
response = function(status, headers, body)
  if status >= 300 then bad = bad + 1 end
end

function done(summary, latency, requests)
  io.write(string.format(
    'RESULT {"requests": %%d, "seconds": %%f, "p50_ms": %%f, "p99_ms": %%f, ' ..
    '"non2xx": %%d, "socket_errors": %%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
"""


def wrk(url: str, batch: int, connections: int, seconds: float, bearer: str | None,
        work: Path) -> dict[str, float]:
    """Run wrk for `seconds`; every alert it sends is new (a run id, thread id and counter)."""
    auth = f'wrk.headers["Authorization"] = "Bearer {bearer}"' if bearer else ""
    script = work / f"storm-{uuid.uuid4().hex[:8]}.lua"
    script.write_text(LUA % {"jobs": ",".join(f'"{j}"' for j in JOBS), "batch": batch,
                             "run": uuid.uuid4().hex[:10], "auth": auth,
                             "starts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    duration = f"{max(1, round(seconds))}s"
    out = subprocess.run([WRK, "-t", "2", "-c", str(connections), "-d", duration, "--latency",
                          "-s", str(script), url],
                         capture_output=True, text=True, timeout=seconds + 120)
    if out.returncode:
        raise RuntimeError(f"wrk failed: {out.stdout}{out.stderr}")
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    raw: dict[str, float] = json.loads(line[len("RESULT "):])
    raw["requests_per_s"] = raw["requests"] / raw["seconds"]
    raw["alerts_per_s"] = raw["requests_per_s"] * batch
    return raw


async def _storm_sender(host: str, port: int, bearer: str | None, bodies: list[bytes],
                        latencies: list[float], statuses: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    auth = f"Authorization: Bearer {bearer}\r\n" if bearer else ""
    try:
        for body in bodies:
            while True:
                started = time.perf_counter()
                writer.write((f"POST /api/v2/alerts HTTP/1.1\r\nHost: {host}\r\n{auth}"
                              f"Content-Type: application/json\r\n"
                              f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:" and int(line[15:]):
                        await reader.readexactly(int(line[15:]))
                latencies.append(time.perf_counter() - started)
                statuses.append(status)
                if status != 503:
                    break
                await asyncio.sleep(1)  # back-pressure: retry as Alertmanager would
    finally:
        writer.close()


def storm(port: int, bearer: str | None, total: int, connections: int) -> dict[str, float]:
    """Send `total` new alerts as 64-alert batches over `connections` connections."""
    run = uuid.uuid4().hex[:10]
    starts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    batches = []
    for start in range(0, total, 64):
        batches.append(json.dumps([
            {"labels": {"alertname": "PartitionTargetDown", "job": JOBS[i % len(JOBS)],
                        "instance": f"{run}-{i}", "cluster": "c1", "severity": "critical"},
             "annotations": {"summary": "partition"}, "startsAt": starts,
             "endsAt": "2099-01-01T00:00:00Z"}
            for i in range(start, min(total, start + 64))]).encode())
    latencies: list[float] = []
    statuses: list[int] = []

    async def main() -> None:
        await asyncio.gather(*(_storm_sender("127.0.0.1", port, bearer,
                                             batches[i::connections], latencies, statuses)
                               for i in range(connections)))

    started = time.perf_counter()
    asyncio.run(main())
    took = time.perf_counter() - started
    latencies.sort()
    return {"alerts": total, "seconds_to_last_answer": took,
            "p50_ms": 1000 * latencies[len(latencies) // 2],
            "p99_ms": 1000 * latencies[int(len(latencies) * 0.99) - 1],
            "retried_503": float(statuses.count(503)),
            "errors": float(sum(1 for s in statuses if s >= 300 and s != 503)), "run": run}


def grouped(engine: sa.Engine, run: str, total: int, started: float,
            timeout: float = 120) -> tuple[float, int]:
    """Seconds from `started` until all of the storm's alerts are stored with an incident,
    and how many incidents they landed in."""
    instance = alerts_table.c.labels["instance"].as_string()
    query = sa.select(sa.func.count(), sa.func.count(sa.distinct(alerts_table.c.incident_id))
                      ).where(instance.like(f"{run}-%"),
                              alerts_table.c.incident_id.is_not(None))
    deadline = time.perf_counter() + timeout
    while True:
        with engine.connect() as conn:
            count, incidents = conn.execute(query).one()
        if count >= total or time.perf_counter() > deadline:
            return time.perf_counter() - started, int(incidents)
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--storm", type=int, default=10_000)
    parser.add_argument("--only", choices=["warroom", "alertmanager"], default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="warroom-storm-"))
    db_url = f"sqlite:///{work / 'warroom.db'}"
    server = Server(work, {"WARROOM_CONFIG": str(REPO / "examples" / "org"),
                           "WARROOM_DATABASE_URL": db_url, "WARROOM_LOG_LEVEL": "warning",
                           "WARROOM_WORKERS": "0"})
    (work / "am.yml").write_text("route: {receiver: 'null'}\nreceivers: [{name: 'null'}]\n")
    am = Process("alertmanager", [ALERTMANAGER, f"--storage.path={work / 'am'}",
                                  "--cluster.listen-address=",
                                  f"--config.file={work / 'am.yml'}"], work)
    results: dict[str, dict[str, dict[str, Any]]] = {}
    engine = create_engine(db_url)
    try:
        targets: list[tuple[str, int, str | None]] = []
        if args.only != "alertmanager":
            server.start()
            with engine.connect() as conn:
                key = next(i.key for i in integ.list_all(conn) if i.kind == "prometheus")
            targets.append(("warroom", server.port, key))
        if args.only != "warroom":
            am.start("/-/ready")
            targets.append(("alertmanager", am.port, None))
        for name, port, bearer in targets:
            results[name] = {}
            url = f"http://127.0.0.1:{port}/api/v2/alerts"
            for mode, batch, connections in (("single", 1, 32), ("batch64", 64, 16)):
                result = wrk(url, batch, connections, args.seconds, bearer, work)
                results[name][mode] = result
                print(f"{name:12} new {mode:8} {result['requests_per_s']:9.0f} req/s "
                      f"{result['alerts_per_s']:9.0f} alerts/s  p50 {result['p50_ms']:7.2f} ms"
                      f"  p99 {result['p99_ms']:8.2f} ms  non-2xx {result['non2xx']:.0f}",
                      flush=True)
            started = time.perf_counter()
            result = storm(port, bearer, args.storm, 16)
            if name == "warroom":
                done, incidents = grouped(engine, str(result["run"]), args.storm, started)
                result["seconds_to_grouped"] = done
                result["after_last_answer_s"] = done - result["seconds_to_last_answer"]
                result["incidents"] = incidents
            results[name]["storm"] = result
            extra = (f"; all committed and grouped {result['seconds_to_grouped']:.2f} s after "
                     f"the first request into {result['incidents']} incidents"
                     if name == "warroom" else "")
            print(f"{name:12} storm    {args.storm} alerts answered in "
                  f"{result['seconds_to_last_answer']:.2f} s (p99 {result['p99_ms']:.0f} ms, "
                  f"{result['retried_503']:.0f} retried 503){extra}", flush=True)
        if len(results) == 2:
            for mode in ("single", "batch64"):
                ratio = (results["warroom"][mode]["alerts_per_s"]
                         / results["alertmanager"][mode]["alerts_per_s"])
                print(f"ratio warroom/alertmanager new {mode}: {ratio:.3f}")
        print(json.dumps({"cpus": os.cpu_count(), "load": os.getloadavg()[0],
                          "results": results}))
    finally:
        server.stop()
        am.stop()
        engine.dispose()


if __name__ == "__main__":
    main()
