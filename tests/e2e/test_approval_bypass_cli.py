"""A real `warroom serve` and the `warroom` CLI: responders who assign themselves approval
roles, or approve without authority, get a clear refusal and no grant."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from warroom.testing.runtime import REPO
from warroom.testing.server import Server, cli

pytestmark = pytest.mark.e2e
STEP = "failover-to-maintenance"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path, {"WARROOM_CONFIG": str(REPO / "examples" / "org" / "org.yaml")})
    srv.start(timeout=120)  # a cold start on a loaded machine can take half a minute
    yield srv
    srv.stop()


def test_cli_self_assignment_never_yields_a_grant(server: Server, tmp_path: Path) -> None:
    local = {"WARROOM_CONFIG": server.env["WARROOM_CONFIG"]}
    tokens = {}
    for name in ("requester", "mallory", "eve"):
        made = cli(["user", "create", name, "--role", "responder", "--password",
                    "a-long-enough-passphrase-1"], local, tmp_path)
        assert made.returncode == 0, made.stderr
        issued = cli(["token", "create", "--user", name], local, tmp_path)
        tokens[name] = issued.stdout.strip().splitlines()[-1]

    def as_(name: str) -> dict[str, str]:
        return {"WARROOM_URL": server.url, "WARROOM_TOKEN": tokens[name]}

    with httpx.Client(base_url=server.url, headers={
            "Authorization": f"Bearer {tokens['requester']}"}, timeout=30) as api:
        inc = api.post("/api/v1/incidents", json={"title": "Frontend down", "severity": "P1",
                                                  "services": ["frontend"]})
        assert inc.status_code == 201, inc.text
        ref = inc.json()["incident"]["human_id"]
        run = api.post("/api/v1/runs", json={"runbook": "frontend-down", "incident": ref})
        assert run.status_code == 201, run.text
        run_id = run.json()["id"]
    asked = cli(["runbook", "request-approval", run_id, STEP, "--reason", "still down"],
                as_("requester"), tmp_path)
    assert asked.returncode == 0, asked.stderr
    req = asked.stdout.split("approval request ", 1)[1].split(":", 1)[0]

    for who, user in (("mallory", "mallory"), ("eve", "mallory"), ("requester", "eve")):
        done = cli(["incident", "assign", ref, "commander", user], as_(who), tmp_path)
        assert done.returncode == 1, (who, done.stdout)
        said = " ".join(done.stderr.split())   # Rich wraps long lines
        assert "403" in said and "carries approval rights" in said, said
    for who in ("mallory", "eve"):
        done = cli(["runbook", "approve", req, "--reason", "lgtm"], as_(who), tmp_path)
        assert done.returncode == 1
        said = " ".join(done.stderr.split())
        assert f"{who} has the responder user role, which qualifies for none" in said, said
    with httpx.Client(base_url=server.url, headers={
            "Authorization": f"Bearer {tokens['requester']}"}, timeout=30) as api:
        assert api.get(f"/api/v1/approvals/{req}").json()["status"] == "pending"
        blocked = api.post(f"/api/v1/runs/{run_id}/steps/{STEP}/run")
        assert blocked.status_code == 409
