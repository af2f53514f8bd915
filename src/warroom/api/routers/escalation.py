"""/api/v1/incidents/{ref}/escalation, /escalate and /reassign; /api/v1/escalation-policies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from warroom.api.deps import Services, principal, services
from warroom.api.presenters import event_json, incident_json
from warroom.api.types import Name, Text
from warroom.domain.durations import format_duration
from warroom.paging import commands
from warroom.paging.directory import directory
from warroom.services.incidents import CommandResult
from warroom.services.principal import Principal, require

router = APIRouter(tags=["escalation"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]


class EscalateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = ""


class ReassignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: Name | None = None
    policy: Name | None = None
    reason: Text = ""


def _result(svc: Services, result: CommandResult) -> dict[str, Any]:
    return {"incident": incident_json(result.incident, svc.runtime.vocab.scheme,
                                      svc.runtime.clock.now()),
            "events": [event_json(e) for e in result.events]}


@router.get("/api/v1/incidents/{ref}/escalation",
            summary="The escalation plan, fired steps, next due step and ack SLA state")
def escalation(ref: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    return commands.escalation_view(svc.runtime, caller, ref)


@router.post("/api/v1/incidents/{ref}/escalate", summary="Escalate now: the next step fires")
def escalate(ref: str, svc: Svc, caller: Caller,
             body: EscalateBody | None = None) -> dict[str, Any]:
    return _result(svc, commands.escalate_now(svc.runtime, caller, ref,
                                              body.reason if body else ""))


@router.post("/api/v1/incidents/{ref}/reassign",
             summary="Reassign: page a user now, or restart under another policy")
def reassign(ref: str, body: ReassignBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    return _result(svc, commands.reassign(svc.runtime, caller, ref, user=body.user,
                                          policy=body.policy, reason=body.reason))


@router.get("/api/v1/escalation-policies", summary="Escalation policies (read-only)")
def policies(svc: Svc, caller: Caller) -> dict[str, Any]:
    require(caller, "viewer", "reading escalation policies")
    found = directory(svc.runtime)

    def steps(items: Any) -> list[dict[str, Any]]:
        return [{"at": format_duration(s.at), "targets": [
            {"kind": t.kind.value, "id": t.id, "via": t.via} for t in s.targets]}
            for s in items]

    return {"policies": [{
        "name": p.name, "steps": steps(p.steps),
        "by_severity": {sev: steps(items) for sev, items in p.by_severity.items()},
        "repeat": p.repeat, "repeat_after": format_duration(p.repeat_after),
        "retrigger_after": format_duration(p.retrigger_after) if p.retrigger_after else None,
    } for p in found.policies.values()]}
