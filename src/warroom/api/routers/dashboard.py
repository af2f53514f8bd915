"""JSON twins of console pages that have no other API resource: the dashboard, on-call
and escalation policies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from warroom.api.deps import Services, principal, services
from warroom.services.principal import Principal, require
from warroom.web.overview import dashboard_data
from warroom.web.rota import escalation_policies, oncall_view

router = APIRouter(prefix="/api/v1", tags=["console"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]


@router.get("/dashboard", summary="Open incidents by severity, on call now, MTTA/MTTR")
def dashboard(svc: Svc, caller: Caller) -> dict[str, Any]:
    return dashboard_data(svc, caller)


@router.get("/console/oncall",
            summary="Who is on call now, the coming days' calendar and upcoming overrides")
def oncall(svc: Svc, caller: Caller,
           days: int = Query(14, ge=1, le=62)) -> dict[str, Any]:
    return oncall_view(svc.runtime, caller, svc.runtime.clock.now(), days)


@router.get("/console/escalation-policies", summary="Escalation policies from config")
def policies(svc: Svc, caller: Caller) -> dict[str, Any]:
    require(caller, "viewer", "reading escalation policies")
    return {"items": escalation_policies(svc.runtime)}
