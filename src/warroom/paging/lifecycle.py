"""How incident events drive paging, inside the incident's own transaction: declare plans the
escalation, acknowledging stops it, a severity change re-plans it, resolving ends it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from warroom.domain.escalation import (
    EscalationPolicy,
    PlannedStep,
    Step,
    Target,
    TargetKind,
    escalate_now,
    plan,
    replan_on_severity_change,
    retrigger_at,
)
from warroom.domain.events import Event
from warroom.domain.incident import Draft, IncidentState, is_system_transition
from warroom.engine import timers
from warroom.engine.timers import Timer
from warroom.paging import planner, sla, updates, warroom_setup
from warroom.paging.directory import PagingDirectory, directory
from warroom.paging.escalator import append
from warroom.routing.triage import more_severe
from warroom.store import incidents as incident_store
from warroom.store import paging as store
from warroom.store.paging import PagingState

if TYPE_CHECKING:
    from warroom.runtime import Runtime

RETRIGGER = "paging.retrigger"
ALL_KINDS = (*planner.PAGING_KINDS, sla.ACK_SLA, *updates.UPDATE_KINDS, RETRIGGER,
             warroom_setup.WAR_ROOM)
# Human actions on an acknowledged incident: they count as activity for the ack timeout, and
# they stop a re-triggered pass (there is no second "acknowledge" to send).
ACTIVITY = frozenset({"acknowledged", "status_changed", "role_assigned", "role_unassigned",
                      "responder_added", "note_added", "impact_set", "type_changed",
                      "update_posted", "severity_changed"})


def _policy(found: PagingDirectory, state: PagingState) -> EscalationPolicy | None:
    return found.policies.get(state.policy or "")


def begin(conn: sa.Connection, found: PagingDirectory, incident: IncidentState,
          state: PagingState, now: datetime) -> None:
    """Plan the first pass under the incident's policy, or note why there is none."""
    level = found.scheme.get(incident.severity)
    state.severity = incident.severity
    state.policy = found.policy_for(incident.services, incident.severity)
    policy = _policy(found, state)
    if level is not None and not level.page:
        state.note = f"severity {incident.severity} does not page (page: false)"
    elif state.policy is None:
        state.note = ("no escalation policy: set escalation_policy on the service, its team, "
                      "the severity, or communications.default_escalation_policy")
    elif policy is None:
        state.note = f"escalation policy {state.policy!r} is not defined"
    if policy is None or (level is not None and not level.page):
        planner.stop(conn, state)
        return
    state.note = ""
    planner.start(conn, state, policy, incident.severity, now)


def _stop(conn: sa.Connection, found: PagingDirectory, incident: IncidentState,
          state: PagingState, now: datetime) -> None:
    planner.stop(conn, state)
    timers.cancel(conn, incident_id=incident.id, kinds=(sla.ACK_SLA,))
    policy = _policy(found, state)
    due = retrigger_at(policy, now) if policy else None
    if due is not None:
        timers.schedule(conn, kind=RETRIGGER, key=f"rt:{incident.id}:{state.generation}",
                        due_at=due, now=now, incident_id=incident.id,
                        payload={"generation": state.generation})


def _replan(conn: sa.Connection, found: PagingDirectory, incident: IncidentState,
            state: PagingState, now: datetime) -> None:
    new_policy = found.policy_for(incident.services, incident.severity)
    state.severity = incident.severity
    if new_policy != state.policy:
        state.policy = new_policy
    policy = _policy(found, state)
    if policy is None or not state.active:
        return
    current = planner.current_pass(state)
    attempt = current[0].attempt if current else 0
    steps = replan_on_severity_change(policy, planner.planned(current, incident.severity),
                                      state.fired_indexes(attempt), incident.severity, now)
    planner.restart(conn, state, steps, now, keep_fired=True)


def on_events(runtime: Runtime, conn: sa.Connection, incident: IncidentState,
              events: list[Event]) -> None:
    """The in-transaction hook body."""
    relevant = [e for e in events if e.kind in ACTIVITY or e.kind in (
        "declared", "reopened", "reactivated", "resolved", "closed", "escalation_requested",
        "reassigned")]
    if not relevant:
        return
    found = directory(runtime)
    now = runtime.clock.now()
    state = store.load(conn, incident.id) or PagingState(incident.id, incident.severity)
    for event in relevant:
        _apply(runtime, conn, found, incident, state, event, now)
    store.save(conn, state, now)


