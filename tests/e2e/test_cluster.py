"""Three real `warroom serve` instances on the CI machine's PostgreSQL, fed every alert at
every instance at once (an Alertmanager HA pair and more): one incident per group, each page
once, escalation steps in order, and a console on one instance sees changes made on another."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from warroom.testing.cluster import (
    Cluster,
    PagingReceiver,
    check,
    cluster_config,
    fresh_schema,
    send_to_every_instance,
    storm_payload,
)
from warroom.testing.runtime import PG_URL

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
ALERTS = 12
STEPS = ("immediately", "4s", "8s")


@pytest.fixture
def receiver() -> Iterator[PagingReceiver]:
    with PagingReceiver(latency=0.2) as found:
        yield found


@pytest.fixture
def cluster(tmp_path: Path, receiver: PagingReceiver) -> Iterator[Cluster]:
    if not PG_URL:
        pytest.skip("PostgreSQL tests skipped: set WARROOM_TEST_DATABASE_URL")
    config = cluster_config(tmp_path / "org.json", receiver.url, STEPS)
    with fresh_schema(PG_URL) as url, Cluster(tmp_path, config, url, size=3) as found:
        yield found


def wait_for(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def test_three_instances_make_one_incident_per_group_and_page_in_order(
        cluster: Cluster, receiver: PagingReceiver) -> None:
    sent_at: dict[str, float] = {}
    with httpx.Client() as client:
        for n in range(ALERTS):
            if n == ALERTS // 2:
                cluster.kill(1)  # SIGKILL mid-storm: its claims and leases are left behind
            sent_at[f"Storm{n}"] = time.monotonic()
            statuses = send_to_every_instance(cluster.urls, storm_payload(n), client)
            assert statuses == [202] * len(cluster.urls)
    expected = ALERTS * 3  # three steps per incident, one request each
    assert wait_for(lambda: len({d.key for d in receiver.deliveries()}) >= expected, 120), \
        f"only {len(receiver.deliveries())} of {expected} pages arrived"
    time.sleep(2)  # a duplicate would arrive now
    report = check(cluster.env["WARROOM_DATABASE_URL"], receiver, sent_at)
    assert report.duplicate_incidents == {}
    # Only what the killed instance had in flight (at most 4) may go twice.
    assert report.duplicate_deliveries <= 4, report.deliveries_per_key
    assert report.out_of_order == []
    assert len(report.first_page_latency) == ALERTS


def test_a_console_on_one_instance_sees_a_change_made_on_another(cluster: Cluster) -> None:
    token = cluster.token()
    auth = {"Authorization": f"Bearer {token}"}
    first, _second, third = cluster.urls
    frames: list[tuple[float, dict[str, object]]] = []
    ready = threading.Event()

    def listen() -> None:
        with httpx.Client(timeout=httpx.Timeout(60, connect=10)) as sse, \
                sse.stream("GET", f"{third}/api/v1/live", headers=auth) as stream:
            event = ""
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                    if event == "ready":
                        ready.set()
                elif line.startswith("data: ") and event == "incident":
                    frames.append((time.monotonic(), json.loads(line[6:])))
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert ready.wait(30)
    made = time.monotonic()
    declared = httpx.post(f"{first}/api/v1/incidents", headers=auth, timeout=30,
                          json={"title": "Checkout 500s", "severity": "P1"})
    assert declared.status_code == 201, declared.text
    listener.join(30)
    assert frames, "the console on the third instance saw nothing"
    seen_at, frame = frames[0]
    incident = frame["incident"]
    assert isinstance(incident, dict) and incident["id"] == declared.json()["incident"]["id"]
    assert seen_at - made < 10  # typically ~0.1 s; bench/cluster.py measures it
