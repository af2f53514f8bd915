"""Done-when for runbook execution: a "frontend down" incident suggests the frontend-down
runbook; a responder runs its diagnosis (real commands, real output), requests the dangerous
failover, a commander approves, it runs, and its revert deadline reminds — all in the timeline."""

from __future__ import annotations

import re
import shutil
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from warroom.cli.main import app as main_app
from warroom.clock import FakeClock
from warroom.engine.worker import Worker
from warroom.runtime import Runtime
from warroom.testing.receivers import HttpReceiver, ScriptedResponse
from warroom.testing.runbooks import declare, ok, run_step, start_run, timeline, write_org
from warroom.testing.runtime import REPO, Users, make_runtime
from warroom.testing.server import Server, cli

pytestmark = pytest.mark.e2e

FAKE_KUBECTL = """#!/bin/sh
echo "kubectl $*" >> "$KUBECTL_LOG"
case "$*" in
  *"get pods"*) echo "NAME            READY  STATUS            RESTARTS"
                echo "frontend-7f9c   0/1    CrashLoopBackOff  12" ;;
  *logs*) echo "nginx: [emerg] upstream app:3000 unreachable" ;;
  *) echo "ok: $*" ;;
esac
"""


@pytest.fixture
def site() -> Iterator[HttpReceiver]:
    with HttpReceiver(default=ScriptedResponse(status=503, body="bad gateway")) as r:
        yield r


@pytest.fixture
def runtime(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Runtime]:
    """The example organisation, with execution enabled and kubectl replaced by a script."""
    config = tmp_path / "org"
    shutil.copytree(REPO / "examples" / "org", config)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    kubectl = bin_dir / "kubectl"
    kubectl.write_text(FAKE_KUBECTL)
    kubectl.chmod(kubectl.stat().st_mode | stat.S_IXUSR)
    section = yaml.safe_load((config / "runbooks.yaml").read_text())["runbooks"]
    section |= {"directory": str(REPO / "examples" / "runbooks"), "environment": "production",
                "shell": {"timeout": "20s", "env": {
                    "PATH": f"{bin_dir}:/usr/bin:/bin",
                    "KUBECTL_LOG": str(tmp_path / "kubectl.log")}}}
    (config / "runbooks.yaml").write_text(yaml.safe_dump({"runbooks": section}))
    rt = make_runtime(db_url, tmp_path, clock, config)
    yield rt
    rt.engine.dispose()


def test_frontend_down_incident_runs_its_runbook_with_approval_and_revert_reminder(
        client: TestClient, users: Users, runtime: Runtime, clock: FakeClock,
        site: HttpReceiver, tmp_path: Path) -> None:
    inc = declare(client, users, title="Frontend down: website returns 503")
    suggested = ok(client.get(f"/api/v1/incidents/{inc}/runbooks/suggested",
                              headers=users.headers("responder")))["items"]
    assert suggested[0]["runbook_id"] == "frontend-down"
    ok(client.post(f"/api/v1/incidents/{inc}/runbooks", headers=users.headers("responder"),
                   json={"runbook": "frontend-down"}), 201)

    run = start_run(client, users, "frontend-down", inc,
                    frontend_url=site.url_for("/healthz"))
    rid = run["id"]
    probe = ok(run_step(client, users, rid, "probe-frontend"))
    assert probe["state"] == "ok"
    assert client.get(probe["output_url"], headers=users.headers("viewer")).text.startswith(
        "HTTP 503 in ")
    pods = ok(run_step(client, users, rid, "check-pods"))
    assert "CrashLoopBackOff" in client.get(pods["output_url"],
                                            headers=users.headers("viewer")).text
    ok(client.post(f"/api/v1/runs/{rid}/steps/error-rate/skip",
                   headers=users.headers("responder"),
                   json={"reason": "Prometheus is down with the frontend"}))
    logs = ok(run_step(client, users, rid, "capture-logs"))
    assert logs["state"] == "ok"

    assert run_step(client, users, rid, "failover-to-maintenance").status_code == 409
    req = ok(client.post(f"/api/v1/runs/{rid}/steps/failover-to-maintenance/approval",
                         headers=users.headers("responder"),
                         json={"reason": "restart did not help; site down 20 min"}), 201)
    assert client.post(f"/api/v1/approvals/{req['id']}/approve",
                       headers=users.headers("responder"), json={}).status_code == 403
    granted = ok(client.post(f"/api/v1/approvals/{req['id']}/approve",
                             headers=users.headers("commander"),
                             json={"reason": "go, revert within the hour"}))
    assert granted["status"] == "granted"
    failover = ok(run_step(client, users, rid, "failover-to-maintenance"))
    assert failover["state"] == "ok"
    assert "--replicas=0" in (tmp_path / "kubectl.log").read_text()

    worker = Worker(runtime)
    clock.advance(timedelta(minutes=45))
    worker.run_once()
    worker.stop()

    events = timeline(client, users, inc)
    story = [(e["kind"], e["data"].get("step_id") or e["data"].get("runbook_id"), e["actor"])
             for e in events if e["kind"].startswith(("runbook_", "approval_", "revert_"))]
    assert story == [
        ("runbook_attached", "frontend-down", "responder"),
        ("runbook_run_started", "frontend-down", "responder"),
        ("runbook_step_started", "probe-frontend", "responder"),
        ("runbook_step_finished", "probe-frontend", "responder"),
        ("runbook_step_started", "check-pods", "responder"),
        ("runbook_step_finished", "check-pods", "responder"),
        ("runbook_step_finished", "error-rate", "responder"),
        ("runbook_step_started", "capture-logs", "responder"),
        ("runbook_step_finished", "capture-logs", "responder"),
        ("approval_requested", "failover-to-maintenance", "responder"),
        ("approval_granted", "failover-to-maintenance", "commander"),
        ("runbook_step_started", "failover-to-maintenance", "responder"),
        ("runbook_step_finished", "failover-to-maintenance", "responder"),
        ("revert_deadline_started", "failover-to-maintenance", "responder"),
        ("revert_due", "failover-to-maintenance", "warroom"),
    ]
    finished = next(e["data"] for e in events if e["kind"] == "runbook_step_finished"
                    and e["data"]["step_id"] == "failover-to-maintenance")
    assert finished["rendered"].startswith("kubectl -n web scale deployment/frontend "
                                           "--replicas=0")
    assert len(finished["output_sha256"]) == 64
    verify = ok(client.get(f"/api/v1/incidents/{inc}/verify",
                           headers=users.headers("viewer")))
    assert verify["intact"] is True


