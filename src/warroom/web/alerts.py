"""The alerts and silences page: stored alerts with filters, creating and expiring silences."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from warroom.api.deps import Services, services
from warroom.api.routers import alerts as alerts_api
from warroom.api.routers import silences as silences_api
from warroom.domain.errors import DomainError
from warroom.services.principal import Principal
from warroom.web.session import FormUser, PageUser
from warroom.web.templating import render

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services)]
Text = Annotated[str, Form()]
STATUSES = ("firing", "resolved")


def _page(request: Request, svc: Services, who: Principal, *, status: str = "",
          service: str = "", error: str = "", values: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    found = alerts_api.list_alerts(svc, who, status=status or None, integration=None,
                                   service=service or None, incident=None, silenced=None,
                                   limit=200, before=None)
    silences = silences_api.list_silences(svc, who, all=False)
    query = urlencode([(k, v) for k, v in (("status", status), ("service", service)) if v])
    return render(request, "alerts.html", {
        "alerts": found["items"], "silences": silences["items"], "error": error,
        "filters": {"status": status, "service": service}, "statuses": STATUSES,
        "services": svc.runtime.config.service_names(), "values": values or {},
        "can_act": who.at_least("responder"),
        "twin": "/api/v1/alerts" + (f"?{query}" if query else "")}, who,
        status_code=status_code)


@router.get("/alerts")
def alerts_page(request: Request, svc: Svc, who: PageUser, status: str = "",
                service: str = "") -> Response:
    return _page(request, svc, who, status=status if status in STATUSES else "",
                 service=service)


@router.post("/silences")
def create_silence(request: Request, svc: Svc, who: FormUser, matchers: Text = "",
                   duration: Text = "2h", comment: Text = "") -> Response:
    lines = [m.strip() for m in matchers.splitlines() if m.strip()]
    values = {"matchers": matchers, "duration": duration, "comment": comment}
    try:
        body = silences_api.SilenceBody.model_validate(
            {"matchers": lines, "duration": duration.strip() or None,
             "comment": comment.strip()})
        silences_api.create_silence(body, svc, who)
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'silence'}: {e['msg']}"
                           for e in exc.errors())
        return _page(request, svc, who, error=detail, values=values, status_code=422)
    except DomainError as exc:
        return _page(request, svc, who, error=exc.detail, values=values,
                     status_code=exc.status_code)
    return RedirectResponse("/alerts#silences-h", status_code=303)


@router.post("/silences/{silence_id}/expire")
def expire_silence(request: Request, silence_id: str, svc: Svc, who: FormUser) -> Response:
    try:
        silences_api.expire_silence(silence_id, svc, who)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return _page(request, svc, who, error=exc.detail, status_code=exc.status_code)
    return RedirectResponse("/alerts#silences-h", status_code=303)
