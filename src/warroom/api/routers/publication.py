"""/api/v1/incidents/{ref}/publication: publish an incident to the status page, and read
what is public about it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from warroom.api.deps import Services, principal, services
from warroom.api.presenters import event_json, incident_json
from warroom.domain.publication import Publication
from warroom.services.principal import Principal
from warroom.status.publishing import PublishRequest, current, publish, suggestion

router = APIRouter(prefix="/api/v1/incidents", tags=["status page"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]
ComponentStatus = Literal["operational", "degraded_performance", "partial_outage",
                          "major_outage"]


class PublishBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(..., min_length=1, max_length=200,
                       description="the public title; the internal one is never shown")
    components: dict[str, ComponentStatus] = Field(
        ..., min_length=1, description="public service name -> its component status")
    impact: Literal["none", "minor", "major", "critical"]
    body: str = Field("", max_length=5000, description="the first public update's text")


def _publication_json(found: Publication | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"title": found.title, "components": dict(found.components),
            "impact": found.impact, "published_at": found.published_at,
            "updated_at": found.updated_at, "published_by": found.published_by}


@router.post("/{ref}/publish", summary="Publish to the status page (commander role)")
def publish_incident(ref: str, body: PublishBody, svc: Svc, caller: Caller
                     ) -> dict[str, Any]:
    result = publish(svc.runtime, caller, ref, PublishRequest(
        body.title, dict(body.components), body.impact, body.body))
    return {"incident": incident_json(result.incident, svc.runtime.vocab.scheme,
                                      svc.runtime.clock.now()),
            "events": [event_json(e) for e in result.events],
            "publication": _publication_json(current(svc.runtime, result.incident.id))}


@router.get("/{ref}/publication", summary="What is public about an incident")
def read_publication(ref: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    incident = svc.incidents.get(caller, ref)
    hint = suggestion(svc.runtime, incident)
    return {"incident": incident.human_id,
            "publication": _publication_json(current(svc.runtime, incident.id)),
            "suggestion": {"title": hint.title, "components": dict(hint.components),
                           "impact": hint.impact}}
