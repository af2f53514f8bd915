"""On-call pages: who is on call now, the coming two weeks, and the escalation policies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from warroom.api.deps import Services, services
from warroom.web.rota import calendar, escalation_policies, on_call_now
from warroom.web.session import PageUser
from warroom.web.templating import render

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services)]
CALENDAR_DAYS = 14


@router.get("/oncall")
def oncall(request: Request, svc: Svc, who: PageUser) -> Response:
    now = svc.runtime.clock.now()
    return render(request, "oncall.html", {
        "now_rows": on_call_now(svc.runtime, now),
        "calendar": calendar(svc.runtime, now, CALENDAR_DAYS),
        "twin": "/api/v1/console/oncall"}, who)


@router.get("/escalation-policies")
def policies(request: Request, svc: Svc, who: PageUser) -> Response:
    return render(request, "policies.html", {
        "policies": escalation_policies(svc.runtime),
        "twin": "/api/v1/console/escalation-policies"}, who)
