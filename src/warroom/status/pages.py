"""The public status page: /status (HTML), /status/api/v2/*.json and /status/feed.atom.

None of these need a login; everything they show comes from status.model, which only ever
sees public incidents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from warroom.api.deps import Services, services
from warroom.clock import isoformat
from warroom.domain.errors import NotFound
from warroom.status.source import status_page
from warroom.status.statuspage import DOCUMENTS, document
from warroom.web.templating import env

router = APIRouter(prefix="/status", include_in_schema=False)
Svc = Annotated[Services, Depends(services)]
PUBLIC_CACHE = {"Cache-Control": "public, max-age=15", "Access-Control-Allow-Origin": "*"}


def _render(template: str, **context: Any) -> str:
    return env.get_template(template).render(**context)


@router.get("")
def status_home(svc: Svc) -> HTMLResponse:
    page = status_page(svc.runtime)
    return HTMLResponse(_render("status.html", page=page), headers=PUBLIC_CACHE)


@router.get("/incidents/{ref}")
def status_incident(ref: str, svc: Svc) -> HTMLResponse:
    page = status_page(svc.runtime)
    found = next((i for i in page.incidents if i.id.lower() == ref.lower()), None)
    if found is None:
        raise NotFound(f"no public incident {ref!r} in the last 90 days")
    return HTMLResponse(_render("status_incident.html", page=page, incident=found),
                        headers=PUBLIC_CACHE)


def _document_route(name: str) -> Callable[[Services], JSONResponse]:
    def handler(svc: Svc) -> JSONResponse:
        return JSONResponse(document(status_page(svc.runtime), name), headers=PUBLIC_CACHE)

    handler.__name__ = f"statuspage_{name.replace('/', '_').replace('-', '_')}"
    return handler


for _name in DOCUMENTS:
    router.add_api_route(f"/api/v2/{_name}.json", _document_route(_name), methods=["GET"])


@router.get("/feed.atom")
def feed(request: Request, svc: Svc) -> Response:
    page = status_page(svc.runtime)
    entries = sorted(((i, u) for i in page.incidents for u in i.updates),
                     key=lambda pair: pair[1].at, reverse=True)[:100]
    body = _render("feed.atom.xml", page=page, entries=entries, isoformat=isoformat,
                   self_url=f"{page.url}/feed.atom")
    return Response(body, media_type="application/atom+xml; charset=utf-8",
                    headers=PUBLIC_CACHE)