CLI_RUNBOOK = {
    "id": "cli-drill", "title": "CLI drill",
    "steps": [
        {"id": "hello", "title": "Say hello", "phase": "diagnose",
         "executor": {"type": "shell", "command": "echo hello from the cli"}},
        {"id": "scale-down", "title": "Scale down", "phase": "mitigate", "dangerous": True,
         "requires_approval": {"roles": ["commander"], "count": 1},
         "executor": {"type": "shell", "command": "echo scaled"}},
        {"id": "check", "title": "Check", "phase": "verify"},
    ],
}


def test_the_cli_runs_steps_and_approvals_against_a_real_server(tmp_path: Path) -> None:
    config = write_org(tmp_path, [CLI_RUNBOOK])
    server = Server(tmp_path, {"WARROOM_CONFIG": str(config)})
    server.start()
    try:
        issued = cli(["token", "create", "--user", "admin"], {"WARROOM_CONFIG": str(config)},
                     tmp_path)
        admin_token = issued.stdout.strip().splitlines()[-1]
        auth = {"Authorization": f"Bearer {admin_token}"}
        httpx.post(f"{server.url}/api/v1/users", headers=auth, json={
            "name": "carol", "role": "commander"}).raise_for_status()
        carol_token = httpx.post(f"{server.url}/api/v1/tokens", headers=auth,
                                 json={"user": "carol"}).json()["token"]
        runner = CliRunner()
        admin = {"WARROOM_URL": server.url, "WARROOM_TOKEN": admin_token}
        carol = {**admin, "WARROOM_TOKEN": carol_token}

        def run(args: list[str], env: dict[str, str]) -> Result:
            return runner.invoke(main_app, ["runbook", *args], env=env)

        listed = run(["list"], admin)
        assert "cli-drill" in listed.output and "execution: enabled" in listed.output
        started = run(["start", "cli-drill"], admin)
        match = re.search(r"run ([0-9a-f]{32})", started.output)
        assert match, started.output
        run_id = match.group(1)
        assert "hello: ok" in run(["run", run_id, "hello"], admin).output
        asked = run(["request-approval", run_id, "scale-down", "--reason", "drill"], admin)
        request_id = re.search(r"approval request (\w+)", asked.output)
        assert request_id, asked.output
        own = run(["approve", request_id.group(1)], admin)
        assert own.exit_code == 1
        granted = run(["approve", request_id.group(1), "--reason", "ok"], carol)
        assert "granted" in granted.output, granted.output
        assert "scale-down: ok" in run(["run", run_id, "scale-down"], admin).output
        done = run(["done", run_id, "check", "--note", "looks fine"], admin)
        assert "done_manually" in done.output
        history = run(["runs", "--runbook", "cli-drill"], admin)
        assert run_id in history.output and "completed" in history.output
    finally:
        server.stop()
