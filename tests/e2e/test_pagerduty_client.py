"""The real `pdpyras` PagerDuty client, pointed at `warroom serve`, triggers, acks, resolves."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pdpyras
import pytest

from warroom.paging import planner, sla
from warroom.testing.paging import write_paging_config
from warroom.testing.receivers import HttpReceiver, SmtpReceiver
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


@pytest.fixture
def paged(tmp_path: Path) -> Iterator[tuple[Server, dict[str, str], HttpReceiver]]:
    """warroom with an escalation policy: alice now, bob at +5 min, team chat at +10 min."""
    with HttpReceiver() as hooks, SmtpReceiver() as smtp:
        path = write_paging_config(tmp_path / "config", hooks.url, smtp.port, extra={
            "integrations": [{"name": "zabbix", "kind": "pagerduty", "service": "api",
                              "key": KEY}], "routes": []})
        env = {"WARROOM_CONFIG": str(path)}
        server = Server(tmp_path, dict(env))
        server.start()
        try:
            token = cli(["token", "create", "--user", "admin"], env,
                        tmp_path).stdout.splitlines()[-1]
            yield server, {"Authorization": f"Bearer {token.strip()}"}, hooks
        finally:
            server.stop()


def wait_for(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_pdpyras_acknowledge_acknowledges_the_incident_and_stops_escalation(
        paged: tuple[Server, dict[str, str], HttpReceiver]) -> None:
    server, headers, hooks = paged
    session = pdpyras.EventsAPISession(KEY)
    session.url = server.url
    session.trigger("Replica lag above 30s on db-2", "db-2.prod", severity="critical",
                    dedup_key="db-2-lag")
    [incident] = httpx.get(f"{server.url}/api/v1/incidents", headers=headers).json()["items"]
    ref = incident["human_id"]
    assert (incident["severity"], incident["status"]) == ("P1", "triggered")
    wait_for(lambda: [r for r in hooks.requests if r.path == "/pager"
                      and r.json()["destination"] == "alice"], "alice's page")
    view = httpx.get(f"{server.url}/api/v1/incidents/{ref}/escalation", headers=headers).json()
    assert view["active"] and view["next_step"]["index"] == 1  # bob, at +5 min

    session.acknowledge("db-2-lag")
    incident = httpx.get(f"{server.url}/api/v1/incidents/{ref}", headers=headers).json()
    assert incident["status"] == "acknowledged"
    assert incident["milestones"]["acknowledged"] is not None
    view = httpx.get(f"{server.url}/api/v1/incidents/{ref}/escalation", headers=headers).json()
    assert (view["active"], view["next_step"]) == (False, None)
    assert view["sla"]["acknowledged_at"] is not None and view["sla"]["breached"] is False
    # No step, reminder or ack deadline left to page anyone for this acknowledgement.
    assert not [t for t in view["timers"] if t["kind"] in (planner.STEP, sla.ACK_SLA)]
    events = httpx.get(f"{server.url}/api/v1/incidents/{ref}/timeline",
                       headers=headers).json()["events"]
    [ack] = [e for e in events if e["kind"] == "acknowledged"]
    assert ack["actor"] == "integration:zabbix"

    session.resolve("db-2-lag")
    [alert] = alerts(server, headers)
    assert alert["status"] == "resolved"
    incident = httpx.get(f"{server.url}/api/v1/incidents/{ref}", headers=headers).json()
    assert incident["status"] == "monitoring"  # the default: a person confirms and resolves
