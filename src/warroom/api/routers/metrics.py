"""/metrics: Prometheus exposition (no authentication, like /healthz)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from warroom.api.deps import Services, services
from warroom.evidence.prometheus_metrics import build_registry

router = APIRouter(tags=["operations"])
Svc = Annotated[Services, Depends(services)]


def _registry(request: Request, svc: Services) -> CollectorRegistry:
    registry: CollectorRegistry | None = getattr(request.app.state, "prometheus_registry", None)
    if registry is None:
        registry = build_registry(svc.runtime)
        request.app.state.prometheus_registry = registry
    return registry


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, svc: Svc) -> Response:
    return Response(generate_latest(_registry(request, svc)), media_type=CONTENT_TYPE_LATEST)
