"""/api/v1/incidents/{ref}/updates: post a status update, or preview a template against the
real incident."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from warroom.api.deps import Services, principal, services
from warroom.api.presenters import event_json, incident_json
from warroom.api.types import Name
from warroom.paging.directory import directory
from warroom.paging.updates import UpdateRequest, default_phase, post_update, render_update
from warroom.services.principal import Principal
from warroom.store import db
from warroom.store import paging as store

router = APIRouter(prefix="/api/v1/incidents", tags=["updates"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]
Phase = Literal["initial", "progress", "resolution"]
AudienceName = Literal["internal", "customer", "public"]


class UpdateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Name | None = None
    body: str | None = Field(None, max_length=20000)
    template: Phase | None = None
    audience: AudienceName = "internal"


class PreviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    template: Phase | None = None
    audience: AudienceName = "internal"
    body: str | None = Field(None, max_length=20000)
    text: str | None = Field(None, max_length=20000,
                             description="an unsaved template text to render instead")


@router.post("/{ref}/updates", status_code=201, summary="Post a status update")
def post(ref: str, body: UpdateBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    incident, events = post_update(svc.runtime, caller, ref, UpdateRequest(
        audience=body.audience, body=body.body, template=body.template, status=body.status))
    return {"incident": incident_json(incident, svc.runtime.vocab.scheme,
                                      svc.runtime.clock.now()),
            "events": [event_json(e) for e in events]}


@router.post("/{ref}/updates/preview", summary="Render a template against this incident")
def preview(ref: str, body: PreviewBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    incident = svc.incidents.get(caller, ref)
    with db.read(svc.runtime.engine) as conn:
        state = store.load(conn, incident.id)
    phase = body.template or default_phase(incident)
    rendered = render_update(directory(svc.runtime), incident, state, phase, body.audience,
                             body.body, svc.runtime.clock.now(), text=body.text)
    return {"template": f"{phase}.{body.audience}", "subject": rendered.subject,
            "body": rendered.body}
