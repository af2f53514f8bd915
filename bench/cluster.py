"""Several `warroom serve` instances on one PostgreSQL, driven the way a real deployment is:
every alert sent to every instance at once (an Alertmanager HA pair), a receiver with
latency and outages, a random instance SIGKILLed mid-storm and restarted, and a console on
one instance watching changes made on another.

Scenarios (each on a fresh schema, every instance stopped at the end, whatever happens):
  grouping  N same-alert tries, each sent to two instances at once: expect N incidents.
  slow      the receiver is down for --outage s, then answers in --latency s: expect 0
            duplicate deliveries.
  kill      a storm at --rate alerts/s to every instance, receiver answering in --latency s,
            one random instance SIGKILLed mid-storm and restarted --restart-after s later:
            duplicates at most the in-flight deliveries (4), no step out of order,
            first-page p99 < 5 s.
  sse       changes made on instance A, seen by an SSE client of instance B: delay per change.

Run: .venv/bin/python bench/cluster.py SCENARIO [options]
     .venv/bin/python bench/cluster.py all --short      (the CI form, about two minutes)
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from warroom.testing.cluster import (
    Cluster,
    ClusterReport,
    PagingReceiver,
    check,
    cluster_config,
    fresh_schema,
    send_to_every_instance,
    storm_payload,
)

DEFAULT_URL = "postgresql+psycopg://root@127.0.0.1:5432/test"


def wait_delivered(receiver: PagingReceiver, expected: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len({d.key for d in receiver.deliveries()}) >= expected:
            return True
        time.sleep(0.5)
    return False


def summary(report: ClusterReport, label: str) -> None:
    latencies = report.first_page_latency
    p50 = statistics.median(latencies) if latencies else 0.0
    print(f"[{label}] groups {report.groups}, duplicate incidents "
          f"{len(report.duplicate_incidents)}, keys delivered {len(report.deliveries_per_key)}, "
          f"duplicate deliveries {report.duplicate_deliveries}, steps out of order "
          f"{len(report.out_of_order)}, first page p50 {p50:.2f} s p99 "
          f"{report.p99_first_page():.2f} s max {max(latencies, default=0.0):.2f} s")
    slowest = sorted(report.first_page_by_group.items(), key=lambda kv: -kv[1])[:8]
    print(f"[{label}] slowest first pages: "
          + ", ".join(f"{group} {seconds:.1f} s" for group, seconds in slowest))


def grouping(args: argparse.Namespace, tmp: Path) -> bool:
    with PagingReceiver() as receiver, fresh_schema(args.database_url) as url:
        config = cluster_config(tmp / "org.json", receiver.url)
        with Cluster(tmp, config, url, size=2) as cluster, httpx.Client() as client:
            sent_at: dict[str, float] = {}
            for n in range(args.tries):
                sent_at[f"Storm{n}"] = time.monotonic()
                send_to_every_instance(cluster.urls, storm_payload(n), client)
            report = check(url, receiver, sent_at)
    declared = sum(report.incidents_per_group.values())
    print(f"[grouping] {args.tries} tries at 2 instances at once: {declared} incidents "
          f"(target {args.tries}); groups with more than one: "
          f"{len(report.duplicate_incidents)}")
    return declared == args.tries and not report.duplicate_incidents


def slow(args: argparse.Namespace, tmp: Path) -> bool:
    with PagingReceiver(latency=args.latency) as receiver, \
            fresh_schema(args.database_url) as url:
        config = cluster_config(tmp / "org.json", receiver.url, tuple(args.steps))  # type: ignore[arg-type]
        with Cluster(tmp, config, url, size=3) as cluster, httpx.Client() as client:
            receiver.outage(args.outage)  # from the first alert on
            sent_at: dict[str, float] = {}
            for n in range(args.alerts):
                sent_at[f"Storm{n}"] = time.monotonic()
                send_to_every_instance(cluster.urls, storm_payload(n), client)
            done = wait_delivered(receiver, args.alerts * 3, args.timeout)
            time.sleep(args.latency + 2)
            report = check(url, receiver, sent_at)
    print(f"[slow] outage {args.outage:.0f} s then {args.latency} s answers; "
          f"{receiver.refused} refused during the outage; all delivered: {done}")
    summary(report, "slow")
    return done and report.duplicate_deliveries == 0 and not report.duplicate_incidents


def restart_later(cluster: Cluster, index: int, delay: float, origin: float) -> None:
    time.sleep(delay)
    began = time.monotonic() - origin
    cluster.restart(index)
    print(f"[kill] instance {index} restarted at t={began:.1f} s, ready at "
          f"t={time.monotonic() - origin:.1f} s")


def kill(args: argparse.Namespace, tmp: Path) -> bool:
    rng = random.Random(args.seed)
    with PagingReceiver(latency=args.latency) as receiver, \
            fresh_schema(args.database_url) as url:
        config = cluster_config(tmp / "org.json", receiver.url, tuple(args.steps))  # type: ignore[arg-type]
        with Cluster(tmp, config, url, size=3) as cluster, httpx.Client() as client:
            victim = rng.randrange(3)
            kill_at = rng.randrange(args.alerts // 4, 3 * args.alerts // 4)
            sent_at: dict[str, float] = {}
            accepted_in: dict[str, float] = {}  # the fastest 202 among the instances
            killed_at = 0.0
            restarter: threading.Thread | None = None
            start = time.monotonic()
            for n in range(args.alerts):
                if n == kill_at:
                    in_flight = len(receiver.deliveries())
                    cluster.kill(victim)
                    killed_at = time.monotonic() - start
                    print(f"[kill] SIGKILL instance {victim} after alert {n} "
                          f"(t={killed_at:.1f} s, {in_flight} deliveries so far)")
                    restarter = threading.Thread(target=restart_later,
                                                 args=(cluster, victim, args.restart_after, start))
                    restarter.start()
                sent_at[f"Storm{n}"] = time.monotonic()
                timings: list[tuple[int, float]] = []
                statuses = send_to_every_instance(cluster.urls, storm_payload(n), client,
                                                  timings)
                accepted_in[f"Storm{n}"] = min((t for s, t in timings if s == 202),
                                               default=-1.0)
                if not any(s == 202 for s in statuses):
                    print(f"[kill] alert {n} was accepted by no instance: {statuses}")
                time.sleep(max(0.0, start + (n + 1) / args.rate - time.monotonic()))
            if restarter is not None:
                restarter.join()
            done = wait_delivered(receiver, args.alerts * 3, args.timeout)
            time.sleep(args.latency + 2)
            report = check(url, receiver, sent_at)
    slowest = sorted(report.first_page_by_group.items(), key=lambda kv: -kv[1])[:5]
    print("[kill] slowest first pages, sent at: " + ", ".join(
        f"{group} t={sent_at[group] - start:.1f} s (first 202 after "
        f"{accepted_in.get(group, -1):.1f} s)" for group, _ in slowest))
    print(f"[kill] {args.alerts} alerts at {args.rate}/s to 3 instances, receiver "
          f"{args.latency} s, restarted after {args.restart_after} s; all delivered: {done}")
    summary(report, "kill")
    return (done and report.duplicate_deliveries <= 4 and not report.out_of_order
            and not report.duplicate_incidents and report.p99_first_page() < 5.0)


def sse(args: argparse.Namespace, tmp: Path) -> bool:
    with PagingReceiver() as receiver, fresh_schema(args.database_url) as url:
        config = cluster_config(tmp / "org.json", receiver.url)
        with Cluster(tmp, config, url, size=2) as cluster:
            auth = {"Authorization": f"Bearer {cluster.token()}"}
            made, seen = cluster.urls
            arrivals: dict[str, float] = {}
            ready = threading.Event()

            def listen() -> None:
                with httpx.Client(timeout=httpx.Timeout(120, connect=10)) as c, \
                        c.stream("GET", f"{seen}/api/v1/live", headers=auth) as stream:
                    event = ""
                    for line in stream.iter_lines():
                        if line.startswith("event: "):
                            event = line[7:]
                            if event == "ready":
                                ready.set()
                        elif line.startswith("data: ") and event == "incident":
                            for e in json.loads(line[6:])["events"]:
                                if e["kind"] == "note_added":
                                    arrivals.setdefault(e["data"]["text"], time.monotonic())
                        if len(arrivals) >= args.changes:
                            return

            listener = threading.Thread(target=listen, daemon=True)
            listener.start()
            ready.wait(30)
            with httpx.Client(headers=auth, timeout=30) as client:
                ref = client.post(f"{made}/api/v1/incidents", json={
                    "title": "SSE probe", "severity": "P3"}).json()["incident"]["human_id"]
                sent: dict[str, float] = {}
                for n in range(args.changes):
                    text = f"probe {n}"
                    sent[text] = time.monotonic()
                    client.post(f"{made}/api/v1/incidents/{ref}/notes", json={"text": text})
                    time.sleep(0.2)
            listener.join(15)
    delays = sorted(arrivals[t] - sent[t] for t in sent if t in arrivals)
    print(f"[sse] {len(delays)} of {args.changes} changes made on A seen by a client of B; "
          f"delay p50 {statistics.median(delays) if delays else 0:.3f} s, "
          f"max {max(delays, default=0):.3f} s")
    return len(delays) == args.changes and max(delays) < 1.0


SCENARIOS = {"grouping": grouping, "slow": slow, "kill": kill, "sse": sse}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=[*SCENARIOS, "all"])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--short", action="store_true", help="the CI sizes")
    parser.add_argument("--tries", type=int, default=50, help="grouping: same-alert tries")
    parser.add_argument("--alerts", type=int, default=None, help="slow/kill: alerts")
    parser.add_argument("--rate", type=float, default=5.0, help="kill: alerts per second")
    parser.add_argument("--latency", type=float, default=None, help="receiver answer time (s)")
    parser.add_argument("--outage", type=float, default=60.0, help="slow: outage (s)")
    parser.add_argument("--restart-after", type=float, default=5.0)
    parser.add_argument("--steps", nargs=3, default=["immediately", "20s", "40s"])
    parser.add_argument("--changes", type=int, default=20, help="sse: changes to watch")
    parser.add_argument("--timeout", type=float, default=400.0)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    if args.short:
        args.tries, args.outage, args.changes = 20, 10.0, 10
        args.steps = ["immediately", "5s", "10s"]
    chosen = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    ok = True
    for name in chosen:
        scenario_args = argparse.Namespace(**vars(args))
        if scenario_args.alerts is None:
            scenario_args.alerts = {"slow": 20 if args.short else 60,
                                    "kill": 40 if args.short else 200}.get(name, 0)
        if scenario_args.latency is None:
            scenario_args.latency = {"slow": 6.0, "kill": 0.5}.get(name, 0.0)
        with tempfile.TemporaryDirectory() as tmp:
            passed = SCENARIOS[name](scenario_args, Path(tmp))
        print(f"[{name}] target {'met' if passed else 'NOT met'}")
        ok = ok and passed
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
