"""Alert to incident: the triage rules, grouping, silences, maintenance, all-resolved policy."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.clock import FakeClock
from warroom.runtime import Runtime
from warroom.testing.intake import keys, stored_alerts, write_org
from warroom.testing.runtime import REPO, Users, make_runtime, make_users

ROUTES = """
routes:
  - name: auth
    matchers: ['job=~"auth-.*"']
    service: auth
    group_by: [alertname]
    group_window: 30m
  - name: low-noise
    matchers: ['team="batch"']
    when_all_resolved: note
    auto_resolve_severities: [P3]
maintenance_placeholder: true
"""


def org(tmp_path: Path, maintenance: str = "") -> Path:
    rules = (REPO / "examples" / "org" / "rules.yaml").read_text()
    extra = ROUTES.replace("maintenance_placeholder: true\n", "") + rules
    path = write_org(tmp_path, extra)
    if maintenance:
        path.write_text(path.read_text().replace("  - {name: database}", maintenance))
    return path


@pytest.fixture
def rt(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Runtime]:
    runtime = make_runtime(db_url, tmp_path, clock, org(tmp_path, """  - name: database
    maintenance:
      - {starts_at: "2026-01-05T10:00:00Z", ends_at: "2026-01-05T11:00:00Z",
         comment: PostgreSQL upgrade}"""))
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def http(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt)) as c:
        yield c


@pytest.fixture
def team(rt: Runtime) -> Users:
    return make_users(rt)


def send(http: TestClient, rt: Runtime, *alerts: Mapping[str, object]) -> None:
    response = http.post(f"/api/v1/intake/generic/{keys(rt)['hook']}",
                         json={"alerts": list(alerts)})
    assert response.status_code == 202, response.text


def open_incidents(http: TestClient, team: Users) -> list[dict[str, object]]:
    found: list[dict[str, object]] = http.get(
        "/api/v1/incidents", headers=team.headers("admin")).json()["items"]
    return found


@pytest.mark.parametrize(("alert", "severity"), [
    ({"summary": "api down", "labels": {"alertname": "ServiceDown"}}, "P0"),
    ({"summary": "5xx", "annotations": {"error_ratio": "0.6"}}, "P0"),
    ({"summary": "no logins", "labels": {"category": "authentication"}}, "P0"),
    ({"summary": "errors", "annotations": {"error_ratio": "0.2"}}, "P1"),
    ({"summary": "slow", "annotations": {"p95_seconds": "2.5"}}, "P1"),
    ({"summary": "slower", "annotations": {"degradation_ratio": "0.7"}}, "P2"),
    ({"summary": "meh", "annotations": {"error_ratio": "0.05"}}, "P3"),
])
def test_triage_decision_tree_sets_severity(http: TestClient, rt: Runtime, team: Users,
                                            alert: dict[str, object], severity: str) -> None:
    send(http, rt, {"service": "api", **alert})
    [incident] = open_incidents(http, team)
    assert incident["severity"] == severity
    assert incident["services"] == ["api"]


def test_alerts_of_one_group_join_one_incident_within_the_window(
        http: TestClient, rt: Runtime, team: Users, clock: FakeClock) -> None:
    send(http, rt, {"summary": "a", "labels": {"alertname": "LoginFailing", "job": "auth-1"}})
    clock.advance(timedelta(minutes=20))
    send(http, rt, {"summary": "b", "labels": {"alertname": "LoginFailing", "job": "auth-2"}})
    [incident] = open_incidents(http, team)
    assert incident["services"] == ["auth"] and incident["severity"] == "P0"
    clock.advance(timedelta(minutes=31))  # the window slid from the second alert; now past
    send(http, rt, {"summary": "c", "labels": {"alertname": "LoginFailing", "job": "auth-3"}})
    assert len(open_incidents(http, team)) == 2
    events = http.get(f"/api/v1/incidents/{incident['human_id']}/timeline",
                      headers=team.headers("admin")).json()["events"]
    assert [e["kind"] for e in events].count("alert_attached") == 2


def test_all_resolved_moves_to_monitoring_by_default(http: TestClient, rt: Runtime,
                                                     team: Users) -> None:
    first = {"dedup_key": "one", "summary": "a", "labels": {"alertname": "X", "job": "auth-1"}}
    second = {"dedup_key": "two", "summary": "b", "labels": {"alertname": "X", "job": "auth-2"}}
    send(http, rt, first, second)
    send(http, rt, {**first, "status": "resolved"})
    assert open_incidents(http, team)[0]["status"] == "triggered"
    send(http, rt, {**second, "status": "resolved"})
    assert open_incidents(http, team)[0]["status"] == "monitoring"


def test_auto_resolve_is_opt_in_per_severity(http: TestClient, rt: Runtime,
                                            team: Users) -> None:
    alert = {"dedup_key": "nightly", "summary": "batch slow", "service": "api",
             "labels": {"team": "batch"}}
    send(http, rt, alert)
    send(http, rt, {**alert, "status": "resolved"})
    [incident] = open_incidents(http, team)
    assert (incident["severity"], incident["status"]) == ("P3", "resolved")


def test_silenced_alert_is_stored_but_declares_nothing_until_the_silence_ends(
        http: TestClient, rt: Runtime, team: Users, clock: FakeClock) -> None:
    created = http.post("/api/v1/silences", headers=team.headers("responder"), json={
        "matchers": ['alertname="DiskFull"'], "duration": "1h", "comment": "resizing"})
    assert created.status_code == 201, created.text
    send(http, rt, {"dedup_key": "d1", "summary": "disk", "labels": {"alertname": "DiskFull"}})
    [alert] = stored_alerts(rt)
    assert alert.silenced_by == f"silence:{created.json()['id']}"
    assert open_incidents(http, team) == []
    clock.advance(timedelta(hours=1))  # half-open: the silence stops exactly at its end
    send(http, rt, {"dedup_key": "d2", "summary": "disk", "labels": {"alertname": "DiskFull"}})
    assert len(open_incidents(http, team)) == 1


@pytest.mark.parametrize("ends", ["expires", "expired by hand"])
def test_an_alert_stored_while_silenced_declares_when_re_sent_after_the_silence(
        http: TestClient, rt: Runtime, team: Users, clock: FakeClock, ends: str) -> None:
    created = http.post("/api/v1/silences", headers=team.headers("responder"), json={
        "matchers": ['alertname="DiskFull"'], "duration": "1h", "comment": "resizing"})
    assert created.status_code == 201, created.text
    disk = {"dedup_key": "d1", "summary": "disk", "labels": {"alertname": "DiskFull"}}
    send(http, rt, disk)
    send(http, rt, disk)  # a repeat while silenced stays silenced
    [alert] = stored_alerts(rt)
    assert alert.silenced_by == f"silence:{created.json()['id']}" and alert.count == 2
    assert open_incidents(http, team) == []
    if ends == "expires":
        clock.advance(timedelta(hours=1))
    else:
        done = http.post(f"/api/v1/silences/{created.json()['id']}/expire",
                         headers=team.headers("responder"))
        assert done.status_code == 200, done.text
    send(http, rt, disk)  # the same alert, still firing: now it declares
    assert len(open_incidents(http, team)) == 1
    [alert] = stored_alerts(rt)
    assert alert.silenced_by is None and alert.count == 3
    assert alert.incident_id is not None
    send(http, rt, disk)  # and further repeats only count
    assert len(open_incidents(http, team)) == 1
    assert stored_alerts(rt)[0].count == 4


def test_expired_silence_lists_as_expired(http: TestClient, team: Users) -> None:
    sid = http.post("/api/v1/silences", headers=team.headers("responder"), json={
        "matchers": ['job=~"db-.*"'], "duration": "2h", "comment": "x"}).json()["id"]
    done = http.post(f"/api/v1/silences/{sid}/expire", headers=team.headers("responder"))
    assert done.json()["state"] == "expired"
    assert http.get("/api/v1/silences", headers=team.headers("viewer")).json()["items"] == []
    everything = http.get("/api/v1/silences", params={"all": "true"},
                          headers=team.headers("viewer")).json()["items"]
    assert [s["id"] for s in everything] == [sid]
    assert http.post("/api/v1/silences", headers=team.headers("viewer"), json={
        "matchers": ["a=b"], "comment": "x"}).status_code == 403
    bad = http.post("/api/v1/silences", headers=team.headers("responder"), json={
        "matchers": ['a=~"("'], "comment": "x"})
    assert bad.status_code == 422 and "regular expression" in bad.text


@pytest.mark.parametrize("matchers", [['a=""'], ['alertname=~".*"'], ['a=""', 'b=~".*"'],
                                      ['a!="x"']])
def test_a_silence_that_matches_everything_is_refused_on_both_apis(
        http: TestClient, rt: Runtime, team: Users, matchers: list[str]) -> None:
    bad = http.post("/api/v1/silences", headers=team.headers("responder"), json={
        "matchers": matchers, "comment": "oops"})
    assert bad.status_code == 422, bad.text
    assert bad.json()["detail"].startswith("matchers: ")
    assert "at least one matcher must not match the empty string" in bad.text
    key = keys(rt)["prom"]
    am = [{"name": m.split("=")[0].rstrip("!"), "value": m.split('"')[1] if '"' in m else "x",
           "isRegex": "=~" in m, "isEqual": "!=" not in m} for m in matchers]
    v2 = http.post("/api/v2/silences", headers={"Authorization": f"Bearer {key}"}, json={
        "matchers": am, "startsAt": "2026-01-05T09:00:00Z", "endsAt": "2026-01-05T10:00:00Z",
        "createdBy": "amtool", "comment": "oops"})
    assert v2.status_code in (400, 422), v2.text
    assert "at least one matcher must not match the empty string" in v2.text
    assert http.get("/api/v1/silences", headers=team.headers("viewer")).json()["items"] == []
    fine = http.post("/api/v1/silences", headers=team.headers("responder"), json={
        "matchers": [*matchers, 'alertname="DiskFull"'], "comment": "ok"})
    assert fine.status_code == 201, fine.text


def test_maintenance_window_silences_its_service(http: TestClient, rt: Runtime, team: Users,
                                                 clock: FakeClock) -> None:
    clock.set(clock.now().replace(hour=10, minute=30))
    send(http, rt, {"dedup_key": "m", "summary": "db", "service": "database"})
    assert stored_alerts(rt)[0].silenced_by == "maintenance:maintenance:database:0"
    assert open_incidents(http, team) == []
