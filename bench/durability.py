"""Acknowledged means stored: send alerts while SIGKILLing `warroom serve`, then check.

    .venv/bin/python bench/durability.py [--kills 20] [--senders 8]

Senders post one new alert per request (a unique dedup key each) and remember every key that
got a 2xx. A killer SIGKILLs the server at random moments and restarts it on the same port and
database. At the end every acknowledged key must be in the `alerts` table.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from warroom.testing.server import Server

KEY = "durability-key-0123456789abcdef"
ORG = """
services: [{name: bench}]
integrations:
  - {name: hook, kind: generic, service: bench, key: "${DURABILITY_KEY}"}
rules:
  - name: store-only
    when: "true"
    actions: [{suppress: {reason: "durability bench: store, do not declare"}}]
"""


def sender(base: str, number: int, acked: list[str], stop: threading.Event,
           stats: dict[str, int], lock: threading.Lock) -> None:
    sequence = 0
    with httpx.Client(timeout=5) as client:
        while not stop.is_set():
            key = f"s{number}-{sequence}"
            sequence += 1
            try:
                response = client.post(f"{base}/api/v1/intake/generic/{KEY}",
                                       json={"dedup_key": key, "summary": "durability"})
            except httpx.HTTPError:
                with lock:
                    stats["failed"] += 1
                time.sleep(0.05)
                continue
            with lock:
                if 200 <= response.status_code < 300:
                    acked.append(key)
                else:
                    stats["failed"] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="warroom-durability-"))
    (work / "org.yaml").write_text(ORG)
    server = Server(work, {"WARROOM_CONFIG": str(work / "org.yaml"), "DURABILITY_KEY": KEY,
                           "WARROOM_LOG_LEVEL": "warning", "WARROOM_WORKERS": "0"})
    server.start(timeout=60)
    acked: list[str] = []
    stats = {"failed": 0}
    lock = threading.Lock()
    stop = threading.Event()
    threads = [threading.Thread(target=sender, args=(server.url, n, acked, stop, stats, lock))
               for n in range(args.senders)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    try:
        for kill in range(1, args.kills + 1):
            time.sleep(rng.uniform(0.2, 1.5))
            assert server.proc is not None
            server.proc.kill()  # SIGKILL: no shutdown, no flush
            server.proc.wait()
            with lock:
                so_far = len(acked)
            print(f"kill {kill:2}/{args.kills}: {so_far} alerts acknowledged so far", flush=True)
            server.start(timeout=60)
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        server.stop()
    with sqlite3.connect(work / "warroom.db") as conn:
        stored = {row[0] for row in conn.execute("SELECT dedup_key FROM alerts")}
    lost = [key for key in acked if key not in stored]
    print(f"{args.kills} SIGKILLs in {time.monotonic() - started:.0f} s; "
          f"{len(acked)} alerts acknowledged with 2xx, {len(stored)} stored, "
          f"{stats['failed']} requests failed or refused (not acknowledged), "
          f"{len(lost)} acknowledged alerts lost")
    if lost:
        print("lost:", ", ".join(lost[:20]))
        sys.exit(1)


if __name__ == "__main__":
    main()
