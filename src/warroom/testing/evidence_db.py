"""A scripted P0 driven through the real incident service on a FakeClock, for the evidence
database tests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from warroom.clock import FakeClock
from warroom.domain import incident as dom
from warroom.engine.worker import Worker
from warroom.runtime import Runtime
from warroom.services.incidents import IncidentService
from warroom.services.principal import Principal
from warroom.testing.runtime import Users

ROLLBACK_LOG = b"deployment.apps/checkout rolled back\n"
ROLLBACK_SHA = hashlib.sha256(ROLLBACK_LOG).hexdigest()


@dataclass(frozen=True)
class ScriptedTimes:
    human_id: str
    declared: datetime
    acknowledged: datetime
    identified: datetime
    mitigated: datetime
    resolved: datetime


def settle(runtime: Runtime) -> None:
    """One pass of the engine worker at the current fake time, as `warroom serve` runs it
    after every commit (this is what writes the postmortem draft of a resolved incident)."""
    worker = Worker(runtime)
    try:
        worker.run_once()
    finally:
        worker.stop()


def scripted_p0(runtime: Runtime, clock: FakeClock, who: Principal,
                start: datetime | None = None, run_worker: bool = True) -> ScriptedTimes:
    """declare → ack (+3 min) → notes and runbook steps → approval → mitigate (+19 min) →
    resolve (+40 min), then one worker pass unless `run_worker` is False. Approvals and steps
    are appended as system events, the way the runbook engine records them."""
    svc = IncidentService(runtime)
    t0 = start or clock.now()
    clock.set(t0)
    declared = svc.declare(who, dom.Declare(
        title="Checkout API down", severity="P0", services=("api",),
        impact="Checkout fails for all users"),
        followups=(dom.AssignRole("commander", who.name),))
    ref = declared.incident.human_id

    def at(minutes: float) -> datetime:
        clock.set(t0 + timedelta(minutes=minutes))
        return clock.now()

    def system(kind: str, actor: str, **data: object) -> None:
        svc.append_system(ref, [dom.Draft(kind, dict(data))], actor)

    at(1)
    system("alert_attached", "warroom", alert_id="al-1", source="alertmanager",
           summary="CheckoutDown: 5xx rate 100%", labels={"alertname": "CheckoutDown"})
    acked = at(3)
    svc.execute(who, ref, dom.Acknowledge())
    at(4)
    svc.execute(who, ref, dom.SetStatus("investigating"))
    at(10)
    system("runbook_step_started", who.name, run_id="run-1", step_id="collect-logs",
           title="Collect pod logs", phase="evidence", executor="shell",
           rendered="kubectl logs -l app=checkout --since=1h")
    system("runbook_step_finished", who.name, run_id="run-1", step_id="collect-logs",
           title="Collect pod logs", phase="evidence", executor="shell", outcome="succeeded",
           exit_code=0)
    at(12)
    svc.execute(who, ref, dom.AddNote("5xx spike right after deploy 4f2a"))
    identified = at(15)
    svc.execute(who, ref, dom.SetStatus("identified"))
    at(16)
    system("approval_requested", who.name, request_id="apr-1", step="rollback",
           run_id="run-1", roles=["commander", "security"], reason="roll back deploy 4f2a")
    at(17)
    system("approval_granted", who.name, request_id="apr-1", step="rollback",
           approver=who.name, roles=["commander"])
    at(17.5)
    system("approval_granted", "security", request_id="apr-1", step="rollback",
           approver="security", roles=["security"])
    at(18)
    system("runbook_step_started", who.name, run_id="run-1", step_id="rollback",
           title="Roll back checkout deploy", phase="mitigate", executor="shell",
           rendered="kubectl rollout undo deploy/checkout")
    mitigated = at(19)
    system("runbook_step_finished", who.name, run_id="run-1", step_id="rollback",
           title="Roll back checkout deploy", phase="mitigate", executor="shell",
           outcome="succeeded", exit_code=0, output_sha256=ROLLBACK_SHA)
    at(20)
    svc.execute(who, ref, dom.SetStatus("monitoring"))
    at(25)
    svc.execute(who, ref, dom.SetImpact("Checkout failed for 21 minutes", 1200))
    resolved = at(40)
    svc.execute(who, ref, dom.Resolve("Rolled back deploy 4f2a; error rate normal"))
    if run_worker:
        settle(runtime)
    return ScriptedTimes(ref, t0, acked, identified, mitigated, resolved)


@dataclass(frozen=True)
class ResolvedP0:
    """A runtime whose channels post to `receiver`, after the scripted P0 was resolved."""
    runtime: Runtime
    clock: FakeClock
    users: Users
    commander: Principal
    story: ScriptedTimes
