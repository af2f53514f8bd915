"""Reliability check: three `warroom serve` instances on one PostgreSQL database, one of them
SIGKILLed at a random moment during a storm of alerts. Every notification must reach the
receiver, and none twice, checked by idempotency key; no escalation step may be skipped.

Each alert declares a P0 whose policy pages the on-call at once, the secondary at +20 s and a
team webhook at +40 s, so timers fire and pages go out on every instance while one dies.
Run: .venv/bin/python bench/multi_instance.py [--alerts 300]
     [--database-url postgresql+psycopg://root@127.0.0.1:5432/test]
A fresh schema is created for the run and dropped afterwards.
"""

from __future__ import annotations

import argparse
import collections
import random
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa

from warroom.store import db
from warroom.store.engine import outbox
from warroom.store.schema import incident_events
from warroom.testing.cluster import cluster_config
from warroom.testing.paging import ALERTMANAGER_KEY, alertmanager_payload
from warroom.testing.receivers import HttpReceiver, ReceivedRequest, ScriptedResponse
from warroom.testing.server import Server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=300)
    parser.add_argument("--database-url",
                        default="postgresql+psycopg://root@127.0.0.1:5432/test")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    received: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()

    def record(request: ReceivedRequest) -> ScriptedResponse:
        with lock:
            received[request.header("Idempotency-Key") or "?"] += 1
        return ScriptedResponse(200, b"ok")

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = db.create_engine(args.database_url, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in args.database_url else "?"
    url = f"{args.database_url}{sep}options=-csearch_path%3D{schema}"
    servers: list[Server] = []
    try:
        with tempfile.TemporaryDirectory() as tmp, HttpReceiver(responder=record) as hooks:
            config = cluster_config(Path(tmp) / "org.json", hooks.url)
            for n in range(3):
                workdir = Path(tmp) / f"i{n}"
                workdir.mkdir()
                server = Server(workdir, {"WARROOM_CONFIG": str(config),
                                          "WARROOM_DATABASE_URL": url,
                                          "WARROOM_LOG_LEVEL": "warning"})
                server.start()
                servers.append(server)
            victim = rng.randrange(3)
            kill_after = rng.randrange(args.alerts // 4, 3 * args.alerts // 4)
            killed_at = 0.0
            started = time.perf_counter()
            for i in range(args.alerts):
                if i == kill_after:
                    servers[victim].proc.kill()  # type: ignore[union-attr]
                    killed_at = time.perf_counter() - started
                alive = [s for k, s in enumerate(servers) if not (k == victim and i >= kill_after)]
                payload = alertmanager_payload(alertname=f"Storm{i}", fingerprint=f"{i:016x}")
                target = alive[i % len(alive)]
                httpx.post(f"{target.url}/api/v1/intake/alertmanager/{ALERTMANAGER_KEY}",
                           json=payload, timeout=30).raise_for_status()
            storm = time.perf_counter() - started
            print(f"{args.alerts} alerts over {storm:.1f} s across 3 instances; instance "
                  f"{victim} SIGKILLed after alert {kill_after} (t={killed_at:.1f} s)")
            engine = db.create_engine(url, poolclass=sa.pool.NullPool)
            expected = args.alerts * 3
            deadline = time.monotonic() + 400
            while time.monotonic() < deadline:
                with engine.connect() as conn:
                    query = sa.select(outbox.c.status, sa.func.count()).group_by(
                        outbox.c.status)
                    rows: dict[str, int] = {r[0]: int(r[1]) for r in conn.execute(query)}
                if rows.get("sent", 0) >= expected and len(received) >= expected:
                    break
                time.sleep(2)
            with engine.connect() as conn:
                keys = {r[0] for r in conn.execute(sa.select(outbox.c.idempotency_key))}
                steps = collections.Counter(r[0] for r in conn.execute(
                    sa.select(incident_events.c.incident_id)
                    .where(incident_events.c.kind == "escalated")))
                skipped = conn.execute(sa.select(sa.func.count()).select_from(incident_events)
                                       .where(incident_events.c.kind ==
                                              "escalation_step_skipped")).scalar_one()
            engine.dispose()
    finally:
        for server in servers:
            server.stop()
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()
    missing = keys - set(received)
    duplicates = {k: c for k, c in received.items() if c > 1}
    unknown = set(received) - keys
    short = [i for i, c in steps.items() if c != 3]
    print(f"outbox rows {len(keys)} (expected {expected}); received {sum(received.values())} "
          f"requests for {len(received)} distinct keys")
    print(f"missing {len(missing)}, duplicates {len(duplicates)}, unknown {len(unknown)}; "
          f"incidents {len(steps)} with all 3 steps escalated: "
          f"{len(steps) - len(short)}, skipped steps {skipped}")
    ok = not missing and not duplicates and not unknown and not short and \
        len(keys) == expected and len(steps) == args.alerts
    print("target zero missing, zero duplicates:", "met" if ok else "NOT met")
    if duplicates:
        print("duplicated keys:", sorted(duplicates)[:10])


if __name__ == "__main__":
    main()
