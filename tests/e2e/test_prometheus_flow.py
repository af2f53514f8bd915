"""Real Prometheus (and Alertmanager) firing ServiceDown into a real `warroom serve`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from warroom.testing.prometheus import (
    SERVICE_DOWN_RULES,
    Process,
    alertmanager,
    metrics_target,
    prometheus,
)
from warroom.testing.runtime import REPO
from warroom.testing.server import Server, cli

pytestmark = pytest.mark.e2e
T = TypeVar("T")

KEYS = {"E2E_AM_KEY": "am-e2e-0123456789abcdef", "E2E_PATH_KEY": "path-e2e-0123456789abcd",
        "E2E_BEARER_KEY": "bearer-e2e-0123456789ab"}
ORG = """
services: [{name: shieldx}, {name: other}]
integrations:
  - {name: alertmanager, kind: alertmanager, key: "${E2E_AM_KEY}"}
  - {name: prom-path, kind: prometheus, key: "${E2E_PATH_KEY}"}
  - {name: prom-bearer, kind: prometheus, key: "${E2E_BEARER_KEY}"}
routes:
  - name: shieldx
    matchers: ['job=~"shieldx-.*"']
    service: shieldx
    group_by: [alertname]
"""


@pytest.fixture
def warroom(tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    config = tmp_path / "config"
    config.mkdir()
    (config / "org.yaml").write_text(ORG)
    (config / "rules.yaml").write_text((REPO / "examples/org/rules.yaml").read_text())
    env = {"WARROOM_CONFIG": str(config), **KEYS}
    server = Server(tmp_path, dict(env))
    server.start()
    token = cli(["token", "create", "--user", "admin"], env, tmp_path).stdout.splitlines()[-1]
    yield server, {"Authorization": f"Bearer {token.strip()}"}
    server.stop()


def eventually(check: Callable[[], T | None], what: str, procs: list[Process],
               timeout: float = 25) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    logs = "\n".join(f"--- {p.name}\n{p.output()}" for p in procs)
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def get(server: Server, headers: dict[str, str], path: str, **params: Any) -> Any:
    return httpx.get(server.url + path, headers=headers, params=params, timeout=5).json()


def run_outage(server: Server, headers: dict[str, str], tmp_path: Path, alerting: str,
               with_alertmanager: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Stop the target until warroom has an incident, bring it back until alerts resolve."""
    target = metrics_target().start()
    port = target.port
    procs: list[Process] = []
    try:
        if with_alertmanager:
            am = alertmanager(tmp_path / "am", server.url + "/api/v1/intake/alertmanager/"
                              + KEYS["E2E_AM_KEY"])
            am.start("/-/ready")
            procs.append(am)
            alerting = f'    - static_configs: [{{targets: ["127.0.0.1:{am.port}"]}}]'
        prom = prometheus(tmp_path / "prom", f"127.0.0.1:{port}", alerting,
                          SERVICE_DOWN_RULES)
        prom.start("/-/ready")
        procs.append(prom)
        target.stop()
        incident = eventually(lambda: (get(server, headers, "/api/v1/incidents")["items"]
                                       or None), "an incident", procs)[0]
        target = metrics_target(port).start()
        alerts = eventually(lambda: [a for a in get(server, headers, "/api/v1/alerts")["items"]
                                     if a["status"] == "resolved"] or None,
                            "the alert to resolve", procs)
        all_alerts = get(server, headers, "/api/v1/alerts")["items"]
        assert all(a["status"] == "resolved" for a in all_alerts), all_alerts
        return incident, alerts
    finally:
        target.stop()
        for proc in reversed(procs):
            proc.stop()


def test_prometheus_through_alertmanager_declares_and_resolves(
        warroom: tuple[Server, dict[str, str]], tmp_path: Path) -> None:
    server, headers = warroom
    incident, alerts = run_outage(server, headers, tmp_path, "", with_alertmanager=True)
    assert incident["services"] == ["shieldx"]
    assert incident["severity"] == "P0"
    assert incident["title"] == "shieldx: complete outage — shieldx-api is down"
    assert [a["integration"] for a in alerts] == ["alertmanager"]
    assert alerts[0]["labels"]["alertname"] == "ServiceDown"


def test_prometheus_straight_to_warroom_in_both_forms(
        warroom: tuple[Server, dict[str, str]], tmp_path: Path) -> None:
    server, headers = warroom
    host = server.url.removeprefix("http://")
    alerting = (f'    - static_configs: [{{targets: ["{host}"]}}]\n'
                f'      path_prefix: /api/v1/intake/prometheus/{KEYS["E2E_PATH_KEY"]}\n'
                f'    - static_configs: [{{targets: ["{host}"]}}]\n'
                f'      authorization: {{credentials: {KEYS["E2E_BEARER_KEY"]}}}')
    incident, _ = run_outage(server, headers, tmp_path, alerting, with_alertmanager=False)
    assert (incident["services"], incident["severity"]) == (["shieldx"], "P0")
    alerts = get(server, headers, "/api/v1/alerts")["items"]
    # One alert per integration despite Prometheus re-sending every second; both resolved,
    # both in the one incident.
    assert sorted(a["integration"] for a in alerts) == ["prom-bearer", "prom-path"]
    assert {a["incident_id"] for a in alerts} == {incident["id"]}
    assert all(a["count"] >= 1 and a["status"] == "resolved" for a in alerts)
