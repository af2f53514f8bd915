"""Console and live-update budgets: p95 server time with 100,000 incidents, 1,000 SSE clients.

    .venv/bin/python bench/web.py [--incidents 100000] [--requests 200] [--sse 1000]

Seeds a SQLite database with valid incidents (hash-chained events and their projections, built
by the domain's own seal/apply), starts `warroom serve`, then times the dashboard, the incident
list and an incident page (HTML, as a logged-in browser gets them, and their JSON twins), and
finally holds SSE clients open and checks that one commit reaches every one of them.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from warroom.clock import SystemClock
from warroom.domain.events import GENESIS_HASH, seal
from warroom.domain.incident import apply
from warroom.runtime import build_runtime
from warroom.services.principal import SYSTEM
from warroom.services.users import UserService
from warroom.settings import Settings
from warroom.store.incidents import row_values
from warroom.store.schema import (
    incident_counters,
    incident_events,
    incident_participants,
    incident_services,
    incidents,
)
from warroom.testing.server import Server

REPO = Path(__file__).resolve().parents[1]
ORG = REPO / "examples" / "org"
SERVICES = ["frontend", "api", "auth", "database", "monitoring"]
WORDS = ["checkout", "latency", "errors", "login", "timeouts", "disk", "queue", "replication",
         "certificate", "DNS", "cache", "payments", "search", "webhooks", "deploy"]
BATCH = 5000


def seed(engine: sa.Engine, count: int, now: datetime) -> str:
    """Insert `count` incidents over the past year; 1% open, 5% restricted. Returns one id."""
    rng = random.Random(42)
    counters: dict[int, int] = {}
    rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    sample = ""

    def flush() -> None:
        with engine.begin() as conn:
            conn.execute(sa.insert(incidents), rows)
            conn.execute(sa.insert(incident_events), events)
            conn.execute(sa.insert(incident_services), links)
            conn.execute(sa.insert(incident_participants), people)
        for bucket in (rows, events, links, people):
            bucket.clear()

    for n in range(count):
        declared = now - timedelta(seconds=(count - n) * 365 * 86400 / count)
        counters[declared.year] = counters.get(declared.year, 0) + 1
        ident = f"{n:032x}"
        secure = rng.random() < 0.05
        service = rng.choice(SERVICES)
        drafts: list[tuple[str, dict[str, Any], datetime, str]] = [("declared", {
            "human_id": f"INC-{declared.year}-{counters[declared.year]:06d}",
            "title": f"{rng.choice(WORDS)} {rng.choice(WORDS)} on {service} #{n}",
            "severity": rng.choice(["P0", "P1", "P2", "P2", "P3", "P3"]),
            "type": "security" if secure else "service_outage", "impact": "",
            "visibility": "restricted" if secure else "normal", "services": [service],
            "drill": False, "started_at": declared.isoformat(),
            "detected_at": declared.isoformat()}, declared, "bench")]
        if n < count - count // 100:
            acked = declared + timedelta(minutes=rng.randint(1, 30))
            drafts.append(("acknowledged", {}, acked, "alice"))
            drafts.append(("resolved", {"from": "acknowledged", "summary": "fixed"},
                           acked + timedelta(minutes=rng.randint(5, 600)), "alice"))
        state, prev = None, GENESIS_HASH
        for seq, (kind, data, at, actor) in enumerate(drafts, start=1):
            event = seal(ident, seq, at, actor, kind, data, prev)
            prev = event.hash
            state = apply(state, event)
            events.append({"incident_id": ident, "seq": seq, "at": at, "actor": actor,
                           "kind": kind, "data": data, "prev_hash": event.prev_hash,
                           "hash": event.hash})
        assert state is not None
        rows.append(row_values(state))
        links.append({"incident_id": ident, "service": service})
        people.extend({"incident_id": ident, "username": u} for u in sorted(state.participants()))
        sample = state.human_id if not secure else sample
        if len(rows) >= BATCH:
            flush()
    if rows:
        flush()
    with engine.begin() as conn:
        for year, value in counters.items():
            conn.execute(sa.insert(incident_counters).values(year=year, value=value))
    return sample


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(int(len(ordered) * 0.95) - 1, 0)]


def time_gets(client: httpx.Client, path: str, requests: int) -> tuple[float, float]:
    for _ in range(5):  # warm caches and connections
        client.get(path).raise_for_status()
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(path).raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


async def hold_sse(url: str, headers: dict[str, str], clients: int) -> dict[str, float]:
    limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=clients + 10)
    ready = 0
    got = 0
    all_ready = asyncio.Event()
    delivered = asyncio.Event()

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal ready, got
        async with client.stream("GET", "/api/v1/live", headers=headers) as resp:
            resp.raise_for_status()
            async for line in resp.aiter_lines():
                if line.startswith("event: ready"):
                    ready += 1
                    if ready == clients:
                        all_ready.set()
                elif line.startswith("event: incident"):
                    got += 1
                    if got == clients:
                        delivered.set()
                    return

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        started = time.perf_counter()
        tasks = [asyncio.create_task(one(client)) for _ in range(clients)]
        await asyncio.wait_for(all_ready.wait(), 120)
        connect_s = time.perf_counter() - started
        async with httpx.AsyncClient(base_url=url, timeout=30) as api:
            sent = time.perf_counter()
            resp = await api.post("/api/v1/incidents", headers=headers,
                                  json={"title": "fan-out probe", "severity": "P3"})
            resp.raise_for_status()
        await asyncio.wait_for(delivered.wait(), 60)
        fanout_s = time.perf_counter() - sent
        await asyncio.gather(*tasks)
    return {"clients": clients, "connected": ready, "delivered": got,
            "connect_all_s": connect_s, "fanout_s": fanout_s}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--sse", type=int, default=1000)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 8192)), hard))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db_url = f"sqlite:///{work / 'warroom.db'}"
        settings = Settings.from_env({}, database_url=db_url, data_dir=str(work / "data"),
                                     config=str(ORG), bind="127.0.0.1:0")
        runtime = build_runtime(settings, clock=SystemClock())
        started = time.perf_counter()
        sample = seed(runtime.engine, args.incidents, SystemClock().now())
        print(f"seeded {args.incidents} incidents in {time.perf_counter() - started:.1f}s")
        users = UserService(runtime)
        users.sync_from_config(SYSTEM)
        users.create(SYSTEM, "bench-admin", role="admin")
        token = users.create_token(SYSTEM, "bench-admin").token
        # A responder sees restricted incidents only where they take part, so every query
        # carries the visibility test an admin's skips.
        users.create(SYSTEM, "bench-responder", role="responder")
        responder = users.create_token(SYSTEM, "bench-responder").token
        runtime.engine.dispose()
        server = Server(work, {"WARROOM_DATABASE_URL": db_url, "WARROOM_CONFIG": str(ORG),
                               "WARROOM_DATA_DIR": str(work / "data"),
                               "WARROOM_LOG_LEVEL": "WARNING"})
        server.start(timeout=120)
        headers = {"Authorization": f"Bearer {token}"}
        try:
            for role, bearer in (("admin", token), ("responder", responder)):
                with httpx.Client(base_url=server.url, timeout=30,
                                  headers={"Authorization": f"Bearer {bearer}"}) as client:
                    print(f"{'page (as ' + role + ')':<40} {'p50 ms':>8} {'p95 ms':>8}")
                    for path in ("/", "/api/v1/dashboard", "/incidents",
                                 "/incidents?state=all", "/api/v1/incidents?limit=50",
                                 "/incidents?state=all&q=replication",
                                 "/incidents?state=all&q=no-such-words",
                                 f"/incidents/{sample}", f"/api/v1/incidents/{sample}",
                                 "/status"):
                        p50, p95 = time_gets(client, path, args.requests)
                        flag = "" if p95 < 100 else "  over budget"
                        print(f"{path:<40} {p50:8.1f} {p95:8.1f}{flag}")
            sse = asyncio.run(hold_sse(server.url, headers, args.sse))
            print(f"SSE: {sse['connected']}/{sse['clients']} clients connected in "
                  f"{sse['connect_all_s']:.1f}s; one commit reached {sse['delivered']} of them "
                  f"in {sse['fanout_s'] * 1000:.0f} ms")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
