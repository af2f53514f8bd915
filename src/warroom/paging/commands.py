"""The paging commands people send: "escalate now" and "reassign", recorded as events; and
the escalation view the API shows (plan, fired steps, next due step, SLA state)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from warroom.clock import isoformat
from warroom.domain import incident as dom
from warroom.domain.errors import InvalidCommand
from warroom.engine import timers
from warroom.paging import sla
from warroom.paging.directory import directory
from warroom.paging.lifecycle import ALL_KINDS
from warroom.paging.updates import cadence
from warroom.services.incidents import CommandResult, IncidentService
from warroom.services.principal import Principal, require
from warroom.store import db
from warroom.store import paging as store

if TYPE_CHECKING:
    from warroom.runtime import Runtime


def _open(runtime: Runtime, principal: Principal | None, ref: str,
          action: str) -> tuple[Principal, dom.IncidentState]:
    who = require(principal, "responder", action)
    incident = IncidentService(runtime).get(who, ref)
    if incident.status in ("resolved", "closed"):
        raise InvalidCommand(f"{incident.human_id} is {incident.status}; reopen it first")
    return who, incident


def escalate_now(runtime: Runtime, principal: Principal | None, ref: str,
                 reason: str = "") -> CommandResult:
    """Make the next unfired step due now (or start the next pass)."""
    who, incident = _open(runtime, principal, ref, "escalating an incident")
    with db.read(runtime.engine) as conn:
        state = store.load(conn, incident.id)
    if state is None or state.policy is None or state.policy not in directory(runtime).policies:
        note = state.note if state else "no escalation plan"
        raise InvalidCommand(f"{incident.human_id} has no escalation policy to escalate "
                             f"({note}); reassign it to a user or policy instead")
    return IncidentService(runtime).append_system(incident.id, [dom.Draft(
        "escalation_requested", {"reason": reason.strip()})], who.name)


def reassign(runtime: Runtime, principal: Principal | None, ref: str, *,
             user: str | None = None, policy: str | None = None,
             reason: str = "") -> CommandResult:
    """Page `user` now, or restart paging under escalation `policy`."""
    who, incident = _open(runtime, principal, ref, "reassigning an incident")
    found = directory(runtime)
    if bool(user) == bool(policy):
        raise InvalidCommand("reassign to exactly one of user or policy")
    if user and user not in found.contacts:
        raise InvalidCommand(f"unknown user {user!r}; users with contact methods: "
                             f"{', '.join(sorted(found.contacts)) or 'none'}")
    if policy and policy not in found.policies:
        raise InvalidCommand(f"unknown escalation policy {policy!r}; defined: "
                             f"{', '.join(sorted(found.policies)) or 'none'}")
    data: dict[str, Any] = {"user": user} if user else {"policy": policy}
    return IncidentService(runtime).append_system(incident.id, [dom.Draft(
        "reassigned", data | {"reason": reason.strip()})], who.name)


def escalation_view(runtime: Runtime, principal: Principal | None,
                    ref: str) -> dict[str, Any]:
    incident = IncidentService(runtime).get(principal, ref)
    found = directory(runtime)
    now = runtime.clock.now()
    every = cadence(found, incident.severity)
    with db.read(runtime.engine) as conn:
        state = store.load(conn, incident.id)
        pending = [t for t in timers.pending(conn, incident.id) if t.kind in ALL_KINDS]
    steps = []
    next_step = None
    for step in state.steps if state else []:
        fired = step.index in state.fired_indexes(step.attempt) if state else False
        item = {"index": step.index, "attempt": step.attempt, "due_at": isoformat(step.due_at),
                "targets": list(step.targets), "fired": fired}
        steps.append(item)
        if not fired and state and state.active and next_step is None:
            next_step = item
    return {
        "incident": incident.human_id,
        "policy": state.policy if state else None,
        "severity": incident.severity,
        "active": bool(state and state.active),
        "note": state.note if state else "",
        "generation": state.generation if state else 0,
        "steps": steps,
        "fired": [s for s in steps if s["fired"]],
        "next_step": next_step,
        "sla": sla.sla_state(found, incident, now),
        "updates": {
            "cadence_minutes": int(every.total_seconds() // 60) if every else None,
            "posted": state.update_seq if state else 0,
            "last_posted_at": isoformat(state.last_update_at)
            if state and state.last_update_at else None,
            "next_due_at": isoformat(state.next_update_at)
            if state and state.next_update_at else None},
        "war_room": {"bridge_url": state.bridge_url if state else None,
                     "chat_channel": f"#{state.chat_channel}"
                     if state and state.chat_channel else None,
                     "chat_channel_id": state.chat_channel_id if state else None},
        "timers": [{"kind": t.kind, "key": t.key, "due_at": isoformat(t.due_at)}
                   for t in pending],
    }
