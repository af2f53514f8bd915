"""Several real `warroom serve` instances on one PostgreSQL schema, fed like an Alertmanager
HA pair (every alert to every instance at once), paging a receiver with configurable latency
and outages; and the checks a deployment needs: one incident per group, each page once,
escalation steps in order, first-page latency. Used by tests/e2e and bench/cluster.py."""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
import sqlalchemy as sa

from warroom.store import db
from warroom.store.alerts import alerts
from warroom.store.schema import incidents
from warroom.testing.paging import ALERTMANAGER_KEY, alertmanager_payload
from warroom.testing.receivers import HttpReceiver, ReceivedRequest, ScriptedResponse
from warroom.testing.server import Server, cli

FAST = {"per_second": 10000, "burst": 10000}
STARTUP = 180.0  # seconds an instance may take to be ready (a quiet machine needs ~3 s)


def cluster_config(path: Path, receiver_url: str,
                   steps: tuple[str, str, str] = ("immediately", "20s", "40s")) -> Path:
    """Service `api` pages alice (schedule primary) at step 0, bob (secondary) at step 1 and
    the team webhook at step 2; every alert with service="api" and severity critical is a P0."""
    rotation = {"shift": "weekly", "handoff": "09:00", "start": "2025-12-29"}
    config = {
        "users": [{"name": "alice", "contact_methods": [{"kind": "webhook", "address": "alice"}]},
                  {"name": "bob", "contact_methods": [{"kind": "webhook", "address": "bob"}]}],
        "services": [{"name": "api", "escalation_policy": "storm"}],
        "schedules": [
            {"name": "primary", "layers": [{"name": "l", "rotation": {
                "participants": ["alice"], **rotation}}]},
            {"name": "secondary", "layers": [{"name": "l", "rotation": {
                "participants": ["bob"], **rotation}}]}],
        "escalation_policies": [{"name": "storm", "steps": [
            {"at": steps[0], "targets": [{"schedule": "primary"}]},
            {"at": steps[1], "targets": [{"schedule": "secondary"}]},
            {"at": steps[2], "targets": [{"channel": "team-hook"}]}]}],
        "channels": {
            "pager": {"type": "webhook", "url": f"{receiver_url}/pager", "rate_limit": FAST},
            "team-hook": {"type": "webhook", "url": f"{receiver_url}/team",
                          "rate_limit": FAST}},
        "communications": {"war_room_severities": []},
        "integrations": [{"name": "am", "kind": "alertmanager", "key": ALERTMANAGER_KEY}],
        "routes": [{"name": "api", "matchers": ['service="api"'], "service": "api",
                    "severity_map": {"critical": "P0"}}],
    }
    path.write_text(json.dumps(config))
    return path


@dataclass(frozen=True)
class Delivery:
    """One request the receiver accepted (answered 2xx)."""

    key: str
    incident_id: str
    kind: str
    step: int | None
    at: float  # time.monotonic() when it arrived


class PagingReceiver:
    """A webhook receiver that answers after `latency` seconds, or 503 while down."""

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.down_until = 0.0
        self.accepted: list[Delivery] = []
        self.refused = 0
        self._lock = threading.Lock()
        self.http = HttpReceiver(responder=self._respond)

    def outage(self, seconds: float) -> None:
        """Refuse everything (503) for the next `seconds`."""
        self.down_until = time.monotonic() + seconds

    def _respond(self, request: ReceivedRequest) -> ScriptedResponse:
        now = time.monotonic()
        if now < self.down_until:
            with self._lock:
                self.refused += 1
            return ScriptedResponse(503, b"down")
        body = request.json()
        step = body.get("extra", {}).get("step")
        with self._lock:
            self.accepted.append(Delivery(
                request.header("Idempotency-Key") or "?", str(body["incident"]["id"]),
                str(body.get("kind")), int(step) if step is not None else None, now))
        return ScriptedResponse(200, b"ok", delay=self.latency)

    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self.accepted)

    def __enter__(self) -> Self:
        self.http.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.http.stop()

    @property
    def url(self) -> str:
        return self.http.url


