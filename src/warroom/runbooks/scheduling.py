"""Scheduled runbooks: a periodic pass that starts a standalone run at each cron time and
runs the steps that need no person, leaving manual checklist items for people."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from croniter import croniter

from warroom.domain.errors import DomainError
from warroom.runbooks.model import ManualExecutor, Runbook, WaitExecutor
from warroom.runbooks.registry import registry
from warroom.runbooks.runs import RunRecord, RunService
from warroom.store.runbooks import runbook_runs, runbook_schedules

if TYPE_CHECKING:
    from warroom.runtime import Runtime

log = logging.getLogger(__name__)
SCHEDULER = "scheduler"


def latest_due(cron: str, now: datetime) -> datetime:
    """The most recent cron time at or before `now` (`now` itself when it is one)."""
    # croniter's get_prev is strictly before its base, so start just after `now`
    prev: datetime = croniter(cron, now + timedelta(seconds=1)).get_prev(datetime)
    if prev > now:
        prev = croniter(cron, now).get_prev(datetime)
    return prev


def _claim(runtime: Runtime, runbook: Runbook, now: datetime) -> RunRecord | None:
    """Create the run for the latest due time unless it exists; the first sight of a
    schedule only records since when it is known, so no past runs are invented."""
    assert runbook.schedule is not None
    with runtime.engine.begin() as conn:
        row = conn.execute(sa.select(runbook_schedules).where(
            runbook_schedules.c.runbook_id == runbook.id)).first()
        if row is None or row.cron != runbook.schedule:
            conn.execute(sa.delete(runbook_schedules).where(
                runbook_schedules.c.runbook_id == runbook.id))
            conn.execute(sa.insert(runbook_schedules).values(
                runbook_id=runbook.id, cron=runbook.schedule, since=now))
            return None
        due = latest_due(runbook.schedule, now)
        if due <= row.since:
            return None
        exists = conn.execute(sa.select(runbook_runs.c.id).where(
            runbook_runs.c.runbook_id == runbook.id,
            runbook_runs.c.scheduled_for == due)).first()
        if exists:
            return None
        return RunService(runtime).create_run(conn, runbook, None, {}, "schedule", SCHEDULER,
                                              scheduled_for=due)


def run_due(runtime: Runtime) -> list[str]:
    """Start every scheduled run that is due; returns the new run ids."""
    reg = registry(runtime)
    now = runtime.clock.now()
    started = []
    for runbook in reg.runbooks:
        if not runbook.schedule or not reg.runnable(runbook.id):
            continue
        run = _claim(runtime, runbook, now)
        if run is None:
            continue
        started.append(run.id)
        svc = RunService(runtime)
        for step in runbook.steps:
            if isinstance(step.executor, ManualExecutor | WaitExecutor) or step.requires_approval:
                continue
            try:
                state = svc.execute(run, runbook, step, {}, SCHEDULER,
                                    extra={"trigger": "schedule"})
            except DomainError as exc:
                log.warning("scheduled run %s of %s: step %s cannot run: %s", run.id,
                            runbook.id, step.id, exc)
                break
            if state.state == "failed":
                log.warning("scheduled run %s of %s: step %s failed; later steps wait for a "
                            "person", run.id, runbook.id, step.id)
                break
    return started
