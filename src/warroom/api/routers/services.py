"""/api/v1/services and /api/v1/config: what the organisation config declares."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from warroom.api.deps import Services, principal, services
from warroom.domain.durations import format_duration
from warroom.domain.errors import NotFound
from warroom.services.principal import Principal, require
from warroom.store.incidents import IncidentFilter

router = APIRouter(prefix="/api/v1", tags=["services"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]


@router.get("/services")
def list_services(svc: Svc, caller: Caller) -> dict[str, Any]:
    require(caller, "viewer", "reading services")
    items = []
    for s in svc.runtime.config.services:
        open_count = svc.incidents.count(caller, IncidentFilter(service=s.name, open_only=True))
        items.append({**s.model_dump(mode="json"), "open_incidents": open_count})
    return {"items": items}


@router.get("/services/{name}")
def get_service(name: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    require(caller, "viewer", "reading services")
    for s in svc.runtime.config.services:
        if s.name == name:
            return s.model_dump(mode="json")
    raise NotFound(f"no service {name!r}; services: "
                   f"{', '.join(svc.runtime.config.service_names()) or 'none'}")


@router.get("/config/vocabulary", summary="Severities, incident types and roles")
def vocabulary(svc: Svc, caller: Caller) -> dict[str, Any]:
    require(caller, "viewer", "reading the configuration")
    vocab = svc.runtime.vocab
    return {
        "severities": [{"key": lvl.key, "name": lvl.name, "description": lvl.description,
                        "ack_sla": format_duration(lvl.ack_sla),
                        "update_cadence": format_duration(lvl.update_cadence)
                        if lvl.update_cadence else None, "page": lvl.page}
                       for lvl in vocab.scheme.levels],
        "types": list(vocab.types), "roles": list(vocab.roles),
        "statuses": ["triggered", "acknowledged", "investigating", "identified", "mitigating",
                     "monitoring", "resolved", "closed"],
    }
