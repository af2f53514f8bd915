"""`warroom integration`, `warroom silence` and `warroom alert` against a real server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from warroom.testing.prometheus import prometheus
from warroom.testing.server import Server, cli

pytestmark = pytest.mark.e2e


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    (tmp_path / "org.yaml").write_text("services: [{name: api}]\n")
    env = {"WARROOM_CONFIG": str(tmp_path / "org.yaml")}
    server = Server(tmp_path, dict(env))
    server.start()
    token = cli(["token", "create", "--user", "admin"], env, tmp_path).stdout.splitlines()[-1]
    yield server, {**env, "WARROOM_URL": server.url, "WARROOM_TOKEN": token.strip()}
    server.stop()


def run(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = cli(list(args), env, cwd)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def test_cli_creates_an_integration_silences_and_lists_alerts(
        served: tuple[Server, dict[str, str]], tmp_path: Path) -> None:
    server, env = served
    created = json.loads(run(env, tmp_path, "integration", "create", "grafana", "--kind",
                             "generic", "--service", "api", "--json"))
    assert created["url"] == f"{server.url}/api/v1/intake/generic/{created['key']}"
    listed = json.loads(run(env, tmp_path, "integration", "list", "--json"))
    assert [i["name"] for i in listed] == ["grafana"]
    silence = json.loads(run(env, tmp_path, "silence", "create", "-m", 'alertname="DiskFull"',
                             "-d", "2h", "-c", "resizing", "--json"))
    assert httpx.post(created["url"], json={"summary": "disk", "labels": {
        "alertname": "DiskFull"}}).status_code == 202
    alerts = json.loads(run(env, tmp_path, "alert", "list", "--json"))
    assert alerts[0]["silenced_by"] == f"silence:{silence['id']}"
    assert "resizing" in run(env, tmp_path, "silence", "list")
    run(env, tmp_path, "silence", "expire", silence["id"])
    assert json.loads(run(env, tmp_path, "silence", "list", "--json")) == []
    bad = cli(["integration", "create", "x", "--kind", "nagios"], env, tmp_path)
    assert bad.returncode != 0 and "alertmanager" in bad.stderr
    everything = cli(["silence", "create", "-m", 'alertname=~".*"', "-d", "1h", "-c", "oops"],
                     env, tmp_path)
    assert everything.returncode != 0, everything.stdout
    said = " ".join(everything.stderr.split())  # the terminal wraps long messages
    assert "matchers:" in said and "must not match the empty string" in said, said


ALWAYS_FIRING = """
groups:
  - name: pasted
    rules:
      - alert: PastedBlockWorks
        expr: vector(1)
        labels: {severity: warning}
        annotations: {summary: "the pasted alerting block delivers"}
"""


def test_integration_list_prints_the_alerting_block_a_real_prometheus_delivers_through(
        served: tuple[Server, dict[str, str]], tmp_path: Path) -> None:
    server, env = served
    run(env, tmp_path, "integration", "create", "prom", "--kind", "prometheus",
        "--service", "api")
    shown = run(env, tmp_path, "integration", "list")
    assert "/api/v2/alerts\n" not in shown and "intake/prometheus" not in shown
    block = shown[shown.index("alerting:"):]
    assert "path_prefix: /\n" in block and "type: Bearer" in block
    assert f'targets: ["127.0.0.1:{server.port}"]' in block
    # Paste it as is (minus the two header lines the helper writes itself).
    entries = "\n".join(block.splitlines()[2:]) + "\n"
    prom = prometheus(tmp_path / "prom", "127.0.0.1:1", entries, ALWAYS_FIRING)
    prom.start("/-/ready")
    try:
        deadline = time.monotonic() + 30
        alerts: list[dict[str, object]] = []
        while time.monotonic() < deadline and not alerts:
            alerts = json.loads(run(env, tmp_path, "alert", "list", "--json"))
            time.sleep(0.5)
    finally:
        prom.stop()
    assert alerts, prom.output()
    assert alerts[0]["integration"] == "prom"
    assert alerts[0]["labels"]["alertname"] == "PastedBlockWorks"  # type: ignore[index]
