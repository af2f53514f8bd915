"""Runbook pages: browse the registry, read one runbook as a checklist with its lint
findings, and its recent runs."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from warroom.api.deps import Services, services
from warroom.api.routers import runbooks as runbooks_api
from warroom.api.routers import runs as runs_api
from warroom.web.session import PageUser
from warroom.web.templating import render

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services)]


@router.get("/runbooks")
def runbook_list(request: Request, svc: Svc, who: PageUser, q: str = "") -> Response:
    found = runbooks_api.list_runbooks(svc, who, tag=None, q=q.strip() or None)
    return render(request, "runbooks.html", {
        "listing": found, "q": q,
        "twin": "/api/v1/runbooks" + (f"?{urlencode({'q': q})}" if q.strip() else "")}, who)


@router.get("/runbooks/{runbook_id}")
def runbook_page(request: Request, runbook_id: str, svc: Svc, who: PageUser) -> Response:
    rb = runbooks_api.get_runbook(runbook_id, svc, who)
    history = runs_api.list_runs(svc, who, runbook=runbook_id, incident=None, limit=20)
    return render(request, "runbook.html", {
        "rb": rb, "steps": rb["definition"].get("steps", []), "runs": history["items"],
        "twin": f"/api/v1/runbooks/{runbook_id}"}, who)
