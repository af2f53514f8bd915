"""The services page: each configured service with its open incidents, probes, runbooks
(named in config or applying to it) and escalation policy."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from warroom.api.deps import Services, services
from warroom.api.routers import runbooks as runbooks_api
from warroom.api.routers import services as services_api
from warroom.web.session import PageUser
from warroom.web.templating import render

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services)]


def _runbooks_for(service: dict[str, Any], listing: list[dict[str, Any]]) -> list[str]:
    named = list(service.get("runbooks") or [])
    applying = [rb["id"] for rb in listing
                if service["name"] in (rb.get("applies_to") or {}).get("services", [])]
    return named + [r for r in applying if r not in named]


@router.get("/services")
def services_page(request: Request, svc: Svc, who: PageUser) -> Response:
    found = services_api.list_services(svc, who)["items"]
    listing = runbooks_api.list_runbooks(svc, who, tag=None, q=None)["items"]
    team_policy = {t.name: t.escalation_policy for t in svc.runtime.config.teams}
    rows = [{**s, "all_runbooks": _runbooks_for(s, listing),
             # A service without its own policy is paged through its team's.
             "policy": s.get("escalation_policy") or team_policy.get(s.get("team") or "")}
            for s in found]
    return render(request, "services.html", {"services": rows, "twin": "/api/v1/services"},
                  who)
