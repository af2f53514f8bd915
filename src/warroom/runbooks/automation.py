"""Automated remediation: a rule's `run_step` action runs a step marked `auto: true`, within
guard rails — never a step needing approval, a cap per service per hour, a cool-down — and
every automatic run or refusal is a timeline event attributed to the rule.

Called inside someone else's transaction, the request is only queued (a row), so the caller's
incident state never goes stale under it; the engine's `runbook-automation` pass checks the
guard rails and runs it after commit."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa

from warroom.domain.errors import InvalidCommand
from warroom.domain.incident import Draft, IncidentState
from warroom.runbooks.journal import Committed, record
from warroom.runbooks.model import ManualExecutor, WaitExecutor
from warroom.runbooks.registry import registry
from warroom.runbooks.runs import RunRecord, RunService
from warroom.store import incidents as incident_store
from warroom.store.runbooks import automation_requests

if TYPE_CHECKING:
    from warroom.runtime import Runtime

log = logging.getLogger(__name__)
HOUR = timedelta(hours=1)
ACCEPTED = ("running", "ran")


@dataclass(frozen=True)
class AutomationOutcome:
    status: Literal["queued", "ran", "refused"]
    reason: str
    run_id: str | None = None
    step_state: str | None = None
    request_id: int | None = None


def actor_for(rule_name: str) -> str:
    return f"rule:{rule_name}"


def step_refusal(runtime: Runtime, runbook_id: str, step_id: str) -> str | None:
    """Why this step may never run automatically, or None."""
    reg = registry(runtime)
    runbook = reg.get(runbook_id)
    if runbook is None or not reg.runnable(runbook_id):
        return f"runbook {runbook_id!r} is not in the runbooks directory or has lint errors"
    step = runbook.step(step_id)
    if step is None:
        return f"runbook {runbook_id!r} has no step {step_id!r}"
    if not step.auto:
        return f"step {step_id!r} is not marked auto: true"
    if step.requires_approval is not None:
        return f"step {step_id!r} needs approval, so it never runs automatically"
    if isinstance(step.executor, ManualExecutor | WaitExecutor):
        return f"step {step_id!r} is carried out by a person"
    return None


def limit_refusal(runtime: Runtime, conn: sa.Connection, service: str, runbook_id: str,
                  step_id: str) -> str | None:
    """The per-service hourly cap and the per-step cool-down, counted over accepted runs."""
    settings = registry(runtime).settings.automation
    now = runtime.clock.now()
    recent = conn.execute(sa.select(sa.func.count()).select_from(automation_requests).where(
        automation_requests.c.service == service,
        automation_requests.c.status.in_(ACCEPTED),
        automation_requests.c.requested_at > now - HOUR)).scalar() or 0
    if recent >= settings.max_runs_per_service_per_hour:
        return (f"service {service!r} already had {recent} automatic run(s) in the last hour "
                f"(cap {settings.max_runs_per_service_per_hour}: "
                "runbooks.automation.max_runs_per_service_per_hour)")
    last = conn.execute(sa.select(sa.func.max(automation_requests.c.requested_at)).where(
        automation_requests.c.service == service,
        automation_requests.c.runbook_id == runbook_id,
        automation_requests.c.step_id == step_id,
        automation_requests.c.status.in_(ACCEPTED))).scalar()
    if last is not None and now - last < settings.cooldown:
        return (f"step {step_id!r} ran automatically for {service!r} "
                f"{int((now - last).total_seconds())}s ago; the cool-down is "
                f"{int(settings.cooldown.total_seconds())}s (runbooks.automation.cooldown)")
    return None


def _enqueue(runtime: Runtime, conn: sa.Connection, incident_ref: str | None,
             runbook_id: str, step_id: str, rule_name: str) -> int:
    incident_id = incident_store.find_id(conn, incident_ref) if incident_ref else None
    return int(conn.execute(sa.insert(automation_requests).values(
        rule=rule_name, incident_id=incident_id or incident_ref, service="-",
        runbook_id=runbook_id, step_id=step_id, status="queued", reason="",
        requested_at=runtime.clock.now()).returning(automation_requests.c.id)).scalar_one())


def run_step_for_rule(runtime: Runtime, conn: sa.Connection | None, incident_ref: str | None,
                      runbook_id: str, step_id: str, rule_name: str) -> AutomationOutcome:
    """The rule action `run_step`. With `conn` (inside the caller's transaction) the request
    is queued and runs after commit on the engine's next pass; without, it runs now.
    Refusals are recorded on the incident's timeline either way."""
    if conn is not None:
        request_id = _enqueue(runtime, conn, incident_ref, runbook_id, step_id, rule_name)
        return AutomationOutcome("queued", "runs on the engine's next pass",
                                 request_id=request_id)
    with runtime.engine.begin() as own:
        request_id = _enqueue(runtime, own, incident_ref, runbook_id, step_id, rule_name)
    return process(runtime, request_id)


def _accept(runtime: Runtime, conn: sa.Connection, row: Any,
            committed: Committed) -> tuple[AutomationOutcome, RunRecord | None]:
    incident: IncidentState | None = None
    reason = None
    if row.incident_id:
        incident = incident_store.lock_state(conn, row.incident_id)
        if incident is None:
            reason = f"no incident {row.incident_id!r}"
    service = incident.services[0] if incident and incident.services else "-"
    reason = (reason or step_refusal(runtime, row.runbook_id, row.step_id)
              or limit_refusal(runtime, conn, service, row.runbook_id, row.step_id))
    actor = actor_for(row.rule)
    base: dict[str, Any] = {"rule": row.rule, "runbook_id": row.runbook_id,
                            "step_id": row.step_id, "service": service}
    where = automation_requests.c.id == row.id
    if reason is not None:
        conn.execute(sa.update(automation_requests).where(where).values(
            status="refused", reason=reason, service=service))
        if incident is not None:
            record(runtime, conn, "", incident.id, [Draft(
                "runbook_automation_refused", base | {"reason": reason})], actor, committed)
        return AutomationOutcome("refused", reason, request_id=row.id), None
    runbook = registry(runtime).get(row.runbook_id)
    assert runbook is not None
    run = RunService(runtime).create_run(conn, runbook, incident, {}, actor, actor,
                                         committed=committed)
    conn.execute(sa.update(automation_requests).where(where).values(
        status="running", service=service, run_id=run.id))
    record(runtime, conn, run.id, run.incident_id, [Draft(
        "runbook_automation_triggered", base | {"run_id": run.id})], actor, committed)
    return AutomationOutcome("queued", "accepted", run.id, "pending", row.id), run


def process(runtime: Runtime, request_id: int) -> AutomationOutcome:
    """Check one queued request against the guard rails and, if accepted, run its step."""
    committed = Committed()
    with runtime.engine.begin() as conn:
        query = sa.select(automation_requests).where(automation_requests.c.id == request_id,
                                                     automation_requests.c.status == "queued")
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = conn.execute(query).first()
        if row is None:
            return AutomationOutcome("refused", "already handled", request_id=request_id)
        outcome, run = _accept(runtime, conn, row, committed)
    committed.flush(runtime)
    if run is None:
        return outcome
    runbook = registry(runtime).get(row.runbook_id)
    step = runbook.step(row.step_id) if runbook else None
    assert runbook is not None and step is not None
    try:
        state = RunService(runtime).execute(run, runbook, step, {}, actor_for(row.rule),
                                            extra={"rule": row.rule, "automatic": True})
    except InvalidCommand as exc:  # e.g. an alert value that is not an inert word
        refused = Committed()
        with runtime.engine.begin() as conn:
            conn.execute(sa.update(automation_requests).where(
                automation_requests.c.id == row.id).values(status="refused", reason=str(exc)))
            record(runtime, conn, run.id, run.incident_id, [Draft(
                "runbook_automation_refused", {
                    "rule": row.rule, "runbook_id": row.runbook_id, "step_id": row.step_id,
                    "run_id": run.id, "reason": str(exc)})], actor_for(row.rule), refused)
        refused.flush(runtime)
        return AutomationOutcome("refused", str(exc), run.id, request_id=row.id)
    finally:
        with runtime.engine.begin() as conn:
            conn.execute(sa.update(automation_requests).where(
                automation_requests.c.id == row.id,
                automation_requests.c.status != "refused").values(status="ran"))
    return AutomationOutcome("ran", state.detail or state.state, run.id, state.state, row.id)


def run_queued(runtime: Runtime, limit: int = 20) -> list[AutomationOutcome]:
    """Engine pass: handle requests queued by rules inside other transactions, in order."""
    with runtime.engine.begin() as conn:
        ids = list(conn.execute(sa.select(automation_requests.c.id).where(
            automation_requests.c.status == "queued").order_by(automation_requests.c.id)
            .limit(limit)).scalars())
    outcomes = []
    for request_id in ids:
        try:
            outcomes.append(process(runtime, int(request_id)))
        except Exception:  # one broken request must not block the others
            log.exception("automatic run request %s failed", request_id)
    return outcomes
