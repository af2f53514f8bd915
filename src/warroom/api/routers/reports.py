"""/api/v1/reports: MTTx metrics with ack-SLA compliance, drill scorecards, and runbooks
overdue for a drill."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from warroom.api.deps import Services, principal, services
from warroom.api.types import Document, Instant, Name
from warroom.domain.errors import InvalidCommand
from warroom.evidence.drill_runner import overdue, overdue_json, score_incident, scorecard_json
from warroom.evidence.drills import ScenarioError, parse_scenario
from warroom.evidence.reporting import metrics_report, report_json
from warroom.evidence.trends import MAX_MONTHS, trend_json, trend_report
from warroom.services.principal import Principal

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]


@router.get("/metrics", summary="MTTx per severity, service, team and period (drills "
            "excluded; seconds; medians and nearest-rank p90)")
def metrics(svc: Svc, caller: Caller, period: Literal["month", "week"] = "month",
            since: Instant | None = None, until: Instant | None = None) -> dict[str, Any]:
    report = metrics_report(svc.runtime, caller, period, since, until)
    return report_json(report, since, until)


@router.get("/metrics/trend", summary="MTTA, MTTM and MTTR per severity and per service, "
            "month by month over the last months (drills excluded; seconds; medians and "
            "nearest-rank p90); the console's metrics page")
def metrics_trend(svc: Svc, caller: Caller,
                  months: int = Query(6, ge=1, le=MAX_MONTHS)) -> dict[str, Any]:
    return trend_json(trend_report(svc.runtime, caller, months))


class ScoreBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    incident: Name = Field(min_length=1, description="the drill incident, e.g. INC-2026-0042")
    scenario: Document = Field(min_length=1, description="the scenario file's YAML text")


@router.post("/drills/score", summary="Score a drill incident against its scenario and "
             "record the expected runbook as tested")
def score_drill(body: ScoreBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    try:
        scenario = parse_scenario(body.scenario, "scenario")
    except ScenarioError as exc:
        raise InvalidCommand(str(exc)) from exc
    result = score_incident(svc.runtime, caller, body.incident, scenario)
    return {"incident": result.incident, "scorecard": scorecard_json(result.scorecard)}


@router.get("/runbooks-overdue", summary="Runbooks whose drill cadence has lapsed")
def runbooks_overdue(svc: Svc, caller: Caller) -> dict[str, Any]:
    return {"items": overdue_json(overdue(svc.runtime, caller))}
