"""/api/v1/runbooks and an incident's runbooks: the registry, suggestions, attach/detach."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict

from warroom.api.deps import Services, principal, services
from warroom.api.types import Name
from warroom.clock import isoformat
from warroom.domain.errors import NotFound
from warroom.runbooks.attachments import AttachmentService
from warroom.runbooks.registry import registry
from warroom.runbooks.sources import read_source
from warroom.runbooks.views import finding_json, runbook_json, runbook_summary, suggestion_json
from warroom.services.principal import Principal, require

router = APIRouter(tags=["runbooks"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]


class AttachBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    runbook: Name


@router.get("/api/v1/runbooks", summary="Runbooks in the configured directory")
def list_runbooks(svc: Svc, caller: Caller, tag: str | None = None,
                  q: str | None = None) -> dict[str, Any]:
    require(caller, "viewer", "listing runbooks")
    reg = registry(svc.runtime)
    items = []
    for rb in sorted(reg.runbooks, key=lambda r: r.id):
        if tag and tag not in rb.tags:
            continue
        if q and q.lower() not in f"{rb.id} {rb.title}".lower():
            continue
        items.append(runbook_summary(rb, reg.runnable(rb.id)))
    return {"directory": str(reg.directory) if reg.directory else None,
            "execution": reg.settings.mode(), "environment": reg.settings.environment,
            "items": items, "count": len(items),
            "errors": [finding_json(f) for f in reg.findings if f.severity == "error"]}


@router.get("/api/v1/runbooks/{runbook_id}", summary="One runbook with its lint findings")
def get_runbook(runbook_id: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    require(caller, "viewer", "reading runbooks")
    reg = registry(svc.runtime)
    rb = reg.get(runbook_id)
    if rb is None:
        raise NotFound(f"no runbook {runbook_id!r}; list them with GET /api/v1/runbooks")
    loaded = reg.loaded[runbook_id]
    return runbook_json(rb, reg.runnable(runbook_id), reg.findings_for(runbook_id),
                        str(loaded.path), read_source(loaded.path, rb))


@router.get("/api/v1/incidents/{ref}/runbooks/suggested",
            summary="Runbooks ranked by how well their applies_to fits the incident")
def suggested(ref: str, svc: Svc, caller: Caller,
              limit: int = Query(10, ge=1, le=100)) -> dict[str, Any]:
    found = AttachmentService(svc.runtime).suggest(caller, ref, limit)
    reg = registry(svc.runtime)
    return {"incident": ref, "items": [suggestion_json(s, reg.get(s.runbook_id))
                                       for s in found]}


@router.get("/api/v1/incidents/{ref}/runbooks", summary="Runbooks attached to the incident")
def attached(ref: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    items = AttachmentService(svc.runtime).attached(caller, ref)
    return {"items": [{"runbook_id": a.runbook_id, "attached_by": a.attached_by,
                       "attached_at": isoformat(a.attached_at)} for a in items]}


@router.post("/api/v1/incidents/{ref}/runbooks", status_code=201,
             summary="Attach a runbook (a runbook_attached event)")
def attach(ref: str, body: AttachBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    a = AttachmentService(svc.runtime).attach(caller, ref, body.runbook)
    return {"runbook_id": a.runbook_id, "attached_by": a.attached_by,
            "attached_at": isoformat(a.attached_at)}


@router.delete("/api/v1/incidents/{ref}/runbooks/{runbook_id}", status_code=204,
               summary="Detach a runbook (a runbook_detached event)")
def detach(ref: str, runbook_id: str, svc: Svc, caller: Caller) -> Response:
    AttachmentService(svc.runtime).detach(caller, ref, runbook_id)
    return Response(status_code=204)
