"""Recent changes (deploys, config changes) per service and for an incident's services."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query

from warroom.api.deps import Services, principal, services
from warroom.services.principal import Principal, require
from warroom.store.alerts import change_events

router = APIRouter(tags=["intake"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]
DEFAULT_HOURS = 6


def change_json(row: Any) -> dict[str, Any]:
    return {"id": row.id, "service": row.service, "summary": row.summary,
            "source": row.source, "at": row.at.isoformat(), "links": row.links,
            "details": row.details, "integration": row.integration}


def _changes(conn: sa.Connection, services_: list[str], since: Any, until: Any,
             limit: int) -> list[dict[str, Any]]:
    query = (sa.select(change_events).where(change_events.c.at >= since,
                                            change_events.c.at <= until)
             .order_by(change_events.c.at.desc(), change_events.c.id.desc()).limit(limit))
    if services_:
        query = query.where(change_events.c.service.in_(services_))
    return [change_json(row) for row in conn.execute(query)]


@router.get("/api/v1/changes", summary="Recent changes, newest first")
def recent_changes(svc: Svc, caller: Caller, service: str | None = None,
                   hours: float = Query(DEFAULT_HOURS, gt=0, le=24 * 90),
                   limit: int = Query(100, ge=1, le=1000)) -> dict[str, Any]:
    require(caller, "viewer", "reading changes")
    now = svc.runtime.clock.now()
    with svc.runtime.engine.connect() as conn:
        items = _changes(conn, [service] if service else [], now - timedelta(hours=hours),
                         now, limit)
    return {"items": items, "hours": hours}


@router.get("/api/v1/incidents/{ref}/changes",
            summary="Changes to the incident's services in the hours before it started")
def incident_changes(ref: str, svc: Svc, caller: Caller,
                     hours: float = Query(DEFAULT_HOURS, gt=0, le=24 * 90),
                     limit: int = Query(100, ge=1, le=1000)) -> dict[str, Any]:
    state = svc.incidents.get(caller, ref)
    if not state.services:
        return {"incident": state.human_id, "services": [], "hours": hours, "items": []}
    until = max(state.declared_at, svc.runtime.clock.now()) if state.status not in (
        "resolved", "closed") else state.declared_at
    with svc.runtime.engine.connect() as conn:
        items = _changes(conn, list(state.services),
                         state.started_at - timedelta(hours=hours), until, limit)
    return {"incident": state.human_id, "services": list(state.services), "hours": hours,
            "items": items}
