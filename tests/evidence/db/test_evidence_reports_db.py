"""MTTx through /api/v1/reports/metrics: exact figures for the scripted P0, the example
data by severity with drills left out, and visibility of restricted incidents."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from warroom.clock import FakeClock
from warroom.domain import incident as dom
from warroom.evidence.example_data import seed_examples
from warroom.runtime import Runtime
from warroom.services.incidents import IncidentService
from warroom.services.principal import Principal
from warroom.testing.evidence_db import scripted_p0
from warroom.testing.runtime import Users


def test_scripted_p0_gives_exact_mtta_mttm_and_mttr(
        runtime: Runtime, client: TestClient, users: Users, clock: FakeClock,
        commander: Principal) -> None:
    scripted_p0(runtime, clock, commander)
    resp = client.get("/api/v1/reports/metrics", headers=users.headers("viewer"))
    assert resp.status_code == 200, resp.text
    (p0,) = resp.json()["by_severity"]
    assert p0["key"] == "P0"
    assert (p0["mttd"]["median"], p0["mtta"]["median"], p0["mttm"]["median"],
            p0["mttr"]["median"]) == (0.0, 180.0, 1200.0, 2400.0)  # mitigated: monitoring
    assert p0["mttr"]["p90"] == 2400.0
    assert p0["ack_sla"] == {"met": 1, "breached": 0, "pending": 0, "compliance": 1.0}
    assert resp.json()["by_service"][0]["key"] == "api"


def test_example_data_reports_by_severity_without_drills(
        runtime: Runtime, client: TestClient, users: Users, clock: FakeClock,
        commander: Principal) -> None:
    seed_examples(runtime, commander, clock.now())
    body = client.get("/api/v1/reports/metrics", params={"period": "week"},
                      headers=users.headers("viewer")).json()
    assert body["drills_excluded"] == 1
    by_severity = {g["key"]: g for g in body["by_severity"]}
    assert list(by_severity) == ["P0", "P1", "P2", "P3"]
    p0 = by_severity["P0"]
    assert p0["incidents"] == 2
    # started 2 and 4 minutes before declaration; acked 3 and 7 minutes after it
    assert p0["mtta"]["median"] == ((3 + 2) * 60 + (7 + 4) * 60) / 2
    assert p0["mtta"]["p90"] == (7 + 4) * 60
    assert p0["ack_sla"]["met"] == 1 and p0["ack_sla"]["breached"] == 1
    assert by_severity["P1"]["open"] == 1
    since = (clock.now() - timedelta(days=7)).isoformat()
    recent = client.get("/api/v1/reports/metrics", params={"since": since},
                        headers=users.headers("viewer")).json()
    assert recent["overall"]["incidents"] == 2


def test_metrics_count_only_incidents_the_caller_may_see(
        runtime: Runtime, client: TestClient, users: Users, commander: Principal,
        responder: Principal) -> None:
    IncidentService(runtime).declare(responder, dom.Declare(
        title="Credential leak", severity="P1", type="security"))
    seen = client.get("/api/v1/reports/metrics", headers=users.headers("viewer")).json()
    assert seen["overall"]["incidents"] == 0
    security = client.get("/api/v1/reports/metrics", headers=users.headers("security")).json()
    assert security["overall"]["incidents"] == 1
    assert client.get("/api/v1/reports/metrics").status_code == 401
