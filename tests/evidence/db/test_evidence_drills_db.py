"""A drill end to end in process: alerts injected through the real generic intake webhook,
the drill worked on the fake clock with the real runbook engine, the scorecard matching
those timings, and the runbook's last_tested feeding the overdue list."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.clock import FakeClock
from warroom.evidence.drill_runner import HttpInjector, incident_of_run, inject_scenario
from warroom.evidence.drills import parse_scenario
from warroom.runtime import Runtime
from warroom.testing.intake import keys
from warroom.testing.runbooks import ok, run_step, start_run, write_org
from warroom.testing.runtime import Users, make_runtime, make_users

OUTAGE: dict[str, Any] = {
    "id": "frontend-outage", "title": "Frontend outage",
    "applies_to": {"services": ["frontend"], "severities": ["P0"]},
    "steps": [
        {"id": "collect-evidence", "title": "Collect evidence", "phase": "evidence",
         "executor": {"type": "shell", "command": "echo 503 everywhere"}},
        {"id": "rollback-deploy", "title": "Roll back", "phase": "mitigate",
         "executor": {"type": "shell", "command": "echo rolled back"}},
        {"id": "verify-health", "title": "Verify", "phase": "verify",
         "executor": {"type": "shell", "command": "echo healthy"}},
    ],
}
OTHER: dict[str, Any] = {
    "id": "db-failover", "title": "Database failover",
    "applies_to": {"services": ["api"], "severities": ["P1"]},
    "steps": [{"id": "look", "title": "Look", "phase": "diagnose"}],
}
SCENARIO = """
name: p0-frontend-down
severity: P0
cadence: monthly
alerts:
  - summary: "FrontendDown: 100% of probes failing"
    service: frontend
    severity: critical
    labels: {alertname: FrontendDown}
expected_runbook: frontend-outage
targets:
  ack_within: 5m
  runbook_started_within: 10m
  mitigated_within: 10m
  steps_required: [collect-evidence, rollback-deploy, verify-health]
"""


@pytest.fixture
def drill_env(db_url: str, tmp_path: Path) -> Iterator[tuple[Runtime, FakeClock, Users]]:
    clock = FakeClock()
    org = {"services": [{"name": "frontend", "team": "sre"}, {"name": "api", "team": "sre"}],
           "teams": [{"name": "sre", "members": ["responder"]}],
           "integrations": [{"name": "drills", "kind": "generic"}]}
    runtime = make_runtime(db_url, tmp_path, clock, write_org(tmp_path, [OUTAGE, OTHER],
                                                              org=org))
    yield runtime, clock, make_users(runtime)
    runtime.engine.dispose()


def test_drill_runs_through_intake_and_scores_the_fake_clock_timings(
        drill_env: tuple[Runtime, FakeClock, Users]) -> None:
    runtime, clock, users = drill_env
    scenario = parse_scenario(SCENARIO)
    start = clock.now()
    with TestClient(create_app(runtime)) as client:
        injector = HttpInjector("http://testserver", keys(runtime)["drills"], client=client)
        run_id, payloads = inject_scenario(scenario, injector)
        assert payloads[0]["labels"]["warroom_drill"] == "p0-frontend-down"
        alerts = ok(client.get("/api/v1/alerts", headers=users.headers("viewer")))["items"]
        incident_id = incident_of_run(alerts, run_id)
        assert incident_id is not None
        ref = ok(client.get(f"/api/v1/incidents/{incident_id}",
                            headers=users.headers("viewer")))["human_id"]
        scraped = client.get("/metrics").text
        assert 'warroom_alerts_received_total{source="generic"} 1.0' in scraped
        clock.set(start + timedelta(minutes=2))
        ok(client.post(f"/api/v1/incidents/{ref}/acknowledge",
                       headers=users.headers("responder")))
        clock.set(start + timedelta(minutes=4))
        run = start_run(client, users, "frontend-outage", ref)
        ok(run_step(client, users, run["id"], "collect-evidence"))
        clock.set(start + timedelta(minutes=9))
        ok(run_step(client, users, run["id"], "rollback-deploy"))
        clock.set(start + timedelta(minutes=11))
        ok(run_step(client, users, run["id"], "verify-health"))
        ok(client.post(f"/api/v1/incidents/{ref}/resolve", headers=users.headers("responder"),
                       json={"summary": "drill over"}))

        scored = ok(client.post("/api/v1/reports/drills/score",
                                headers=users.headers("responder"),
                                json={"incident": ref, "scenario": SCENARIO}))
        card = scored["scorecard"]
        assert (card["time_to_ack"], card["time_to_runbook_start"],
                card["time_to_mitigation"]) == (120.0, 240.0, 540.0)
        assert card["steps_done"] == ["collect-evidence", "rollback-deploy", "verify-health"]
        assert {t["name"]: t["met"] for t in card["targets"]} == {
            "Acknowledged": True, "Runbook started": True, "Mitigated": True,
            "Required steps": True, "Expected runbook": True}
        assert card["passed"]

        overdue = ok(client.get("/api/v1/reports/runbooks-overdue",
                                headers=users.headers("viewer")))["items"]
        # Never drilled, so db-failover is listed; frontend-outage was just tested.
        assert [o["runbook_id"] for o in overdue] == ["db-failover"]
        clock.set(start + timedelta(days=32))
        overdue = ok(client.get("/api/v1/reports/runbooks-overdue",
                                headers=users.headers("viewer")))["items"]
        assert [(o["runbook_id"], o["cadence"]) for o in overdue] == [
            ("db-failover", "quarterly"), ("frontend-outage", "monthly")]
