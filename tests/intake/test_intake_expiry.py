"""Alerts posted to the Alertmanager API expire at `endsAt` without a re-send, as in
Alertmanager; without `endsAt` they expire `WARROOM_RESOLVE_TIMEOUT` after the last one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.clock import FakeClock, isoformat
from warroom.engine.worker import Worker
from warroom.runtime import Runtime
from warroom.store import incidents as incident_store
from warroom.testing.intake import keys, stored_alerts, write_org
from warroom.testing.runtime import make_runtime


@pytest.fixture
def rt(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Runtime]:
    runtime = make_runtime(db_url, tmp_path, clock, write_org(tmp_path))
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def http(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt)) as c:
        yield c


@pytest.fixture
def worker(rt: Runtime) -> Iterator[Worker]:
    found = Worker(rt, threads=1)
    yield found
    found.stop()


def post(http: TestClient, rt: Runtime, ends_at: datetime | None,
         alertname: str = "ServiceDown") -> None:
    alert: dict[str, Any] = {"labels": {"alertname": alertname, "job": "api"},
                             "annotations": {"summary": f"{alertname} on api"}}
    if ends_at is not None:
        alert["endsAt"] = isoformat(ends_at)
    resp = http.post("/api/v2/alerts", json=[alert],
                     headers={"Authorization": f"Bearer {keys(rt)['prom']}"})
    assert resp.status_code == 200, resp.text


def statuses(rt: Runtime, integration: str = "prom") -> list[str]:
    return [a.status for a in stored_alerts(rt, integration=integration)]


def test_alert_expires_at_ends_at_without_a_resend(http: TestClient, rt: Runtime,
                                                  clock: FakeClock, worker: Worker) -> None:
    post(http, rt, clock.now() + timedelta(seconds=4))
    worker.run_once()
    assert statuses(rt) == ["firing"]
    clock.advance(timedelta(seconds=3))
    post(http, rt, clock.now() + timedelta(seconds=4))  # a re-send moves endsAt on
    clock.advance(timedelta(seconds=3))
    worker.run_once()
    assert statuses(rt) == ["firing"]
    clock.advance(timedelta(seconds=1))
    worker.run_once()
    [alert] = stored_alerts(rt)
    assert alert.status == "resolved"
    assert alert.ends_at == clock.now()  # resolved as of its endsAt, like Alertmanager


def test_expiry_resolves_the_incident_alerts_like_a_resolve(
        http: TestClient, rt: Runtime, clock: FakeClock, worker: Worker) -> None:
    post(http, rt, clock.now() + timedelta(seconds=4))
    [alert] = stored_alerts(rt)
    assert alert.incident_id is not None
    clock.advance(timedelta(seconds=5))
    worker.run_once()
    with rt.engine.connect() as conn:
        events = incident_store.load_events(conn, alert.incident_id)
        state = incident_store.lock_state(conn, alert.incident_id)
    assert "alert_resolved" in [e.kind for e in events]
    assert state is not None and state.status == "monitoring"


def test_alert_without_ends_at_expires_after_the_resolve_timeout(
        http: TestClient, rt: Runtime, clock: FakeClock, worker: Worker) -> None:
    post(http, rt, None)
    clock.advance(timedelta(minutes=4))
    post(http, rt, None)  # the re-send restarts the timeout
    clock.advance(timedelta(minutes=4, seconds=59))
    worker.run_once()
    assert statuses(rt) == ["firing"]
    clock.advance(timedelta(seconds=1))
    worker.run_once()
    assert statuses(rt) == ["resolved"]


def test_alertmanager_webhook_alerts_never_expire(http: TestClient, rt: Runtime,
                                                 clock: FakeClock, worker: Worker) -> None:
    # Alertmanager owns their lifecycle and re-sends only every repeat_interval.
    body = {"version": "4", "status": "firing", "alerts": [
        {"status": "firing", "labels": {"alertname": "X", "job": "api"},
         "annotations": {}, "startsAt": isoformat(clock.now()),
         "endsAt": "0001-01-01T00:00:00Z"}]}
    assert http.post(f"/api/v1/intake/alertmanager/{keys(rt)['am']}",
                     json=body).status_code == 202
    clock.advance(timedelta(hours=6))
    worker.run_once()
    assert statuses(rt, "am") == ["firing"]
