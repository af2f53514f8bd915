"""A real `warroom serve` process driven by the `warroom` CLI, as a user would."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from warroom.testing.runtime import REPO
from warroom.testing.server import Server, cli

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path, {"WARROOM_CONFIG": str(REPO / "examples" / "org" / "org.yaml"),
                            "WARROOM_DATABASE_URL": "", "WARROOM_DATA_DIR": ""})
    srv.env = {k: v for k, v in srv.env.items() if v}
    srv.start(timeout=90)  # 2 busy cores shared with other work: wait generously
    yield srv
    srv.stop()


def test_first_start_prints_one_time_admin_login_and_cli_works_the_incident(
        server: Server, tmp_path: Path) -> None:
    banner = server.output()
    match = re.search(r"as admin with password (\S+)", banner)
    assert match, banner
    env = {"WARROOM_CONFIG": server.env["WARROOM_CONFIG"]}
    token = cli(["token", "create", "--user", "admin"], env, tmp_path).stdout.strip()
    token = token.splitlines()[-1]
    env |= {"WARROOM_URL": server.url, "WARROOM_TOKEN": token}
    declared = cli(["incident", "declare", "Checkout 500s", "-s", "P1", "--service",
                    "frontend", "--json"], env, tmp_path)
    assert declared.returncode == 0, declared.stderr
    ref = json.loads(declared.stdout)["incident"]["human_id"]
    bad = cli(["incident", "publish", ref, "--title", "Checkout problems", "-c", "frontend",
               "--impact", "major"], env, tmp_path)
    assert bad.returncode == 1 and "write SERVICE=STATUS" in bad.stderr
    assert ref not in httpx.get(f"{server.url}/status/api/v2/incidents.json").text
    for args in (["ack", ref], ["severity", ref, "P0"], ["assign", ref, "commander", "alice"],
                 ["note", ref, "rolled back"],
                 ["publish", ref, "--title", "Checkout problems", "-c",
                  "frontend=partial_outage", "--impact", "major"],
                 ["resolve", ref, "--summary", "rollback"]):
        done = cli(["incident", *args], env, tmp_path)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    public = httpx.get(f"{server.url}/status/api/v2/incidents.json").json()["incidents"]
    assert [(i["id"], i["name"]) for i in public] == [(ref, "Checkout problems")]
    shown = json.loads(cli(["incident", "show", ref, "--timeline", "--json"], env,
                           tmp_path).stdout)
    commands = ["declared", "acknowledged", "severity_changed", "role_assigned", "note_added",
                "published", "resolved"]
    mine = [e for e in shown["events"] if e["kind"] in commands]
    assert [e["kind"] for e in mine] == commands
    assert {e["actor"] for e in mine} == {"admin"}
    ok = cli(["incident", "verify", ref], env, tmp_path)
    assert ok.returncode == 0 and "chain intact" in ok.stdout
    with sqlite3.connect(tmp_path / "warroom.db") as conn:
        conn.execute("UPDATE incident_events SET actor='mallory' WHERE seq=4")
    broken = cli(["incident", "verify", ref], env, tmp_path)
    assert broken.returncode == 1
    assert "event #4" in broken.stderr
    # The second start does not print a password again.
    server.stop()
    server.start(timeout=90)
    assert server.output().count("with password") == 0


def test_cli_errors_are_clear(server: Server, tmp_path: Path) -> None:
    env = {"WARROOM_URL": server.url, "WARROOM_TOKEN": "wr_nope"}
    result = cli(["incident", "list"], env, tmp_path)
    assert result.returncode == 1
    assert "401" in result.stderr and "WARROOM_TOKEN" in result.stderr
    down = cli(["incident", "list"], {"WARROOM_URL": "http://127.0.0.1:9"}, tmp_path)
    assert down.returncode == 1 and "cannot reach the warroom server" in down.stderr


def test_logs_are_json_with_request_ids_and_no_secrets(server: Server, tmp_path: Path) -> None:
    token = cli(["token", "create", "--user", "admin"],
                {"WARROOM_CONFIG": server.env["WARROOM_CONFIG"]}, tmp_path).stdout
    token = token.strip().splitlines()[-1]
    resp = httpx.get(f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {token}",
                                                         "X-Request-Id": "req-abc"})
    assert resp.headers["x-request-id"] == "req-abc"
    server.stop()
    lines = [json.loads(line) for line in server.output().splitlines()
             if line.startswith("{")]
    access = [entry for entry in lines if entry.get("path") == "/api/v1/me"]
    assert access and access[0]["request_id"] == "req-abc" and access[0]["status"] == 200
    assert token not in server.output()
