"""Firing escalation steps: resolve targets at fire time, page them, record the timeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from warroom.clock import isoformat
from warroom.domain.escalation import (
    StepSkip,
    TargetResolution,
    next_pass_at,
    plan,
    resolve_targets,
)
from warroom.domain.incident import Draft, IncidentState
from warroom.engine import outbox
from warroom.engine.timers import Timer
from warroom.notify.base import Message, MessageKind
from warroom.paging import planner
from warroom.paging.contacts import Dispatch, method_named, page_user, send_to_method
from warroom.paging.directory import PagingDirectory, directory
from warroom.paging.messages import message, render
from warroom.services.incidents import IncidentService
from warroom.store import incidents as incident_store
from warroom.store import paging as store
from warroom.store.paging import PagingState, StoredStep

if TYPE_CHECKING:
    from warroom.runtime import Runtime

ACTOR = "warroom"
OVER = ("resolved", "closed")


def _load(conn: sa.Connection, timer: Timer) -> tuple[IncidentState, PagingState] | None:
    """The incident and its paging state, or None when the timer is stale."""
    if timer.incident_id is None:
        return None
    incident = incident_store.lock_state(conn, timer.incident_id)
    state = store.load(conn, timer.incident_id)
    if incident is None or state is None or incident.status in OVER:
        return None
    if not state.active or timer.payload.get("generation") != state.generation:
        return None
    return incident, state


def append(runtime: Runtime, conn: sa.Connection, incident_id: str,
           drafts: list[Draft]) -> None:
    if drafts:
        IncidentService(runtime).append_system(incident_id, drafts, ACTOR, conn=conn)


def fire_step(runtime: Runtime, conn: sa.Connection, timer: Timer) -> None:
    loaded = _load(conn, timer)
    if loaded is None:
        return
    incident, state = loaded
    attempt, index = int(timer.payload["attempt"]), int(timer.payload["index"])
    step = next((s for s in state.steps if s.attempt == attempt and s.index == index), None)
    if step is None or index in state.fired_indexes(attempt):
        return
    now = runtime.clock.now()
    found = directory(runtime)
    overrides = store.list_overrides(conn, ending_after=now)
    resolution = resolve_targets(planner.targets_of(step), found.schedules_with(overrides),
                                 found.teams, now)
    drafts = _page(runtime, conn, found, incident, state, step, resolution, timer.key)
    state.fired.append([attempt, index])
    _next_pass(conn, found, state, incident, now)
    store.save(conn, state, now)
    append(runtime, conn, incident.id, drafts)


def _page(runtime: Runtime, conn: sa.Connection, found: PagingDirectory,
          incident: IncidentState, state: PagingState, step: StoredStep,
          resolution: TargetResolution, timer_key: str) -> list[Draft]:
    now = runtime.clock.now()
    rendered = render(found, "initial.internal", incident, state, now)
    key = f"page:{incident.id}:{state.generation}:{step.attempt}:{step.index}"
    kind: MessageKind = "page" if step.index == 0 and step.attempt == 0 else "escalation"
    base = message(key, kind, incident, rendered, state, found,
                   extra={"step": step.index, "attempt": step.attempt})
    dispatch = Dispatch(skipped=[s.reason for s in resolution.skipped])
    reached: list[dict[str, Any]] = []
    for target in resolution.resolved:
        before = len(dispatch.queued) + len(dispatch.scheduled)
        if target.kind == "channel":
            if target.id not in found.channels:
                dispatch.skipped.append(f"channel '{target.id}' is not configured")
                continue
            channels = [target.id]
            if incident.visibility != "normal" and \
                    target.id not in found.communications.restricted_channels:
                # A shared channel never hears of a restricted incident: its page goes to
                # the security responders' channels instead.
                channels = [c for c in found.incident_channels(incident, "internal")
                            if {"channel": c} not in dispatch.queued]
                if not channels:
                    dispatch.skipped.append(f"channel '{target.id}' is shared and the "
                                            "incident is restricted")
                    continue
            for channel in channels:
                outbox.enqueue(conn, message=base, channel=channel, now=now)
                dispatch.queued.append({"channel": channel})
        else:
            page_user(conn, found, base, target.id, target.via, now, timer_key, incident.id,
                      {"generation": state.generation, "attempt": step.attempt,
                       "index": step.index}, dispatch)
        if len(dispatch.queued) + len(dispatch.scheduled) > before:
            reached.append({"kind": target.kind, "id": target.id, "via": target.via,
                            "through": target.reached_through})
    data = {"step": step.index, "attempt": step.attempt, "due_at": isoformat(step.due_at),
            "policy": state.policy}
    drafts: list[Draft] = []
    if not dispatch.reached:
        skip = StepSkip(step.index, step.attempt, step.due_at,
                        tuple(dispatch.skipped) or ("the step has no targets",))
        return [Draft("escalation_step_skipped", skip.as_event_data() | {
            "policy": state.policy})]
    drafts.append(Draft("escalated", data | {"targets": reached,
                                              "skipped": dispatch.skipped}))
    drafts.extend(Draft("page_queued", {"step": step.index, "attempt": step.attempt, **row})
                  for row in dispatch.queued)
    return drafts


def _next_pass(conn: sa.Connection, found: PagingDirectory, state: PagingState,
               incident: IncidentState, now: Any) -> None:
    """After the last step of a pass, plan the next pass if the policy repeats."""
    policy = found.policies.get(state.policy or "")
    current = planner.current_pass(state)
    if policy is None or not current:
        return
    if {s.index for s in current} - state.fired_indexes(current[0].attempt):
        return
    steps = planner.planned(current, state.severity)
    starts = next_pass_at(policy, steps)
    if starts is None:
        return
    upcoming = planner.stored(plan(policy, state.severity, starts, current[0].attempt + 1))
    state.steps.extend(upcoming)
    planner.schedule_steps(conn, state, upcoming, now)


def fire_contact(runtime: Runtime, conn: sa.Connection, timer: Timer) -> None:
    """A later contact from a personal rule, still unacknowledged: send it now."""
    loaded = _load(conn, timer)
    if loaded is None:
        return
    incident, _state = loaded
    found = directory(runtime)
    user, name = str(timer.payload["user"]), str(timer.payload["contact"])
    method = method_named(found, user, name)
    dispatch = Dispatch()
    if method is None:
        dispatch.skipped.append(f"user '{user}' no longer has a contact method '{name}'")
    else:
        stored = Message.from_dict(timer.payload["message"])
        keyed = Message.from_dict(stored.to_dict() | {
            "idempotency_key": f"{stored.idempotency_key}:{user}:{name}"})
        send_to_method(conn, found, keyed, user, method, runtime.clock.now(), dispatch)
    drafts = [Draft("page_queued", {"step": timer.payload["index"],
                                    "attempt": timer.payload["attempt"], **row})
              for row in dispatch.queued]
    drafts += [Draft("escalation_step_skipped", {
        "step": timer.payload["index"], "attempt": timer.payload["attempt"],
        "due_at": isoformat(timer.due_at), "reasons": dispatch.skipped})] \
        if dispatch.skipped else []
    append(runtime, conn, incident.id, drafts)
