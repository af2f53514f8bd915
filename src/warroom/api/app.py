"""The ASGI application: API routers, console, middleware and error handlers in one place."""

from __future__ import annotations

from fastapi import FastAPI

from warroom import __version__
from warroom.api import openapi, problems, reference
from warroom.api.deps import Services
from warroom.api.input_guard import InputGuard
from warroom.api.middleware import RequestContext
from warroom.api.routers import discover
from warroom.intake.asgi import FastPath
from warroom.runtime import Runtime
from warroom.web import console


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="warroom", version=__version__,
        description="Incident response: alerts, incidents, paging, runbooks, evidence.",
        openapi_url="/api/v1/openapi.json", docs_url=None, redoc_url=None,
    )
    app.state.services = Services.build(runtime)
    problems.install(app)
    for router in discover():
        app.include_router(router)
    console.install(app, runtime)
    openapi.install(app)
    reference.install(app)
    app.add_middleware(InputGuard, max_bytes=runtime.settings.max_body_bytes)
    app.add_middleware(RequestContext,
                       hsts=runtime.settings.public_url.startswith("https://"))
    # Outermost: intake POSTs skip routing and the API middleware (see intake/asgi.py).
    app.add_middleware(FastPath, runtime=runtime)
    return app