def _apply(runtime: Runtime, conn: sa.Connection, found: PagingDirectory,
           incident: IncidentState, state: PagingState, event: Event, now: datetime) -> None:
    kind = event.kind
    if kind == "declared":
        warroom_setup.schedule(conn, found, incident, now)
        begin(conn, found, incident, state, now)
        sla.schedule(conn, found, incident, now)
        updates.schedule_next(conn, found, incident, state, incident.declared_at, now)
    elif kind in ("reopened", "reactivated"):
        # A new alert on an incident in `monitoring` pages again, from the first step.
        begin(conn, found, incident, state, now)
        updates.schedule_next(conn, found, incident, state, now, now)
    elif kind in ("resolved", "closed"):
        planner.stop(conn, state)
        timers.cancel(conn, incident_id=incident.id, kinds=ALL_KINDS)
        state.next_update_at = None
    elif kind == "escalation_requested":
        _escalate_now(conn, found, incident, state, now)
    elif kind == "reassigned":
        _reassign(conn, found, incident, state, event, now)
    elif kind == "severity_changed":
        raised = more_severe(str(event.data.get("to")), str(event.data.get("from")),
                             found.scheme.keys())
        if raised and not state.active and incident.acknowledged_at is None:
            # Nobody is paged yet (the old severity does not page, or its pass ran out):
            # page under the new severity's policy from its first step.
            begin(conn, found, incident, state, now)
        else:
            _replan(conn, found, incident, state, now)
        sla.schedule(conn, found, incident, now)
        warroom_setup.schedule(conn, found, incident, now)
        if state.next_update_at is not None:
            updates.schedule_next(conn, found, incident, state,
                                  state.last_update_at or incident.declared_at, now)
    elif kind == "update_posted":
        updates.on_update_posted(conn, runtime, incident, state, event)
    if kind in ACTIVITY and incident.acknowledged_at is not None and \
            incident.status not in ("resolved", "closed") and kind != "severity_changed" \
            and _responded(event):
        if state.active:
            _stop(conn, found, incident, state, now)
        else:
            _touch_retrigger(conn, found, incident, state, now)


def _responded(event: Event) -> bool:
    """Whether the event is someone responding: a person, or an integration acknowledging
    (PagerDuty `acknowledge`). warroom's own moves and rule actions are not."""
    if is_system_transition(event):
        return False
    return event.kind == "acknowledged" or not event.actor.startswith("integration:")


def _touch_retrigger(conn: sa.Connection, found: PagingDirectory, incident: IncidentState,
                     state: PagingState, now: datetime) -> None:
    policy = _policy(found, state)
    due = retrigger_at(policy, now) if policy else None
    if due is not None:
        timers.reschedule(conn, f"rt:{incident.id}:{state.generation}", due)


def _escalate_now(conn: sa.Connection, found: PagingDirectory, incident: IncidentState,
                  state: PagingState, now: datetime) -> None:
    policy = _policy(found, state)
    if policy is None:
        return
    current = planner.current_pass(state)
    attempt = current[0].attempt if current else 0
    fired = state.fired_indexes(attempt) if state.active or current else set()
    steps: list[PlannedStep] = escalate_now(
        policy, planner.planned(current, incident.severity), fired, now)
    planner.restart(conn, state, steps, now, keep_fired=True)


def _reassign(conn: sa.Connection, found: PagingDirectory, incident: IncidentState,
              state: PagingState, event: Event, now: datetime) -> None:
    user, policy_name = event.data.get("user"), event.data.get("policy")
    if policy_name:
        state.policy = str(policy_name)
        policy = _policy(found, state)
        if policy is not None:
            planner.start(conn, state, policy, incident.severity, now)
    elif user:
        adhoc = EscalationPolicy(f"reassign:{user}", (Step(
            timedelta(0), (Target(TargetKind.USER, str(user)),)),))
        state.policy = None
        state.note = f"reassigned to {user}"
        planner.restart(conn, state, plan(adhoc, incident.severity, now), now,
                        keep_fired=False)


def fire_retrigger(runtime: Runtime, conn: sa.Connection, timer: Timer) -> None:
    """The ack timeout passed with no activity: page again from the first step."""
    if timer.incident_id is None:
        return
    incident = incident_store.lock_state(conn, timer.incident_id)
    state = store.load(conn, timer.incident_id)
    if incident is None or state is None or incident.status in ("resolved", "closed") or \
            state.active or timer.payload.get("generation") != state.generation:
        return
    found = directory(runtime)
    policy = _policy(found, state)
    if policy is None:
        return
    now = runtime.clock.now()
    planner.start(conn, state, policy, incident.severity, now)
    store.save(conn, state, now)
    append(runtime, conn, incident.id, [Draft("paging_retriggered", {
        "idle_since": timer.payload.get("since"), "policy": state.policy})])
