"""Turning an incident's escalation policy into stored steps and durable step timers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from warroom.domain.escalation import EscalationPolicy, PlannedStep, Target, TargetKind, plan
from warroom.engine import timers
from warroom.store.paging import PagingState, StoredStep

STEP = "paging.step"
CONTACT = "paging.contact"
PAGING_KINDS = (STEP, CONTACT)


def stored(steps: Iterable[PlannedStep]) -> list[StoredStep]:
    return [StoredStep(s.index, s.attempt, s.due_at, s.pass_started_at,
                       tuple({"kind": t.kind.value, "id": t.id, "via": t.via}
                             for t in s.targets)) for s in steps]


def targets_of(step: StoredStep) -> tuple[Target, ...]:
    return tuple(Target(TargetKind(t["kind"]), str(t["id"]), t.get("via")) for t in step.targets)


def planned(steps: Iterable[StoredStep], severity: str) -> list[PlannedStep]:
    return [PlannedStep(s.index, s.due_at, targets_of(s), s.attempt, severity,
                        s.pass_started_at) for s in steps]


def current_pass(state: PagingState) -> list[StoredStep]:
    """The steps of the latest pass in the plan."""
    if not state.steps:
        return []
    attempt = max(s.attempt for s in state.steps)
    return [s for s in state.steps if s.attempt == attempt]


def step_key(incident_id: str, generation: int, step: StoredStep) -> str:
    return f"esc:{incident_id}:{generation}:{step.attempt}:{step.index}"


def schedule_steps(conn: sa.Connection, state: PagingState, steps: list[StoredStep],
                   now: datetime) -> None:
    """One timer per step; fired steps of this attempt are never scheduled again."""
    for step in steps:
        if step.index in state.fired_indexes(step.attempt):
            continue
        timers.schedule(conn, kind=STEP, key=step_key(state.incident_id, state.generation, step),
                        due_at=max(step.due_at, now), now=now, incident_id=state.incident_id,
                        payload={"generation": state.generation, "attempt": step.attempt,
                                 "index": step.index})


def restart(conn: sa.Connection, state: PagingState, steps: list[PlannedStep],
            now: datetime, *, keep_fired: bool) -> None:
    """Replace the pending plan with `steps` under a new generation and schedule them."""
    timers.cancel(conn, incident_id=state.incident_id, kinds=PAGING_KINDS)
    state.generation += 1
    state.active = bool(steps)
    if not keep_fired:
        state.fired = []
    state.steps = stored(steps)
    schedule_steps(conn, state, state.steps, now)


def start(conn: sa.Connection, state: PagingState, policy: EscalationPolicy, severity: str,
          now: datetime) -> None:
    """A fresh first pass of `policy` starting at `now`."""
    restart(conn, state, plan(policy, severity, now), now, keep_fired=False)


def stop(conn: sa.Connection, state: PagingState) -> int:
    """Acknowledged or over: cancel every pending step and contact timer."""
    state.active = False
    return timers.cancel(conn, incident_id=state.incident_id, kinds=PAGING_KINDS)
