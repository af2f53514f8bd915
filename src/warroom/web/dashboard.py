"""The dashboard page: open incidents by severity, who is on call, this month's MTTA/MTTR."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from warroom.api.deps import Services, services
from warroom.web.charts import line_chart
from warroom.web.overview import dashboard_data
from warroom.web.session import PageUser
from warroom.web.templating import render

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services)]


@router.get("/")
def dashboard(request: Request, svc: Svc, who: PageUser) -> Response:
    data = dashboard_data(svc, who)
    trend = data["metrics"]["trend"]
    months = [t["month"][5:] for t in trend]
    charts = {
        "mtta": line_chart([t["mtta_median"] for t in trend], months),
        "mttr": line_chart([t["mttr_median"] for t in trend], months),
    }
    return render(request, "dashboard.html", {"data": data, "charts": charts,
                                               "twin": "/api/v1/dashboard"}, who)
