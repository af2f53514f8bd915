"""The real `pdpyras` PagerDuty client, pointed at `warroom serve`, triggers, acks, resolves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pdpyras
import pytest

from warroom.testing.server import Server, cli

pytestmark = pytest.mark.e2e
KEY = "pd-e2e-0123456789abcdef0123"
ORG = """
services: [{name: database}]
integrations:
  - {name: zabbix, kind: pagerduty, service: database, key: "${E2E_PD_KEY}"}
"""


@pytest.fixture
def warroom(tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    (tmp_path / "org.yaml").write_text(ORG)
    env = {"WARROOM_CONFIG": str(tmp_path / "org.yaml"), "E2E_PD_KEY": KEY}
    server = Server(tmp_path, dict(env))
    server.start()
    token = cli(["token", "create", "--user", "admin"], env, tmp_path).stdout.splitlines()[-1]
    yield server, {"Authorization": f"Bearer {token.strip()}"}
    server.stop()


def alerts(server: Server, headers: dict[str, str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = httpx.get(f"{server.url}/api/v1/alerts",
                                            headers=headers).json()["items"]
    return found


def test_pdpyras_trigger_acknowledge_resolve(warroom: tuple[Server, dict[str, str]]) -> None:
    server, headers = warroom
    session = pdpyras.EventsAPISession(KEY)
    session.url = server.url
    dedup = session.trigger("Replica lag above 30s on db-2", "db-2.prod", severity="error",
                            custom_details={"lag_seconds": 42.5}, dedup_key="db-2-lag")
    assert dedup == "db-2-lag"
    [alert] = alerts(server, headers)
    assert (alert["status"], alert["service"], alert["summary"]) == (
        "firing", "database", "Replica lag above 30s on db-2")
    incidents = httpx.get(f"{server.url}/api/v1/incidents", headers=headers).json()["items"]
    assert incidents[0]["services"] == ["database"]
    session.acknowledge("db-2-lag")
    assert alerts(server, headers)[0]["acknowledged_at"] is not None
    session.resolve("db-2-lag")
    assert alerts(server, headers)[0]["status"] == "resolved"
    fresh = session.trigger("Disk full on db-3", "db-3.prod")  # no dedup_key: one is made
    assert fresh and fresh != "db-2-lag"
    with pytest.raises(pdpyras.PDClientError):
        bad = pdpyras.EventsAPISession("not-a-key-of-this-warroom")
        bad.url = server.url
        bad.trigger("x", "y")
