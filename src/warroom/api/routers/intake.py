"""Intake endpoints as routes too (for apps built without `FastPath`); raw ASGI, no validation."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.routing import Route

from warroom.intake.asgi import ENDPOINTS, EXACT

router = APIRouter()
for _path, _endpoint in (*EXACT.items(), *(
        (f"/api/v1/intake/{name}/{{key}}" + ("/api/v2/alerts" if name == "prometheus" else ""),
         endpoint) for name, endpoint in ENDPOINTS.items())):
    router.routes.append(Route(_path, _endpoint, methods=["POST"], include_in_schema=False))
