"""A hostile alert label through the intake endpoint, with execution enabled: a step using it
is refused (not an inert word) and the refusal is on the timeline; a `free_text` parameter in
the safe environment form runs it as text; a runbook that would splice it into a nested shell
is refused with an error naming the step and the parameter."""

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

intake_helpers = pytest.importorskip("warroom.testing.intake")

PARAMS = [{"name": "instance", "source": "label:instance", "default": "none"}]
FREE = [{**PARAMS[0], "free_text": True}]
STRICT: dict[str, Any] = {
    "id": "strict", "title": "Web is down, default rule", "parameters": PARAMS,
    "steps": [{"id": "look", "title": "Look", "phase": "diagnose", "auto": True,
               "executor": {"type": "shell", "command":
                            "echo first {{ instance }}; sh -c 'echo nested \"$WR_P_INSTANCE\"'"}}],
}
SAFE: dict[str, Any] = {
    "id": "WebDown", "title": "Web is down", "parameters": FREE,
    "steps": [{"id": "look", "title": "Look", "phase": "diagnose", "auto": True,
               "executor": {"type": "shell", "command":
                            "echo first {{ instance }}; sh -c 'echo nested \"$WR_P_INSTANCE\"'"}}],
}
UNSAFE: dict[str, Any] = {
    "id": "web-unsafe", "title": "Web, spliced", "parameters": PARAMS,
    "steps": [{"id": "nested", "title": "Nested", "phase": "diagnose",
               "executor": {"type": "shell", "command": 'sh -c "echo {{ instance }}"'}}],
}
ORG: dict[str, Any] = {
    "services": [{"name": "frontend"}],
    "integrations": [{"name": "hook", "kind": "generic", "service": "frontend"}],
    "rules": [
        {"name": "declare", "when": 'labels.alertname == "WebDown"',
         "actions": [{"declare": {"severity": "P1", "type": "service_outage",
                                  "title": "Web down"}}]},
        {"name": "look", "when": 'labels.alertname == "WebDown"',
         "actions": [{"run_step": {"runbook": "WebDown", "step": "look"}},
                     {"run_step": {"runbook": "strict", "step": "look"}}]},
    ],
}


@pytest.fixture
def runtime(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Runtime]:
    config = write_org(tmp_path, [SAFE, STRICT, UNSAFE], org=ORG, execution="enabled")
    rt = make_runtime(db_url, tmp_path, clock, config)
    yield rt
    rt.engine.dispose()


def test_a_hostile_label_stays_text_and_a_nested_splice_is_refused(
        client: TestClient, users: Users, runtime: Runtime, tmp_path: Path) -> None:
    marker = tmp_path / "pwned-marker"
    hostile = f"x; touch {marker}; $(touch {marker}) `touch {marker}` ' \""
    key = intake_helpers.keys(runtime)["hook"]
    sent = client.post(f"/api/v1/intake/generic/{key}", json={"alerts": [{
        "summary": "web down", "labels": {"alertname": "WebDown", "instance": hostile}}]})
    assert sent.status_code == 202, sent.text
    inc = ok(client.get("/api/v1/incidents", headers=users.headers("viewer")))["items"][0][
        "human_id"]
    worker = Worker(runtime)
    worker.run_once()
    worker.stop()
    events = timeline(client, users, inc)
    finished = [e for e in events if e["kind"] == "runbook_step_finished"]
    assert [(e["data"]["runbook_id"], e["data"]["outcome"]) for e in finished] == [
        ("WebDown", "ok")]
    [refusal] = [e for e in events if e["kind"] == "runbook_automation_refused"]
    assert refusal["data"]["runbook_id"] == "strict"
    assert ("step 'look' uses parameter 'instance' (filled from label:instance), whose value "
            "is not one inert word: it contains ';' at position 2") in refusal["data"]["reason"]
    output = client.get(f"/api/v1/artifacts/{finished[0]['data']['output_sha256']}",
                        headers=users.headers("viewer")).text
    assert output == f"first {hostile}\nnested {hostile}\n"

    listed = ok(client.get("/api/v1/runbooks/web-unsafe", headers=users.headers("viewer")))
    assert not listed["runnable"]
    [finding] = [f for f in listed["findings"]
                 if f["code"] == "untrusted-parameter-in-nested-shell"]
    assert "step 'nested' puts parameter 'instance' (filled from label:instance)" in \
        finding["message"]
    refused = client.post("/api/v1/runs", headers=users.headers("responder"),
                          json={"runbook": "web-unsafe", "incident": inc})
    assert refused.status_code == 422
    assert "step 'nested' puts parameter 'instance'" in refused.json()["detail"]
    assert not marker.exists()
