"""/api/v1/alerts: stored alerts, filtered by status, integration, service or incident."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query

from warroom.api import schemas
from warroom.api.deps import Services, principal, services
from warroom.api.types import RowId
from warroom.domain.errors import NotFound
from warroom.intake.unrouted import unrouted_clause
from warroom.services.principal import Principal, require
from warroom.store.alerts import alerts
from warroom.store.incidents import linked_visibility_clause

router = APIRouter(prefix="/api/v1/alerts", tags=["intake"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]


def _ts(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def alert_json(row: Any) -> dict[str, Any]:
    return {"id": row.id, "integration": row.integration, "source": row.source,
            "dedup_key": row.dedup_key, "status": row.status, "summary": row.summary,
            "severity_hint": row.severity_hint, "service": row.service,
            "labels": row.labels, "annotations": row.annotations, "links": row.links,
            "starts_at": _ts(row.starts_at), "ends_at": _ts(row.ends_at),
            "first_seen": _ts(row.first_seen), "last_seen": _ts(row.last_seen),
            "count": row.count, "incident_id": row.incident_id,
            "silenced_by": row.silenced_by, "acknowledged_at": _ts(row.acknowledged_at)}


@router.get("", summary="Alerts, newest first", response_model=schemas.AlertPage)
def list_alerts(svc: Svc, caller: Caller, status: str | None = None,
                integration: str | None = None, service: str | None = None,
                incident: str | None = None, silenced: bool | None = None,
                unrouted: Annotated[bool, Query(description=(
                    "only firing alerts that reached no incident and were neither silenced "
                    "nor suppressed by a rule"))] = False,
                limit: int = Query(100, ge=1, le=1000),
                before: RowId | None = Query(None, description="cursor: an alert id")
                ) -> dict[str, Any]:
    who = require(caller, "viewer", "listing alerts")
    # An alert follows its incident's visibility: a restricted incident's alerts stay hidden.
    query = sa.select(alerts).where(linked_visibility_clause(
        alerts.c.incident_id, who.name, who.sees_restricted)).order_by(
        alerts.c.id.desc()).limit(limit)
    if status:
        query = query.where(alerts.c.status == status)
    if integration:
        query = query.where(alerts.c.integration == integration)
    if service:
        query = query.where(alerts.c.service == service)
    if incident:
        query = query.where(alerts.c.incident_id == svc.incidents.get(caller, incident).id)
    if silenced is not None:
        query = query.where(alerts.c.silenced_by.isnot(None) if silenced
                            else alerts.c.silenced_by.is_(None))
    if unrouted:
        query = query.where(unrouted_clause())
    if before is not None:
        query = query.where(alerts.c.id < before)
    with svc.runtime.engine.connect() as conn:
        rows = conn.execute(query).all()
    items = [alert_json(row) for row in rows]
    return {"items": items, "next_cursor": items[-1]["id"] if len(items) == limit else None}


@router.get("/{alert_id}", summary="One alert, with its raw payload",
            response_model=schemas.AlertWithRaw)
def get_alert(alert_id: RowId, svc: Svc, caller: Caller) -> dict[str, Any]:
    who = require(caller, "viewer", "reading alerts")
    with svc.runtime.engine.connect() as conn:
        row = conn.execute(sa.select(alerts).where(alerts.c.id == alert_id,
                                                   linked_visibility_clause(
                                                       alerts.c.incident_id, who.name,
                                                       who.sees_restricted))).first()
    if row is None:
        raise NotFound(f"no alert {alert_id}")
    return {**alert_json(row), "raw": row.raw}
