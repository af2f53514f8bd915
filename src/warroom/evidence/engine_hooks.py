"""Engine plugin for evidence: drafts the postmortem once an incident resolves, fires the
review deadline, and reminds owners of overdue action items."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from warroom.clock import isoformat
from warroom.domain import incident as dom
from warroom.domain.events import Event
from warroom.engine import timers, worker
from warroom.evidence.action_items import OPEN_STATUSES
from warroom.evidence.durations import format_duration, parse_duration
from warroom.evidence.postmortems_service import (
    DRAFT_TIMER,
    DUE_TIMER,
    draft_now,
    schedule_draft,
)
from warroom.evidence.reminders import send_reminder
from warroom.runtime import Runtime
from warroom.services.incidents import IncidentService
from warroom.store import incidents as incident_store
from warroom.store.evidence import action_items, postmortems

DEFAULT_REPEAT = timedelta(hours=24)
ACTION_ITEM_PASS_EVERY = timedelta(minutes=15)


def repeat_every(runtime: Runtime) -> timedelta:
    """Config `postmortems.remind_every` (default 24h): how often reminders repeat."""
    raw = runtime.config.postmortems.get("remind_every")
    return parse_duration(str(raw)) if raw else DEFAULT_REPEAT


def install(runtime: Runtime) -> None:
    def on_events(conn: sa.Connection, state: dom.IncidentState, events: list[Event]) -> None:
        schedule_draft(runtime, conn, state, events)

    runtime.hooks.in_transaction.append(on_events)


def _commander(state: dom.IncidentState) -> str:
    return state.role_map().get("commander") or state.created_by


@timers.handler(DRAFT_TIMER)
def postmortem_draft(runtime: Runtime, conn: sa.Connection, timer: timers.Timer) -> None:
    if timer.incident_id is not None:
        draft_now(runtime, conn, timer.incident_id)


@timers.handler(DUE_TIMER)
def postmortem_due(runtime: Runtime, conn: sa.Connection, timer: timers.Timer) -> None:
    """The review deadline passed: record `postmortem_overdue` once, remind the commander,
    and come back after `remind_every` until the postmortem is published."""
    if timer.incident_id is None:
        return
    row = conn.execute(sa.select(postmortems).where(
        postmortems.c.incident_id == timer.incident_id)).first()
    if row is None or row.status == "published":
        return
    state = incident_store.lock_state(conn, timer.incident_id)
    if state is None:
        return
    now = runtime.clock.now()
    late = now - row.due_at if row.due_at else timedelta()
    if row.overdue_at is None:
        conn.execute(sa.update(postmortems).where(postmortems.c.incident_id == state.id)
                     .values(overdue_at=now))
        IncidentService(runtime).append_system(state.id, [dom.Draft("postmortem_overdue", {
            "due_at": isoformat(row.due_at) if row.due_at else None, "status": row.status,
            "commander": _commander(state)})], "warroom", conn=conn)
    send_reminder(
        runtime, conn, key=f"postmortem-overdue:{state.id}:{isoformat(timer.due_at)}",
        incident_id=state.id, human_id=state.human_id, severity=state.severity,
        drill=state.is_drill, to=_commander(state),
        subject=f"[{state.human_id}] Post-incident review overdue",
        body=(f"The post-incident review of {state.human_id} ({state.title}) was due "
              f"{isoformat(row.due_at) if row.due_at else 'already'} and is still "
              f"{row.status} ({format_duration(late)} late). Finish and publish it with "
              f"`warroom postmortem status {state.human_id} published`."),
        extra={"postmortem_status": row.status})
    timers.schedule(conn, kind=DUE_TIMER, key=f"{DUE_TIMER}:{state.id}:{isoformat(now)}",
                    due_at=now + repeat_every(runtime), now=now, incident_id=state.id)


def remind_overdue_items(runtime: Runtime) -> int:
    """Remind the owner (else the commander) of each open item past its due date, at most
    once per `remind_every`; the first reminder also records `action_item_overdue`."""
    now = runtime.clock.now()
    again = now - repeat_every(runtime)
    query = sa.select(action_items.c.id).where(
        action_items.c.status.in_(OPEN_STATUSES), action_items.c.due_at < now,
        sa.or_(action_items.c.reminded_at.is_(None), action_items.c.reminded_at <= again))
    with runtime.engine.begin() as conn:
        ids = list(conn.execute(query.order_by(action_items.c.id)).scalars())
    sent = 0
    for item_id in ids:
        with runtime.engine.begin() as conn:
            item = conn.execute(query.with_only_columns(action_items)
                                .where(action_items.c.id == item_id)).first()
            state = incident_store.lock_state(conn, item.incident_id) if item else None
            if item is None or state is None:
                continue
            _remind_item(runtime, conn, item, state, now)
            sent += 1
    return sent


def _remind_item(runtime: Runtime, conn: sa.Connection, item: Any,
                 state: dom.IncidentState, now: Any) -> None:
    if item.reminded_at is None:
        IncidentService(runtime).append_system(state.id, [dom.Draft("action_item_overdue", {
            "action_item_id": item.id, "title": item.title, "owner": item.owner,
            "due_at": isoformat(item.due_at)})], "warroom", conn=conn)
    conn.execute(sa.update(action_items).where(action_items.c.id == item.id)
                 .values(reminded_at=now))
    send_reminder(
        runtime, conn, key=f"action-item-overdue:{item.id}:{isoformat(now)}",
        incident_id=state.id, human_id=state.human_id, severity=item.priority,
        drill=state.is_drill, to=item.owner or _commander(state),
        subject=f"[{state.human_id}] Action item overdue: {item.title}",
        body=(f"Action item #{item.id} of {state.human_id} — {item.title} — was due "
              f"{isoformat(item.due_at)} and is still {item.status}. Update it with "
              f"`warroom action update {item.id} --status done` (or set a new --due)."),
        extra={"action_item_id": item.id})


@worker.periodic("action-items-overdue", ACTION_ITEM_PASS_EVERY)
def _action_items_pass(runtime: Runtime) -> None:
    remind_overdue_items(runtime)
