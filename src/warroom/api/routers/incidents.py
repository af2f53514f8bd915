"""/api/v1/incidents: declare, the command POSTs, reads, timeline and verification."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from warroom.api import schemas
from warroom.api.deps import Services, principal, services
from warroom.api.presenters import event_json, incident_json
from warroom.api.types import Count, Instant, Name, RowId, Text
from warroom.domain import incident as dom
from warroom.domain.errors import InvalidCommand
from warroom.services.incidents import CommandResult
from warroom.services.principal import Principal
from warroom.store.incidents import COUNT_CAP, IncidentFilter

Handler = Callable[..., dict[str, Any]]
router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeclareBody(Body):
    title: str = Field(min_length=1, max_length=500)
    severity: Name
    type: Name = "service_outage"
    impact: Text = ""
    visibility: Name | None = None
    services: list[Name] = []
    started_at: Instant | None = None
    detected_at: Instant | None = None
    drill: bool = False
    commander: Name | None = None


class StatusBody(Body):
    status: Name
    note: Text = ""


class SeverityBody(Body):
    severity: Name
    reason: Text = ""


class TypeBody(Body):
    type: Name


class RoleBody(Body):
    role: Name
    user: Name | None = Field(None, description="omit or null to unassign the role")


class ResponderBody(Body):
    user: Name


class NoteBody(Body):
    text: str = Field(min_length=1, max_length=20000)


class ImpactBody(Body):
    impact: Text
    users_affected: Count | None = None


class ResolveBody(Body):
    summary: Text = ""


class ReopenBody(Body):
    reason: Text = ""


class Empty(Body):
    pass


def _result(svc: Services, result: CommandResult) -> dict[str, Any]:
    now = svc.runtime.clock.now()
    return {"incident": incident_json(result.incident, svc.runtime.vocab.scheme, now),
            "events": [event_json(e) for e in result.events]}


@router.post("", status_code=201, summary="Declare an incident",
             response_model=schemas.CommandResult)
def declare(body: DeclareBody, svc: Svc, caller: Caller, response: Response) -> dict[str, Any]:
    cmd = dom.Declare(title=body.title, severity=body.severity, type=body.type,
                      impact=body.impact, visibility=body.visibility,
                      services=tuple(body.services), started_at=body.started_at,
                      detected_at=body.detected_at, drill=body.drill)
    unknown = sorted(set(body.services) - set(svc.runtime.config.service_names()))
    if unknown and svc.runtime.config.services:
        raise InvalidCommand(f"unknown service(s) {', '.join(unknown)}; this organisation "
                             f"defines {', '.join(svc.runtime.config.service_names())}")
    followups = (dom.AssignRole("commander", body.commander),) if body.commander else ()
    result = svc.incidents.declare(caller, cmd, followups=followups)
    response.headers["Location"] = f"/api/v1/incidents/{result.incident.human_id}"
    return _result(svc, result)


@router.get("", summary="List incidents (newest first, cursor-paginated)",
            response_model=schemas.IncidentPage)
def list_incidents(
    svc: Svc, caller: Caller,
    status: Annotated[list[str], Query()] = [],  # noqa: B006
    severity: Annotated[list[str], Query()] = [],  # noqa: B006
    service: str | None = None, type: str | None = None, since: Instant | None = None,
    q: str | None = Query(None, description="text search in title, impact and id"),
    open: bool = False, limit: int = Query(50, ge=1, le=500), cursor: str | None = None,
) -> dict[str, Any]:
    flt = IncidentFilter(status=status, severity=severity, service=service, type=type,
                         since=since, text=q, open_only=open)
    try:
        items, next_cursor = svc.incidents.list(caller, flt, limit, cursor)
    except ValueError as exc:
        raise InvalidCommand(str(exc)) from exc
    now = svc.runtime.clock.now()
    count = svc.incidents.count(caller, flt, COUNT_CAP)
    return {"items": [incident_json(i, svc.runtime.vocab.scheme, now) for i in items],
            "next_cursor": next_cursor, "count": min(count, COUNT_CAP),
            "count_capped": count > COUNT_CAP}


@router.get("/{ref}", summary="Read one incident by human id or internal id",
            response_model=schemas.Incident)
def get_incident(ref: str, svc: Svc, caller: Caller, response: Response) -> dict[str, Any]:
    state = svc.incidents.get(caller, ref)
    response.headers["ETag"] = f'"{state.head_hash[:32]}"'
    return incident_json(state, svc.runtime.vocab.scheme, svc.runtime.clock.now())


@router.get("/{ref}/timeline", summary="The incident's hash-chained events",
            response_model=schemas.Timeline)
def timeline(ref: str, svc: Svc, caller: Caller, after: RowId = 0,
             limit: int = Query(1000, ge=1, le=10000)) -> dict[str, Any]:
    state, events = svc.incidents.timeline(caller, ref, after, limit)
    return {"incident": state.human_id, "head_hash": state.head_hash,
            "events": [event_json(e) for e in events]}


@router.get("/{ref}/verify", summary="Recompute the hash chain",
            response_model=schemas.Verification)
def verify(ref: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    state, broken, count = svc.incidents.verify(caller, ref)
    return {"incident": state.human_id, "events": count, "intact": broken is None,
            "head_hash": state.head_hash,
            "first_break": None if broken is None else {"seq": broken.seq,
                                                        "reason": broken.reason}}


def _command(path: str, summary: str) -> Callable[[Handler], Handler]:
    return router.post(f"/{{ref}}/{path}", summary=summary,
                       response_model=schemas.CommandResult)


@_command("acknowledge", "Acknowledge (stops paging)")
def acknowledge(ref: str, svc: Svc, caller: Caller, body: Empty | None = None) -> dict[str, Any]:
    return _result(svc, svc.incidents.execute(caller, ref, dom.Acknowledge()))


@_command("status", "Change status")
def set_status(ref: str, body: StatusBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    return _result(svc, svc.incidents.execute(caller, ref, dom.SetStatus(body.status,
                                                                          body.note)))


@_command("severity", "Change severity")
def set_severity(ref: str, body: SeverityBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    return _result(svc, svc.incidents.execute(caller, ref,
                                              dom.SetSeverity(body.severity, body.reason)))


@_command("type", "Change incident type")
def set_type(ref: str, body: TypeBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    return _result(svc, svc.incidents.execute(caller, ref, dom.SetType(body.type)))


@_command("roles", "Assign (or, with user null, unassign) a role")
def set_role(ref: str, body: RoleBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    cmd: dom.Command = (dom.AssignRole(body.role, body.user) if body.user
                        else dom.UnassignRole(body.role))
    return _result(svc, svc.incidents.execute(caller, ref, cmd))


@_command("responders", "Add a responder")
def add_responder(ref: str, body: ResponderBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    return _result(svc, svc.incidents.execute(caller, ref, dom.AddResponder(body.user)))


@_command("notes", "Add a note to the timeline")
def add_note(ref: str, body: NoteBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    return _result(svc, svc.incidents.execute(caller, ref, dom.AddNote(body.text)))


@_command("impact", "Set the impact statement")
def set_impact(ref: str, body: ImpactBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    return _result(svc, svc.incidents.execute(caller, ref, dom.SetImpact(
        body.impact, body.users_affected)))


@_command("resolve", "Resolve")
def resolve(ref: str, svc: Svc, caller: Caller, body: ResolveBody | None = None
            ) -> dict[str, Any]:
    return _result(svc, svc.incidents.execute(caller, ref,
                                              dom.Resolve(body.summary if body else "")))


@_command("reopen", "Reopen a resolved or closed incident")
def reopen(ref: str, svc: Svc, caller: Caller, body: ReopenBody | None = None
           ) -> dict[str, Any]:
    return _result(svc, svc.incidents.execute(caller, ref,
                                              dom.Reopen(body.reason if body else "")))


@_command("close", "Close a resolved incident")
def close(ref: str, svc: Svc, caller: Caller, body: Empty | None = None) -> dict[str, Any]:
    return _result(svc, svc.incidents.execute(caller, ref, dom.Close()))
