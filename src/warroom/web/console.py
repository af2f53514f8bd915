"""Mounts the console: static files, the page routers, the status page, live updates, and
HTML error pages for browser routes."""

from __future__ import annotations

import inspect

from fastapi import FastAPI, Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from warroom.api.deps import principal
from warroom.domain.errors import DomainError, Unauthenticated
from warroom.runtime import Runtime
from warroom.status import pages as status_pages
from warroom.web import (
    action_item_pages,
    admin,
    admin_intake,
    alerts,
    dashboard,
    incident_panels,
    incidents,
    metrics_page,
    oncall,
    postmortem_pages,
    runbook_pages,
    service_pages,
    session,
)
from warroom.web.broadcast import live_broadcaster
from warroom.web.templating import WEB, render

ROUTERS = (session.router, dashboard.router, incidents.router, incident_panels.router,
           alerts.router, runbook_pages.router, service_pages.router, oncall.router,
           metrics_page.router,
           admin.router, admin_intake.router, postmortem_pages.router,
           action_item_pages.router, status_pages.router)
# Machine endpoints answer errors as problem+json; calendar apps read /ical/ feeds.
JSON_PREFIXES = ("/api/", "/status/api/", "/v2/", "/ical/")


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith(JSON_PREFIXES)


def install(app: FastAPI, runtime: Runtime) -> None:
    """Add the console to the app; call after the API's own error handlers are installed."""
    live_broadcaster(runtime)
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:  # browsers ask for it even with <link rel=icon>
        return RedirectResponse("/static/favicon.svg", status_code=308)
    for router in ROUTERS:
        app.include_router(router)
    api_handler = app.exception_handlers[DomainError]

    async def domain_error(request: Request, exc: Exception) -> Response:
        if not wants_html(request) or not isinstance(exc, DomainError):
            response = api_handler(request, exc)
            if inspect.isawaitable(response):
                response = await response
            assert isinstance(response, Response)
            return response
        if isinstance(exc, Unauthenticated):
            return session.login_redirect(request)
        try:
            who = principal(request)
        except DomainError:
            who = None
        return render(request, "error.html", {"title": exc.title, "detail": exc.detail,
                                              "status": exc.status_code}, who,
                      status_code=exc.status_code)

    app.add_exception_handler(DomainError, domain_error)

