"""Every intake format end to end over HTTP, on both engines; limits and bad input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.clock import FakeClock
from warroom.runtime import Runtime
from warroom.testing.intake import am_alert, am_webhook, keys, stored_alerts, write_org
from warroom.testing.runtime import Users, make_runtime, make_users


@pytest.fixture
def rt(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Runtime]:
    runtime = make_runtime(db_url, tmp_path, clock, write_org(tmp_path))
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def http(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt)) as c:
        yield c


def incidents(http: TestClient, users: Users) -> list[dict[str, object]]:
    items: list[dict[str, object]] = http.get("/api/v1/incidents",
                                              headers=users.headers("admin")).json()["items"]
    return items


@pytest.fixture
def team(rt: Runtime) -> Users:
    return make_users(rt)


def test_alertmanager_webhook_declares_then_dedups_then_resolves(
        http: TestClient, rt: Runtime, team: Users) -> None:
    key = keys(rt)["am"]
    url = f"/api/v1/intake/alertmanager/{key}"
    body = am_webhook(am_alert(job="shieldx-api", severity="critical"))
    assert http.post(url, json=body).status_code == 202
    assert http.post(url, json=body).status_code == 202
    [alert] = stored_alerts(rt)
    assert (alert.status, alert.count, alert.service) == ("firing", 2, "api")
    [incident] = incidents(http, team)
    assert incident["services"] == ["api"] and incident["severity"] == "P1"
    resolved = am_webhook(am_alert("resolved", job="shieldx-api", severity="critical"),
                          status="resolved")
    assert http.post(url, json=resolved).status_code == 202
    [alert] = stored_alerts(rt)
    assert alert.status == "resolved"
    timeline = http.get(f"/api/v1/incidents/{incident['human_id']}/timeline",
                        headers=team.headers("admin")).json()["events"]
    kinds = [e["kind"] for e in timeline]
    assert kinds[:2] == ["declared", "alert_attached"] and "alert_resolved" in kinds
    assert incidents(http, team)[0]["status"] == "monitoring"


def test_trigger_after_resolve_opens_a_new_alert(http: TestClient, rt: Runtime) -> None:
    url = f"/api/v1/intake/alertmanager/{keys(rt)['am']}"
    for status in ("firing", "resolved", "firing"):
        http.post(url, json=am_webhook(am_alert(status, job="a"), status=status))
    assert [a.status for a in stored_alerts(rt)] == ["resolved", "firing"]


def test_prometheus_path_prefix_and_bearer_forms_share_dedup(
        http: TestClient, rt: Runtime, clock: FakeClock) -> None:
    key = keys(rt)["prom"]
    alert = [{"labels": {"alertname": "HighLatency", "job": "api"},
              "annotations": {"summary": "slow"}, "startsAt": "2026-01-05T08:58:00Z",
              "endsAt": "2026-01-05T09:04:00Z"}]
    assert http.post(f"/api/v1/intake/prometheus/{key}/api/v2/alerts",
                     json=alert).status_code == 200
    assert http.post("/api/v2/alerts", json=alert,
                     headers={"Authorization": f"Bearer {key}"}).status_code == 200
    [stored] = stored_alerts(rt)
    assert stored.count == 2 and stored.status == "firing"
    clock.advance(600)  # endsAt is now in the past: Prometheus's way of resolving
    http.post("/api/v2/alerts", json=[{**alert[0], "endsAt": "2026-01-05T09:09:00Z"}],
              headers={"Authorization": f"Bearer {key}"})
    assert [a.status for a in stored_alerts(rt)] == ["resolved"]


def test_user_tokens_are_not_intake_keys(http: TestClient, team: Users) -> None:
    response = http.post("/api/v2/alerts", json=[{"labels": {"a": "b"}}],
                         headers=team.headers("admin"))
    assert response.status_code == 404


def test_pagerduty_trigger_acknowledge_resolve(http: TestClient, rt: Runtime,
                                               team: Users) -> None:
    key = keys(rt)["pd"]
    trigger = {"routing_key": key, "event_action": "trigger", "dedup_key": "db-lag",
               "payload": {"summary": "Replica lag", "source": "db-2", "severity": "error"}}
    response = http.post("/v2/enqueue", json=trigger)
    assert response.status_code == 202
    assert response.json() == {"status": "success", "message": "Event processed",
                               "dedup_key": "db-lag"}
    ack = http.post("/v2/enqueue", json={"routing_key": key, "event_action": "acknowledge",
                                         "dedup_key": "db-lag"})
    assert ack.status_code == 202
    assert stored_alerts(rt)[0].acknowledged_at is not None
    http.post("/v2/enqueue", json={"routing_key": key, "event_action": "resolve",
                                   "dedup_key": "db-lag"})
    [alert] = stored_alerts(rt)
    assert (alert.status, alert.service, alert.severity_hint) == ("resolved", "database",
                                                                  "error")


def test_pagerduty_invalid_event_lists_errors_and_stores_nothing(http: TestClient,
                                                                 rt: Runtime) -> None:
    response = http.post("/v2/enqueue", json={
        "routing_key": keys(rt)["pd"], "event_action": "trigger",
        "payload": {"summary": "x" * 1025, "source": "h", "severity": "P1"}})
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "invalid event"
    assert any("payload.summary" in e for e in body["errors"])
    assert any("payload.severity" in e for e in body["errors"])
    assert stored_alerts(rt) == []


def test_pagerduty_body_over_512_kb_is_413(http: TestClient, rt: Runtime) -> None:
    big = {"routing_key": keys(rt)["pd"], "event_action": "trigger",
           "payload": {"summary": "s", "source": "h", "severity": "info",
                       "custom_details": {"blob": "x" * (512 * 1024)}}}
    assert http.post("/v2/enqueue", json=big).status_code == 413
    assert stored_alerts(rt) == []


def test_change_events_show_on_the_incident_of_their_service(
        http: TestClient, rt: Runtime, team: Users, clock: FakeClock) -> None:
    key = keys(rt)["pd"]
    change = {"routing_key": key, "payload": {
        "summary": "Deploy db schema v42", "source": "ci", "timestamp": "2026-01-05T08:40:00Z"},
        "links": [{"href": "https://ci/812", "text": "Build 812"}]}
    old = {"routing_key": key, "payload": {"summary": "Ancient deploy",
                                           "timestamp": "2026-01-04T20:00:00Z"}}
    assert http.post("/v2/change/enqueue", json=change).status_code == 202
    assert http.post("/v2/change/enqueue", json=old).status_code == 202
    http.post("/v2/enqueue", json={"routing_key": key, "event_action": "trigger",
                                   "payload": {"summary": "db slow", "source": "db",
                                               "severity": "critical"}})
    [incident] = incidents(http, team)
    found = http.get(f"/api/v1/incidents/{incident['human_id']}/changes",
                     headers=team.headers("viewer")).json()
    assert [c["summary"] for c in found["items"]] == ["Deploy db schema v42"]
    assert found["items"][0]["service"] == "database"
    per_service = http.get("/api/v1/changes", params={"service": "database", "hours": 24},
                           headers=team.headers("viewer")).json()["items"]
    assert len(per_service) == 2


def test_generic_batch_and_field_errors(http: TestClient, rt: Runtime) -> None:
    url = f"/api/v1/intake/generic/{keys(rt)['hook']}"
    ok = http.post(url, json={"alerts": [
        {"dedup_key": "backup", "summary": "Backup failed", "service": "database"},
        {"summary": "Disk full", "labels": {"host": "db-1"}}]})
    assert ok.status_code == 202 and ok.json()["alerts"] == 2
    bad = http.post(url, json={"alerts": [{"summary": "fine"},
                                          {"summary": "x", "labels": {"n": 1}}]})
    assert bad.status_code == 400
    assert bad.json()["field"] == "alerts[1].labels.n"
    assert "alerts[1].labels.n" in bad.json()["detail"]
    assert len(stored_alerts(rt)) == 2  # nothing from the bad request
    assert http.post(url, content=b"{not json").status_code == 400


def test_nul_characters_are_refused_before_anything_is_stored(http: TestClient,
                                                               rt: Runtime) -> None:
    url = f"/api/v1/intake/generic/{keys(rt)['hook']}"
    bad = http.post(url, json={"summary": "disk", "labels": {"host": "db\x001"}})
    assert bad.status_code == 400
    assert "NUL" in bad.json()["detail"] and bad.json()["field"] == "body"
    assert stored_alerts(rt) == []


def test_unknown_key_answers_404_without_detail(http: TestClient, rt: Runtime) -> None:
    for path in ("/api/v1/intake/alertmanager/nope", "/api/v1/intake/generic/nope",
                 f"/api/v1/intake/generic/{keys(rt)['am']}"):
        response = http.post(path, json={"summary": "x"})
        assert response.status_code == 404
        assert "nope" not in response.text
    pd = http.post("/v2/enqueue", json={"routing_key": "nope", "event_action": "trigger"})
    assert pd.status_code == 404


def test_oversized_body_is_413(http: TestClient, rt: Runtime) -> None:
    url = f"/api/v1/intake/generic/{keys(rt)['hook']}"
    blob = b'{"summary": "' + b"x" * (rt.settings.max_body_bytes + 10) + b'"}'
    assert http.post(url, content=blob).status_code == 413
    assert stored_alerts(rt) == []


def test_rate_limit_answers_429_with_retry_after(http: TestClient, rt: Runtime,
                                                 clock: FakeClock) -> None:
    url = f"/api/v1/intake/generic/{keys(rt)['limited']}"
    codes = [http.post(url, json={"summary": f"s{i}"}).status_code for i in range(3)]
    assert codes == [202, 202, 429]
    limited = http.post(url, json={"summary": "again"})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
    clock.advance(1)
    assert http.post(url, json={"summary": "later"}).status_code == 202


def test_heartbeat_ping_is_recorded(http: TestClient, rt: Runtime) -> None:
    response = http.post(f"/api/v1/intake/heartbeat/{keys(rt)['cron']}")
    assert response.status_code == 202 and response.json()["integration"] == "cron"
