"""Revert deadlines of time-boxed changes: a step with `revert.within` starts a deadline when
it is carried out; a reminder fires before it, a breach after, and running the revert step
clears it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from warroom.clock import isoformat
from warroom.domain.incident import Draft
from warroom.engine import timers
from warroom.runbooks.model import Runbook, Step
from warroom.store.runbooks import revert_deadlines

if TYPE_CHECKING:
    from warroom.runtime import Runtime

REMINDER = "runbook_revert_reminder"
BREACH = "runbook_revert_breach"


def _key_prefix(run_id: str, step_id: str) -> str:
    return f"runbook-revert:{run_id}:{step_id}:"


def start(conn: sa.Connection, *, run_id: str, incident_id: str | None, runbook: Runbook,
          step: Step, now: datetime, reminder_at: float) -> list[Draft]:
    """Open (or restart) the deadline of `step` and schedule its reminder and breach timers."""
    assert step.revert is not None
    due = now + step.revert.within
    remind = now + step.revert.within * reminder_at
    where = sa.and_(revert_deadlines.c.run_id == run_id, revert_deadlines.c.step_id == step.id)
    values = {"incident_id": incident_id, "revert_step": step.revert.step, "started_at": now,
              "due_at": due, "status": "open", "updated_at": now}
    if conn.execute(sa.select(revert_deadlines.c.run_id).where(where)).first():
        conn.execute(sa.update(revert_deadlines).where(where).values(**values))
    else:
        conn.execute(sa.insert(revert_deadlines).values(run_id=run_id, step_id=step.id,
                                                        **values))
    prefix = _key_prefix(run_id, step.id)
    timers.cancel(conn, key_prefix=prefix)
    payload = {"run_id": run_id, "step_id": step.id, "runbook_id": runbook.id,
               "due_at": isoformat(due)}
    stamp = isoformat(now)
    timers.schedule(conn, kind=REMINDER, key=f"{prefix}{stamp}:reminder", due_at=remind,
                    now=now, payload=payload, incident_id=incident_id)
    timers.schedule(conn, kind=BREACH, key=f"{prefix}{stamp}:breach", due_at=due, now=now,
                    payload=payload, incident_id=incident_id)
    return [Draft("revert_deadline_started", {
        "run_id": run_id, "runbook_id": runbook.id, "step_id": step.id, "title": step.title,
        "within": step.revert.within.total_seconds(), "due_at": isoformat(due),
        "reminder_at": isoformat(remind), "revert_step": step.revert.step})]


def clear_by(conn: sa.Connection, *, run_id: str, runbook: Runbook, revert_step_id: str,
             now: datetime) -> list[Draft]:
    """Close every open deadline in the run whose `revert.step` is `revert_step_id`."""
    drafts = []
    for step in runbook.steps:
        if step.revert is None or step.revert.step != revert_step_id:
            continue
        where = sa.and_(revert_deadlines.c.run_id == run_id,
                        revert_deadlines.c.step_id == step.id,
                        revert_deadlines.c.status.in_(["open", "breached"]))
        row = conn.execute(sa.select(revert_deadlines).where(where)).first()
        if row is None:
            continue
        conn.execute(sa.update(revert_deadlines).where(where).values(status="reverted",
                                                                     updated_at=now))
        timers.cancel(conn, key_prefix=_key_prefix(run_id, step.id))
        drafts.append(Draft("revert_cleared", {
            "run_id": run_id, "runbook_id": runbook.id, "step_id": step.id,
            "revert_step": revert_step_id, "due_at": isoformat(row.due_at),
            "late": row.status == "breached"}))
    return drafts


def fire(runtime: Runtime, conn: sa.Connection, timer: timers.Timer) -> None:
    """Timer handler for reminders and breaches; a cleared deadline makes it a no-op."""
    from warroom.runbooks import notices
    from warroom.runbooks.journal import record

    run_id, step_id = str(timer.payload["run_id"]), str(timer.payload["step_id"])
    where = sa.and_(revert_deadlines.c.run_id == run_id, revert_deadlines.c.step_id == step_id)
    row = conn.execute(sa.select(revert_deadlines).where(where)).first()
    if row is None or row.status != "open":
        return
    now = runtime.clock.now()
    data = {"run_id": run_id, "runbook_id": timer.payload.get("runbook_id"),
            "step_id": step_id, "due_at": isoformat(row.due_at),
            "revert_step": row.revert_step}
    revert_hint = (f"run step {row.revert_step!r}" if row.revert_step
                   else "revert the change and mark it done")
    if timer.kind == REMINDER:
        remaining = max(0.0, (row.due_at - now).total_seconds())
        record(runtime, conn, run_id, row.incident_id,
               [Draft("revert_due", data | {"remaining_s": remaining})], "warroom")
        notices.notify(runtime, conn, key=timer.key, kind="reminder",
                       incident_id=row.incident_id,
                       subject=f"Revert due: step {step_id} must be reverted by "
                               f"{isoformat(row.due_at)}",
                       body=f"Step {step_id} of run {run_id} is a time-boxed change; "
                            f"{revert_hint} within {remaining / 60:.0f} min.", extra=data)
        return
    conn.execute(sa.update(revert_deadlines).where(where).values(status="breached",
                                                                 updated_at=now))
    record(runtime, conn, run_id, row.incident_id, [Draft("revert_breached", data)], "warroom")
    notices.notify(runtime, conn, key=timer.key, kind="sla_breach", incident_id=row.incident_id,
                   subject=f"Revert deadline missed: step {step_id}",
                   body=f"Step {step_id} of run {run_id} should have been reverted by "
                        f"{isoformat(row.due_at)}; {revert_hint} now.", extra=data)


def deadlines(conn: sa.Connection, run_id: str) -> list[dict[str, object]]:
    """The run's revert deadlines as JSON-ready dicts (step, due time, status)."""
    rows = conn.execute(sa.select(revert_deadlines).where(revert_deadlines.c.run_id == run_id)
                        .order_by(revert_deadlines.c.started_at))
    return [{"step_id": r.step_id, "revert_step": r.revert_step,
             "started_at": isoformat(r.started_at), "due_at": isoformat(r.due_at),
             "status": r.status} for r in rows]
