"""Incident flows under real alert shapes (issue 10): the severity precedence, a worse alert
raising an open incident, PagerDuty `acknowledge`, system moves that never pose as a human,
and rules on every trigger. Through the HTTP app, with pages going to local receivers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from warroom.clock import FakeClock
from warroom.evidence.metrics import metrics_row
from warroom.store import db
from warroom.store import incidents as incident_store
from warroom.testing.paging import PagingRig, paging_rig
from warroom.testing.runtime import REPO

PD_KEY = "pd-flows-0123456789abcdef"
HOOK_KEY = "hook-flows-0123456789abcd"
ROUTES = [
    {"name": "shieldx", "matchers": ['job=~"shieldx-.*"'], "service": "api",
     "group_by": ["job"], "severity_map": {"critical": "P1", "warning": "P2"}},
    {"name": "quiet", "matchers": ['job="quiet"'], "service": "api", "group_by": ["job"],
     "raise_severity": False},
]
TRIGGER_RULES = [
    {"name": "declared-note", "triggers": ["incident_declared"],
     "actions": [{"add_note": "declared as {{ incident.severity }}"}]},
    {"name": "p0-brings-bob", "triggers": ["incident_changed"],
     "when": 'change.kind == "severity_changed" && incident.severity == "P0"',
     "actions": [{"add_responders": ["bob"]}]},
    {"name": "resolved-note", "triggers": ["alert_resolved"],
     "actions": [{"add_note": "resolved: {{ alert.summary }} on {{ incident.id }}"}]},
]


def example_rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = yaml.safe_load(
        (REPO / "examples/org/rules.yaml").read_text())["rules"]
    return rules


def integrations() -> list[dict[str, Any]]:
    return [{"name": "zabbix", "kind": "pagerduty", "service": "api", "key": PD_KEY},
            {"name": "hook", "kind": "generic", "service": "api", "key": HOOK_KEY}]


@pytest.fixture
def rig(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[PagingRig]:
    extra = {"integrations": integrations(), "routes": ROUTES,
             "rules": TRIGGER_RULES + example_rules()}
    with paging_rig(db_url, tmp_path, clock, extra=extra) as found:
        yield found


def send(rig: PagingRig, *alerts: dict[str, Any]) -> None:
    resp = rig.client.post(f"/api/v1/intake/generic/{HOOK_KEY}", json={"alerts": list(alerts)})
    assert resp.status_code == 202, resp.text


def incidents(rig: PagingRig) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = rig.get("/api/v1/incidents").json()["items"]
    return found


def alert(key: str, severity: str, job: str = "shieldx-api", **annotations: str
          ) -> dict[str, Any]:
    return {"dedup_key": key, "summary": f"{key} on {job}",
            "labels": {"alertname": key, "job": job, "severity": severity},
            "annotations": annotations}


# ------------------------------------------------------------------ 1. precedence


def test_route_severity_map_wins_over_the_catch_all_and_pages(rig: PagingRig) -> None:
    send(rig, alert("DiskAlmostFull", "critical"))
    [incident] = incidents(rig)
    assert incident["severity"] == "P1"  # the route's map; the catch-all used to say P3
    [attached] = rig.events(incident["human_id"], "alert_attached")
    assert attached["data"]["rule"] == "everything-else"
    assert attached["data"]["severity_reason"] == "P1 from the severity_map of route 'shieldx'"
    rig.run()
    assert [p["kind"] for p in rig.pages_for("alice")] == ["page"]


def test_explicit_rule_severity_beats_the_route_map(rig: PagingRig) -> None:
    send(rig, alert("ApiErrors", "warning", error_ratio="0.7"))
    [incident] = incidents(rig)
    assert incident["severity"] == "P0"
    [attached] = rig.events(incident["human_id"], "alert_attached")
    assert attached["data"]["severity_reason"] == "P0 from rule 'complete-outage'"


def test_rules_explain_names_the_rule_and_map(rig: PagingRig) -> None:
    body = {"labels": {"alertname": "DiskAlmostFull", "job": "shieldx-api",
                       "severity": "critical"}, "summary": "disk"}
    resp = rig.post("/api/v1/rules/explain", body, who="viewer")
    assert resp.status_code == 200, resp.text
    found = resp.json()
    assert (found["severity"], found["source"], found["route"], found["rule"]) == (
        "P1", "severity_map", "shieldx", None)
    assert found["service"] == "api"
    assert found["matched_rules"] == ["everything-else"]
    assert found["declares"] is True
    ratio = rig.post("/api/v1/rules/explain", {
        "labels": {"alertname": "Errors", "job": "shieldx-api", "severity": "critical"},
        "annotations": {"error_ratio": "71.4%"}}, who="viewer").json()
    assert (ratio["severity"], ratio["rule"], ratio["values"]) == (
        "P0", "complete-outage", {"error_ratio": 0.714})
    bad = rig.post("/api/v1/rules/explain", {"labels": "nope"}, who="viewer")
    assert bad.status_code == 422 and "labels" in bad.text


# ------------------------------------------------------------------ 2. raising


@pytest.mark.parametrize("hint", ["P1", "p1"])
def test_a_severity_hint_naming_a_scheme_key_is_that_severity_and_pages(
        rig: PagingRig, hint: str) -> None:
    # The generic webhook's top-level `severity` (docs/intake.md: `critical`, `warning`, … or
    # `P1`), on a route without a severity_map: it used to fall through to P3 and page nobody.
    send(rig, {"dedup_key": "batch-late", "summary": "batch late", "severity": hint,
               "labels": {"alertname": "BatchLate", "job": "batch"}})
    [incident] = incidents(rig)
    assert incident["severity"] == "P1"
    [attached] = rig.events(incident["human_id"], "alert_attached")
    assert attached["data"]["severity_reason"].startswith("P1 from the label default")
    rig.run()
    assert [p["kind"] for p in rig.pages_for("alice")] == ["page"]
    explained = rig.post("/api/v1/rules/explain", {
        "labels": {"alertname": "BatchLate", "job": "batch", "severity": hint},
        "summary": "batch late"}, who="viewer").json()
    assert (explained["severity"], explained["source"]) == ("P1", "label default")
    assert explained["route_severity"] == "P1"
    words = rig.post("/api/v1/rules/explain", {
        "labels": {"alertname": "BatchLate", "job": "batch", "severity": "High"},
        "summary": "batch late"}, who="viewer").json()
    assert (words["severity"], words["source"]) == ("P1", "label default")


def test_worse_alert_joining_raises_severity_and_pages_under_the_new_policy(
        rig: PagingRig) -> None:
    send(rig, alert("Slow", "info"))
    [incident] = incidents(rig)
    ref = incident["human_id"]
    assert incident["severity"] == "P3"  # label default; P3 does not page
    rig.run()
    assert rig.pages_for("alice") == []
    send(rig, alert("Errors5xx", "critical", error_ratio="0.7"))
    [incident] = incidents(rig)
    assert incident["severity"] == "P0"
    [raised] = rig.events(ref, "severity_changed")
    assert (raised["data"]["from"], raised["data"]["to"]) == ("P3", "P0")
    assert raised["data"]["reason"] == ("alert 'Errors5xx on shieldx-api' joined: "
                                        "P0 from rule 'complete-outage'")
    assert raised["actor"] == "integration:hook"
    rig.run()
    [page] = rig.pages_for("alice")
    assert "[P0]" in page["subject"]


def test_a_joining_alert_never_lowers_the_severity(rig: PagingRig) -> None:
    send(rig, alert("Errors5xx", "critical", error_ratio="0.7"))
    send(rig, alert("Slow", "info"))
    [incident] = incidents(rig)
    assert incident["severity"] == "P0"
    assert rig.events(incident["human_id"], "severity_changed") == []


def test_raise_severity_false_keeps_the_incident_severity(rig: PagingRig) -> None:
    send(rig, alert("Slow", "info", job="quiet"))
    send(rig, alert("Down", "critical", job="quiet", error_ratio="0.9"))
    [incident] = incidents(rig)
    assert incident["severity"] == "P3"


# ------------------------------------------------------------------ 3. PagerDuty acknowledge


def pd_event(action: str, key: str = "db-2-lag", severity: str = "critical") -> dict[str, Any]:
    body: dict[str, Any] = {"routing_key": PD_KEY, "event_action": action, "dedup_key": key}
    if action == "trigger":
        body["payload"] = {"summary": "Replica lag on db-2", "source": "db-2",
                           "severity": severity, "custom_details": {"error_ratio": 0.8}}
    return body


def test_pagerduty_acknowledge_acknowledges_and_stops_escalation(rig: PagingRig) -> None:
    assert rig.client.post("/v2/enqueue", json=pd_event("trigger")).status_code == 202
    [incident] = incidents(rig)
    ref = incident["human_id"]
    assert incident["severity"] == "P0"
    rig.run()
    assert len(rig.pages_for("alice")) == 1
    assert rig.client.post("/v2/enqueue", json=pd_event("acknowledge")).status_code == 202
    [incident] = incidents(rig)
    assert incident["status"] == "acknowledged"
    assert incident["milestones"]["acknowledged"] is not None
    [ack] = rig.events(ref, "acknowledged")
    assert ack["actor"] == "integration:zabbix"
    assert "integration:zabbix" not in incident["responders"]
    rig.clock.advance(timedelta(minutes=20))
    rig.run()
    assert rig.pages_for("bob") == []  # the +5 min step never fired
    assert "ack_sla_breached" not in rig.kinds(ref)
    assert not any("ACK SLA BREACHED" in r.json()["text"] for r in rig.paths("/team-chat"))


def test_acknowledging_one_alert_acknowledges_the_incident_not_its_other_alerts(
        rig: PagingRig) -> None:
    rig.client.post("/v2/enqueue", json=pd_event("trigger", "lag-1"))
    rig.client.post("/v2/enqueue", json=pd_event("trigger", "lag-2"))
    [incident] = incidents(rig)
    rig.client.post("/v2/enqueue", json=pd_event("acknowledge", "lag-2"))
    [incident] = incidents(rig)
    assert incident["status"] == "acknowledged"
    alerts = {a["dedup_key"]: a for a in rig.get("/api/v1/alerts").json()["items"]}
    assert alerts["lag-1"]["acknowledged_at"] is None
    assert alerts["lag-2"]["acknowledged_at"] is not None


# ------------------------------------------------------------------ 4. system transitions


def test_all_resolved_sets_no_human_milestone_and_paging_goes_on(rig: PagingRig) -> None:
    firing = alert("Down", "critical")
    send(rig, firing)
    [incident] = incidents(rig)
    ref = incident["human_id"]
    rig.run()
    assert len(rig.pages_for("alice")) == 1
    send(rig, {**firing, "status": "resolved"})
    [incident] = incidents(rig)
    assert incident["status"] == "monitoring"
    assert incident["milestones"]["acknowledged"] is None
    assert incident["milestones"]["mitigated"] is None
    with db.read(rig.runtime.engine) as conn:
        row = metrics_row(incident_store.load_events(conn, incident["id"]))
    assert row is not None and row.acknowledged_at is None and row.mitigated_at is None
    rig.clock.advance(timedelta(minutes=5))
    rig.run()
    assert len(rig.pages_for("bob")) == 1  # nobody responded: escalation goes on
    rig.clock.advance(timedelta(minutes=10))  # P1: acknowledge within 15 minutes
    rig.run()
    assert "ack_sla_breached" in rig.kinds(ref)


def test_a_new_alert_on_a_monitoring_incident_makes_it_active_and_pages_again(
        rig: PagingRig) -> None:
    firing = alert("Down", "critical")
    send(rig, firing)
    [incident] = incidents(rig)
    ref = incident["human_id"]
    rig.run()
    assert rig.post(f"/api/v1/incidents/{ref}/acknowledge").status_code == 200
    send(rig, {**firing, "status": "resolved"})
    assert incidents(rig)[0]["status"] == "monitoring"
    rig.run()
    assert len(rig.pages_for("alice")) == 1
    send(rig, firing)
    [incident] = incidents(rig)
    assert incident["status"] == "triggered"
    [back] = rig.events(ref, "reactivated")
    assert back["data"]["reason"] == "alert fired again: Down on shieldx-api"
    rig.run()
    assert len(rig.pages_for("alice")) == 2


# ------------------------------------------------------------------ 6. triggers


def test_incident_declared_rules_run_for_alert_and_hand_declared_incidents(
        rig: PagingRig) -> None:
    send(rig, alert("Down", "critical"))
    [incident] = incidents(rig)
    notes = rig.events(incident["human_id"], "note_added")
    assert [(n["actor"], n["data"]["text"]) for n in notes] == [
        ("rule:declared-note", "declared as P1")]
    ref = rig.declare("P2")
    assert [n["data"]["text"] for n in rig.events(ref, "note_added")] == ["declared as P2"]


def test_incident_changed_rules_run_on_a_severity_change(rig: PagingRig) -> None:
    ref = rig.declare("P2")
    assert rig.events(ref, "responder_added") == []
    resp = rig.post(f"/api/v1/incidents/{ref}/severity", {"severity": "P0", "reason": "worse"})
    assert resp.status_code == 200, resp.text
    [added] = rig.events(ref, "responder_added")
    assert (added["actor"], added["data"]["user"]) == ("rule:p0-brings-bob", "bob")


def test_alert_resolved_rules_run_with_the_alert_and_incident(rig: PagingRig) -> None:
    firing = alert("Down", "critical")
    send(rig, firing)
    send(rig, {**firing, "status": "resolved"})
    [incident] = incidents(rig)
    texts = [n["data"]["text"] for n in rig.events(incident["human_id"], "note_added")]
    assert f"resolved: Down on shieldx-api on {incident['human_id']}" in texts
