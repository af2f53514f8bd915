"""Status page test helpers: Statuspage v2 field lists and enums, and declaring and
publishing incidents through the API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

PAGE_FIELDS = {"id", "name", "url", "time_zone", "updated_at"}
STATUS_FIELDS = {"indicator", "description"}
COMPONENT_FIELDS = {"id", "name", "status", "created_at", "updated_at", "position",
                    "description", "showcase", "start_date", "group_id", "page_id", "group",
                    "only_show_if_degraded"}
INCIDENT_FIELDS = {"id", "name", "status", "created_at", "updated_at", "monitoring_at",
                   "resolved_at", "impact", "shortlink", "started_at", "page_id",
                   "incident_updates", "components"}
UPDATE_FIELDS = {"id", "status", "body", "incident_id", "created_at", "updated_at",
                 "display_at", "affected_components", "deliver_notifications",
                 "custom_tweet", "tweet_id"}
MAINTENANCE_FIELDS = INCIDENT_FIELDS | {"scheduled_for", "scheduled_until"}
COMPONENT_STATUSES = {"operational", "degraded_performance", "partial_outage", "major_outage",
                      "under_maintenance"}
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
MAINTENANCE_STATUSES = {"scheduled", "in_progress", "verifying", "completed"}
DOCUMENTS = {
    "summary": {"page", "components", "incidents", "scheduled_maintenances", "status"},
    "status": {"page", "status"},
    "components": {"page", "components"},
    "incidents": {"page", "incidents"},
    "incidents/unresolved": {"page", "incidents"},
    "scheduled-maintenances": {"page", "scheduled_maintenances"},
    "scheduled-maintenances/upcoming": {"page", "scheduled_maintenances"},
    "scheduled-maintenances/active": {"page", "scheduled_maintenances"},
}


def validate(doc: dict[str, Any], keys: set[str]) -> None:
    """Check a document against Statuspage's field lists and enums."""
    assert set(doc) == keys
    assert set(doc["page"]) == PAGE_FIELDS
    if "status" in doc:
        assert set(doc["status"]) == STATUS_FIELDS
        assert doc["status"]["indicator"] in {"none", "minor", "major", "critical",
                                              "maintenance"}
    for c in doc.get("components", []):
        assert set(c) == COMPONENT_FIELDS and c["status"] in COMPONENT_STATUSES
    for i in doc.get("incidents", []):
        assert set(i) == INCIDENT_FIELDS and i["status"] in INCIDENT_STATUSES
        assert i["impact"] in {"none", "minor", "major", "critical"}
        for u in i["incident_updates"]:
            assert set(u) == UPDATE_FIELDS and u["status"] in INCIDENT_STATUSES
        for c in i["components"]:
            assert set(c) == COMPONENT_FIELDS
    for m in doc.get("scheduled_maintenances", []):
        assert set(m) == MAINTENANCE_FIELDS and m["status"] in MAINTENANCE_STATUSES
        assert m["impact"] == "maintenance"


def declare(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    resp = client.post("/api/v1/incidents", headers=headers, json=body)
    assert resp.status_code == 201, resp.text
    incident: dict[str, Any] = resp.json()["incident"]
    return incident


SEVERITY_DEFAULTS = {"P0": ("major_outage", "critical"), "P1": ("partial_outage", "major"),
                     "P2": ("degraded_performance", "minor"),
                     "P3": ("degraded_performance", "minor")}


def publish(client: TestClient, headers: dict[str, str], ref: str, title: str,
            components: dict[str, str], impact: str, body: str = "") -> dict[str, Any]:
    resp = client.post(f"/api/v1/incidents/{ref}/publish", headers=headers, json={
        "title": title, "components": components, "impact": impact, "body": body})
    assert resp.status_code == 200, resp.text
    result: dict[str, Any] = resp.json()
    return result


def published(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    """Declare, then publish under the same title with the severity's usual statuses."""
    incident = declare(client, headers, **body)
    status, impact = SEVERITY_DEFAULTS[body["severity"]]
    publish(client, headers, incident["human_id"], body["title"],
            {s: status for s in body["services"]}, impact)
    return incident


def doc(client: TestClient, name: str) -> dict[str, Any]:
    resp = client.get(f"/status/api/v2/{name}.json")
    assert resp.status_code == 200
    assert resp.headers["access-control-allow-origin"] == "*"
    body: dict[str, Any] = resp.json()
    validate(body, DOCUMENTS[name])
    return body
