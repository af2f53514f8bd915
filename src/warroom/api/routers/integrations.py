"""/api/v1/integrations: admins list and create intake integrations, with keys and URLs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from warroom.api.deps import Services, principal, services
from warroom.domain.errors import InvalidCommand
from warroom.intake import integrations as integ
from warroom.intake.asgi import Intake
from warroom.services.principal import Principal, require

router = APIRouter(prefix="/api/v1/integrations", tags=["intake"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]


def integration_json(integration: integ.Integration, public_url: str) -> dict[str, Any]:
    return {"name": integration.name, "kind": integration.kind,
            "service": integration.service, "key": integration.key,
            "url": integ.intake_url(public_url, integration),
            "prometheus_alerting": integ.prometheus_alerting(public_url, integration),
            "rate_limit": integration.rate_limit, "burst": integration.burst,
            "interval_seconds": integration.interval.total_seconds()
            if integration.interval else None, "origin": integration.origin}


@router.get("", summary="List integrations with their keys and intake URLs (admin)")
def list_integrations(svc: Svc, caller: Caller) -> dict[str, Any]:
    require(caller, "admin", "listing integration keys")
    with svc.runtime.engine.connect() as conn:
        found = integ.list_all(conn)
    url = svc.runtime.settings.public_url
    return {"items": [integration_json(i, url) for i in found]}


@router.post("", status_code=201, summary="Create an integration; the key is generated")
def create_integration(body: integ.IntegrationConfig, svc: Svc,
                       caller: Caller) -> dict[str, Any]:
    who = require(caller, "admin", "creating an integration")
    names = svc.runtime.config.service_names()
    if body.service and names and body.service not in names:
        raise InvalidCommand(f"unknown service {body.service!r}; this organisation defines "
                             f"{', '.join(names)}")
    with svc.runtime.engine.begin() as conn:
        created = integ.create(conn, body, who.name, svc.runtime.clock.now())
    Intake.of(svc.runtime).registry.forget()
    return integration_json(created, svc.runtime.settings.public_url)
