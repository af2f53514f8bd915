"""/api/v1/rules: explain which route, rule and map give an alert its severity."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from warroom.api.deps import Services, principal, services
from warroom.intake.explain import ExplainRequest, explain
from warroom.intake.writer import writer_for
from warroom.services.principal import Principal, require

router = APIRouter(prefix="/api/v1/rules", tags=["intake"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]


@router.post("/explain", summary="For one alert: its route, matching rules and severity")
def explain_alert(body: ExplainRequest, svc: Svc, caller: Caller) -> dict[str, Any]:
    require(caller, "viewer", "explaining rules")
    return explain(writer_for(svc.runtime).pipeline.plan, body)
