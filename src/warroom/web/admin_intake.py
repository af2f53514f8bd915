"""Admin pages for intake and delivery: integration keys with their intake URLs, and
dead-lettered notifications with a retry button."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from warroom.api.deps import Services, services
from warroom.api.routers import integrations as integrations_api
from warroom.api.routers import notifications as notifications_api
from warroom.domain.errors import DomainError
from warroom.services.principal import Principal
from warroom.web.session import FormUser, PageUser
from warroom.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
Svc = Annotated[Services, Depends(services)]
NO_STORE = {"Cache-Control": "no-store"}  # keys are secrets: keep them out of caches


@router.get("/integrations")
def integrations(request: Request, svc: Svc, who: PageUser) -> Response:
    found = integrations_api.list_integrations(svc, who)
    return render(request, "integrations.html", {
        "integrations": found["items"], "twin": "/api/v1/integrations"}, who,
        headers=NO_STORE)


def _dead_letters(request: Request, svc: Services, who: Principal, error: str = "",
                  status_code: int = 200) -> Response:
    found = notifications_api.list_notifications(svc, who, status="dead", limit=200)
    return render(request, "notifications.html", {
        "rows": found["items"], "depth": found["depth"], "error": error,
        "twin": "/api/v1/notifications?status=dead"}, who, status_code=status_code)


@router.get("/notifications")
def dead_letters(request: Request, svc: Svc, who: PageUser) -> Response:
    return _dead_letters(request, svc, who)


@router.post("/notifications/{row_id}/retry")
def retry(request: Request, row_id: int, svc: Svc, who: FormUser) -> Response:
    try:
        notifications_api.retry(row_id, svc, who)
    except DomainError as exc:
        return _dead_letters(request, svc, who, exc.detail, exc.status_code)
    return RedirectResponse("/admin/notifications", status_code=303)
