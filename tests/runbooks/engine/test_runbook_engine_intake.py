"""An alert through the intake endpoint: its incident suggests the runbook named by its
alertname, and a rule's run_step action runs an auto step, attributed to the rule."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from warroom.clock import FakeClock
from warroom.engine.worker import Worker
from warroom.runtime import Runtime
from warroom.testing.runbooks import ok, timeline, write_org
from warroom.testing.runtime import Users, make_runtime

pipeline = pytest.importorskip("warroom.intake.pipeline")
intake_helpers = pytest.importorskip("warroom.testing.intake")

WEB_DOWN: dict[str, Any] = {
    "id": "WebDown", "title": "Web is down",
    "parameters": [{"name": "instance", "source": "label:instance", "default": "none"}],
    "steps": [
        {"id": "restart", "title": "Restart the web tier", "phase": "mitigate", "auto": True,
         "executor": {"type": "shell", "command": "echo restarting {{ instance }}"}},
        {"id": "verify", "title": "Verify", "phase": "verify"},
    ],
}
ORG: dict[str, Any] = {
    "services": [{"name": "frontend"}],
    "integrations": [{"name": "hook", "kind": "generic", "service": "frontend"}],
    "rules": [
        {"name": "web-down-declare", "when": 'labels.alertname == "WebDown"',
         "actions": [{"declare": {"severity": "P1", "type": "service_outage",
                                  "title": "Web down"}}]},
        {"name": "web-down-restart", "when": 'labels.alertname == "WebDown"',
         "actions": [{"run_step": {"runbook": "WebDown", "step": "restart"}}]},
    ],
}


@pytest.fixture
def runtime(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Runtime]:
    config = write_org(tmp_path, [WEB_DOWN], org=ORG)
    rt = make_runtime(db_url, tmp_path, clock, config)
    yield rt
    rt.engine.dispose()


def test_alert_suggests_its_runbook_and_a_rule_runs_the_auto_step(
        client: TestClient, users: Users, runtime: Runtime) -> None:
    key = intake_helpers.keys(runtime)["hook"]
    sent = client.post(f"/api/v1/intake/generic/{key}", json={"alerts": [{
        "summary": "web down", "labels": {"alertname": "WebDown", "instance": "web-3"}}]})
    assert sent.status_code == 202, sent.text
    incidents = ok(client.get("/api/v1/incidents", headers=users.headers("viewer")))["items"]
    assert len(incidents) == 1
    inc = incidents[0]["human_id"]
    suggested = ok(client.get(f"/api/v1/incidents/{inc}/runbooks/suggested",
                              headers=users.headers("viewer")))["items"]
    assert suggested[0]["runbook_id"] == "WebDown"
    assert "alertname equals runbook id 'WebDown'" in suggested[0]["reasons"]
    worker = Worker(runtime)
    worker.run_once()
    worker.stop()
    events = timeline(client, users, inc)
    finished = [e for e in events if e["kind"] == "runbook_step_finished"]
    assert len(finished) == 1
    assert finished[0]["actor"] == "rule:web-down-restart"
    assert finished[0]["data"]["rendered"] == "echo restarting web-3"
    assert finished[0]["data"]["outcome"] == "ok"