@contextlib.contextmanager
def fresh_schema(database_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL schema for the run (dropped afterwards); yields its URL."""
    schema = f"cluster_{uuid.uuid4().hex[:10]}"
    admin = db.create_engine(database_url, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in database_url else "?"
    try:
        yield f"{database_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


class Cluster:
    """`size` instances of `warroom serve` on one database; every one is stopped on exit,
    whatever happened (a killed instance is simply already gone)."""

    def __init__(self, workdir: Path, config: Path, database_url: str, size: int = 3) -> None:
        self.env = {"WARROOM_CONFIG": str(config), "WARROOM_DATABASE_URL": database_url,
                    "WARROOM_LOG_LEVEL": "warning"}
        self.workdir = workdir
        self.servers: list[Server] = []
        for n in range(size):
            home = workdir / f"i{n}"
            home.mkdir(parents=True, exist_ok=True)
            self.servers.append(Server(home, {**self.env, "WARROOM_DATA_DIR": str(home)}))

    def __enter__(self) -> Self:
        try:
            # The first one migrates the schema; the others then start together.
            self.servers[0].start(timeout=STARTUP)
            with ThreadPoolExecutor(len(self.servers)) as pool:
                list(pool.map(lambda s: s.start(timeout=STARTUP), self.servers[1:]))
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        for server in self.servers:
            with contextlib.suppress(Exception):
                server.stop()

    @property
    def urls(self) -> list[str]:
        return [s.url for s in self.servers if s.proc is not None and s.proc.poll() is None]

    def kill(self, index: int) -> None:
        """SIGKILL: no shutdown, leases and claims are left behind."""
        proc = self.servers[index].proc
        if proc is not None:
            proc.kill()
            proc.wait()

    def restart(self, index: int) -> None:
        self.servers[index].start(timeout=STARTUP)

    def token(self, user: str = "admin") -> str:
        """An API token for `user` (the bootstrap admin by default), made with the CLI."""
        done = cli(["token", "create", "--user", user], self.env, self.workdir)
        if done.returncode != 0:
            raise RuntimeError(f"token create failed: {done.stderr}")
        return done.stdout.strip().splitlines()[-1]


def send_to_every_instance(urls: list[str], payload: dict[str, Any], client: httpx.Client,
                           timings: list[tuple[int, float]] | None = None) -> list[int]:
    """POST one Alertmanager notification to every instance at the same moment, as an
    Alertmanager HA pair does; returns the status codes. A refused connection (an instance
    being killed) counts as 0: Alertmanager would retry it. With `timings`, each request's
    (status, seconds) is appended to it."""
    start = threading.Barrier(len(urls))

    def post(url: str) -> int:
        start.wait(30)
        began = time.monotonic()
        try:
            status = client.post(f"{url}/api/v1/intake/alertmanager/{ALERTMANAGER_KEY}",
                                 json=payload, timeout=30).status_code
        except httpx.HTTPError:
            status = 0
        if timings is not None:
            timings.append((status, time.monotonic() - began))
        return status

    with ThreadPoolExecutor(len(urls)) as pool:
        return list(pool.map(post, urls))


def storm_payload(n: int) -> dict[str, Any]:
    return alertmanager_payload(alertname=f"Storm{n}", fingerprint=f"{n:016x}")


@dataclass
class ClusterReport:
    """What a run produced, and every way it fell short."""

    groups: int
    incidents_per_group: dict[str, int] = field(default_factory=dict)
    deliveries_per_key: dict[str, int] = field(default_factory=dict)
    out_of_order: list[str] = field(default_factory=list)
    first_page_latency: list[float] = field(default_factory=list)
    first_page_by_group: dict[str, float] = field(default_factory=dict)

    @property
    def duplicate_incidents(self) -> dict[str, int]:
        return {g: n for g, n in self.incidents_per_group.items() if n != 1}

    @property
    def duplicate_deliveries(self) -> int:
        return sum(n - 1 for n in self.deliveries_per_key.values() if n > 1)

    def p99_first_page(self) -> float:
        values = sorted(self.first_page_latency)
        return values[min(len(values) - 1, int(len(values) * 0.99))] if values else 0.0


def check(database_url: str, receiver: PagingReceiver, sent_at: dict[str, float]) -> ClusterReport:
    """Incidents per group (alertname) from the database, deliveries per idempotency key,
    step order and first-page latency from what the receiver accepted. `sent_at` maps each
    alertname to the time.monotonic() its notification was first sent."""
    engine = db.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(alerts.c.labels, alerts.c.incident_id)).all()
            declared = conn.execute(sa.select(incidents.c.id)).scalars().all()
    finally:
        engine.dispose()
    by_incident = {r.incident_id: r.labels.get("alertname", "?") for r in rows if r.incident_id}
    report = ClusterReport(groups=len(sent_at))
    per_group: collections.Counter[str] = collections.Counter(
        by_incident.get(i, "?") for i in declared)
    report.incidents_per_group = {g: per_group.get(g, 0) for g in sent_at} | {
        g: n for g, n in per_group.items() if g not in sent_at}
    deliveries = receiver.deliveries()
    report.deliveries_per_key = dict(collections.Counter(d.key for d in deliveries))
    first: dict[tuple[str, int], float] = {}
    for d in deliveries:
        if d.step is not None and (d.incident_id, d.step) not in first:
            first[(d.incident_id, d.step)] = d.at
    for incident_id in {i for i, _ in first}:
        steps = sorted((s, at) for (i, s), at in first.items() if i == incident_id)
        if any(later < earlier for (_, earlier), (_, later) in itertools.pairwise(steps)):
            report.out_of_order.append(incident_id)
        if steps and steps[0][0] == 0 and incident_id in by_incident:
            group = by_incident[incident_id]
            if group in sent_at:
                report.first_page_latency.append(steps[0][1] - sent_at[group])
                report.first_page_by_group[group] = steps[0][1] - sent_at[group]
    return report
