"""The Done-when flow with the real runbook engine: alert-free P0 declared, acknowledged, a
runbook's evidence step run, its gated rollback approved and run, resolved — and the
exported pack verifies, carries the step outputs, changes and approvals, and catches edits."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.clock import FakeClock
from warroom.evidence.keys import load_or_create_signing_key
from warroom.evidence.pack import write_pack
from warroom.evidence.verify import verify_pack
from warroom.runtime import Runtime
from warroom.testing.evidence_db import settle
from warroom.testing.runbooks import ok, run_step, start_run, write_org
from warroom.testing.runtime import Users, make_runtime, make_users

ROLLBACK: dict[str, Any] = {
    "id": "checkout-rollback", "title": "Checkout rollback",
    "applies_to": {"services": ["frontend"]},
    "steps": [
        {"id": "collect-logs", "title": "Collect pod logs", "phase": "evidence",
         "executor": {"type": "shell", "command": "echo checkout-7d9 ERROR upstream 503"}},
        {"id": "rollback", "title": "Roll back checkout deploy", "phase": "mitigate",
         "requires_approval": {"roles": ["commander"], "count": 1},
         "executor": {"type": "shell", "command": "echo deployment rolled back"}},
    ],
}


@pytest.fixture
def flow(db_url: str, tmp_path: Path) -> Iterator[tuple[Runtime, FakeClock, Users]]:
    clock = FakeClock()
    config = write_org(tmp_path, [ROLLBACK])
    runtime = make_runtime(db_url, tmp_path, clock, config)
    yield runtime, clock, make_users(runtime)
    runtime.engine.dispose()


def test_runbook_driven_p0_exports_a_pack_that_verifies_and_detects_tampering(
        flow: tuple[Runtime, FakeClock, Users], tmp_path: Path) -> None:
    runtime, clock, users = flow
    with TestClient(create_app(runtime)) as client:
        declared = ok(client.post("/api/v1/incidents", headers=users.headers("responder"),
                                  json={"title": "Checkout down", "severity": "P0",
                                        "services": ["frontend"], "commander": "commander"}),
                      201)
        ref = declared["incident"]["human_id"]
        clock.advance(timedelta(minutes=3))
        ok(client.post(f"/api/v1/incidents/{ref}/acknowledge",
                       headers=users.headers("responder")))
        clock.advance(timedelta(minutes=5))
        run = start_run(client, users, "checkout-rollback", ref)
        assert ok(run_step(client, users, run["id"], "collect-logs"))["state"] == "ok"
        clock.advance(timedelta(minutes=4))
        request = ok(client.post(f"/api/v1/runs/{run['id']}/steps/rollback/approval",
                                 headers=users.headers("responder"),
                                 json={"reason": "roll back deploy 4f2a"}), 201)
        ok(client.post(f"/api/v1/approvals/{request['id']}/approve",
                       headers=users.headers("commander"), json={"reason": "go"}))
        clock.advance(timedelta(minutes=2))
        assert ok(run_step(client, users, run["id"], "rollback"))["state"] == "ok"
        clock.advance(timedelta(minutes=20))
        ok(client.post(f"/api/v1/incidents/{ref}/resolve", headers=users.headers("commander"),
                       json={"summary": "rolled back"}))
        settle(runtime)  # the engine drafts the postmortem, which the pack carries as rca.md
        resp = client.get(f"/api/v1/incidents/{ref}/evidence",
                          headers=users.headers("commander"))
        assert resp.status_code == 200, resp.text

    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(resp.content), mode="r:gz") as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member)
            assert handle is not None
            files[member.name.split("/", 1)[1]] = handle.read()
    logs = {k: v for k, v in files.items() if k.startswith("logs/")}
    assert any(b"checkout-7d9 ERROR upstream 503" in v for v in logs.values()), list(logs)
    assert any(b"deployment rolled back" in v for v in logs.values())
    changes = json.loads(files["changes.json"])["changes"]
    (rollback,) = [c for c in changes if c.get("step_id") == "rollback"]
    assert rollback["command"] == "echo deployment rolled back"
    assert rollback["log"] in logs
    approvals = json.loads(files["approvals.json"])["approvals"]
    assert approvals[0]["requested_by"] == "responder"
    assert [(d["action"], d["by"]) for d in approvals[0]["decisions"]] == [
        ("granted", "commander")]
    assert "Roll back checkout deploy" in files["rca.md"].decode()

    key = load_or_create_signing_key(runtime.settings.data_dir).public_key()
    pack = write_pack(files, tmp_path / "pack")
    assert verify_pack(pack, key).ok
    events = (pack / "timeline.jsonl").read_text().splitlines()
    second = json.loads(events[1])
    second["actor"] = "mallory"
    events[1] = json.dumps(second, sort_keys=True, separators=(",", ":"))
    (pack / "timeline.jsonl").write_text("\n".join(events) + "\n")
    report = verify_pack(pack, key)
    assert not report.ok
    assert "timeline.jsonl" in (report.problem or "")
