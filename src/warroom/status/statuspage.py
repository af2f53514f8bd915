"""Statuspage v2 JSON shapes (field names and enums as Atlassian Statuspage publishes them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from warroom.clock import isoformat
from warroom.status.model import (
    Component,
    Maintenance,
    PublicIncident,
    PublicUpdate,
    StatusPage,
)


def _ts(value: datetime | None) -> str | None:
    return isoformat(value) if value else None


def page_json(page: StatusPage) -> dict[str, Any]:
    return {"id": page.page_id, "name": page.name, "url": page.url,
            "time_zone": page.time_zone, "updated_at": _ts(page.updated_at)}


def status_json(page: StatusPage) -> dict[str, Any]:
    return {"indicator": page.indicator, "description": page.description}


def component_json(page: StatusPage, c: Component) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "status": c.status, "created_at": _ts(c.created_at),
            "updated_at": _ts(c.updated_at), "position": c.position,
            "description": c.description or None, "showcase": True, "start_date": None,
            "group_id": None, "page_id": page.page_id, "group": False,
            "only_show_if_degraded": False}


def _components_of(page: StatusPage, names: tuple[str, ...]) -> list[dict[str, Any]]:
    return [component_json(page, c) for c in page.components if c.id in names]


def update_json(page: StatusPage, incident_id: str, u: PublicUpdate) -> dict[str, Any]:
    names = {c.id: c.name for c in page.components}
    return {"id": u.id, "status": u.status, "body": u.body, "incident_id": incident_id,
            "created_at": _ts(u.at), "updated_at": _ts(u.at), "display_at": _ts(u.at),
            "affected_components": [
                {"code": c.component, "name": names.get(c.component, c.component),
                 "old_status": c.old_status, "new_status": c.new_status}
                for c in u.changes],
            "deliver_notifications": True, "custom_tweet": None, "tweet_id": None}


def incident_json(page: StatusPage, i: PublicIncident) -> dict[str, Any]:
    return {"id": i.id, "name": i.name, "status": i.status, "created_at": _ts(i.created_at),
            "updated_at": _ts(i.updated_at), "monitoring_at": _ts(i.monitoring_at),
            "resolved_at": _ts(i.resolved_at), "impact": i.impact,
            "shortlink": f"{page.url}/incidents/{i.id}", "started_at": _ts(i.started_at),
            "page_id": page.page_id,
            "incident_updates": [update_json(page, i.id, u) for u in i.updates],
            "components": _components_of(page, i.component_names)}


MAINTENANCE_BODY = {"scheduled": "{body}", "in_progress": "Scheduled maintenance is currently "
                    "in progress.", "completed": "The scheduled maintenance has been completed."}


def maintenance_json(page: StatusPage, m: Maintenance) -> dict[str, Any]:
    status = m.status(page.now)
    steps = m.transitions(page.now)
    updates: list[dict[str, Any]] = [
        {"id": f"{m.id}-{n}", "status": step,
         "body": MAINTENANCE_BODY[step].format(body=m.description or m.name),
         "incident_id": m.id, "created_at": _ts(at), "updated_at": _ts(at),
         "display_at": _ts(at), "affected_components": [
             {"code": c.id, "name": c.name,
              "old_status": "under_maintenance" if step == "completed" else "operational",
              "new_status": "under_maintenance" if step == "in_progress" else "operational"}
             for c in page.components if c.id in m.components] if step != "scheduled" else [],
         "deliver_notifications": True, "custom_tweet": None, "tweet_id": None}
        for n, (step, at) in reversed(list(enumerate(steps, start=1)))]
    return {"id": m.id, "name": m.name, "status": status,
            "created_at": _ts(m.created_at or m.starts), "updated_at": _ts(steps[-1][1]),
            "monitoring_at": None,
            "resolved_at": _ts(m.ends) if status == "completed" else None,
            "impact": "maintenance", "shortlink": f"{page.url}#maintenance-{m.id}",
            "started_at": _ts(m.starts), "page_id": page.page_id,
            "incident_updates": updates, "components": _components_of(page, m.components),
            "scheduled_for": _ts(m.starts), "scheduled_until": _ts(m.ends)}


def document(page: StatusPage, name: str) -> dict[str, Any]:
    """The body of /status/api/v2/<name>.json."""
    head = {"page": page_json(page)}
    maint = [maintenance_json(page, m) for m in page.maintenances]
    match name:
        case "summary":
            return {**head, "components": [component_json(page, c) for c in page.components],
                    "incidents": [incident_json(page, i) for i in page.unresolved],
                    "scheduled_maintenances": [
                        maintenance_json(page, m) for m in page.maintenances
                        if m.status(page.now) in ("scheduled", "in_progress")],
                    "status": status_json(page)}
        case "status":
            return {**head, "status": status_json(page)}
        case "components":
            return {**head, "components": [component_json(page, c) for c in page.components]}
        case "incidents":
            return {**head, "incidents": [incident_json(page, i) for i in page.incidents]}
        case "incidents/unresolved":
            return {**head, "incidents": [incident_json(page, i) for i in page.unresolved]}
        case "scheduled-maintenances":
            return {**head, "scheduled_maintenances": maint}
        case "scheduled-maintenances/upcoming":
            return {**head, "scheduled_maintenances": [
                maintenance_json(page, m) for m in page.upcoming_maintenances()]}
        case "scheduled-maintenances/active":
            return {**head, "scheduled_maintenances": [
                maintenance_json(page, m) for m in page.active_maintenances()]}
    raise KeyError(name)


DOCUMENTS = ("summary", "status", "components", "incidents", "incidents/unresolved",
             "scheduled-maintenances", "scheduled-maintenances/upcoming",
             "scheduled-maintenances/active")
