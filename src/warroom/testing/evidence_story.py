"""A scripted P0 incident on a fake clock, shared by the evidence tests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from warroom.clock import FakeClock, isoformat
from warroom.domain.events import GENESIS_HASH, Event, seal
from warroom.evidence.impact import ImpactData
from warroom.evidence.pack import PackInputs

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CHAIN = "inc-7f3a"
STEP1_LOG = b"checkout-7d9 ERROR upstream connect error\ncheckout-7d9 ERROR 503\n"
STEP2_LOG = b'deployment.apps/checkout rolled back\n'
STEP1_SHA = hashlib.sha256(STEP1_LOG).hexdigest()
STEP2_SHA = hashlib.sha256(STEP2_LOG).hexdigest()


@dataclass
class Story:
    """Appends sealed events at the fake clock's time, like the incident service would."""

    clock: FakeClock
    chain: str = CHAIN
    events: list[Event] = field(default_factory=list)

    def at(self, hh: int, mm: int, ss: int = 0) -> Story:
        self.clock.set(T0.replace(hour=hh, minute=mm, second=ss))
        return self

    def emit(self, actor: str, kind: str, **data: Any) -> Event:
        prev = self.events[-1].hash if self.events else GENESIS_HASH
        event = seal(self.chain, len(self.events) + 1, self.clock.now(), actor, kind, data, prev)
        self.events.append(event)
        return event


def scripted_p0() -> tuple[FakeClock, list[Event], dict[str, bytes]]:
    """alert → declare → ack → diagnose → approval → mitigate → monitor → resolve."""
    clock = FakeClock(T0)
    s = Story(clock)
    s.at(9, 0).emit("system", "declared", human_id="INC-2026-0042", title="Checkout API down",
                    severity="P0", type="service_outage", impact="Checkout fails for all users",
                    visibility="normal", services=["checkout", "frontend"],
                    started_at=isoformat(T0 - timedelta(minutes=2)), detected_at=isoformat(T0),
                    drill=False)
    s.emit("system", "alert_attached", alert_id="al-1", source="alertmanager",
           labels={"alertname": "CheckoutDown", "service": "checkout"},
           summary="CheckoutDown: 5xx rate 100%")
    s.at(9, 3).emit("alice", "acknowledged")
    s.at(9, 3, 10).emit("alice", "role_assigned", role="commander", user="alice")
    s.at(9, 4).emit("alice", "status_changed", **{"from": "acknowledged", "to": "investigating"})
    s.at(9, 10).emit("bob", "runbook_step_started", run_id="run-1", step_id="collect-logs",
                     title="Collect pod logs", phase="evidence", executor="shell",
                     rendered="kubectl logs -l app=checkout --since=1h")
    s.at(9, 10, 5).emit("bob", "runbook_step_finished", run_id="run-1", step_id="collect-logs",
                        title="Collect pod logs", phase="evidence", executor="shell",
                        outcome="succeeded", exit_code=0, output_sha256=STEP1_SHA)
    s.at(9, 12).emit("bob", "note_added", text="5xx spike right after deploy 4f2a | rollback?")
    s.at(9, 15).emit("bob", "status_changed", **{"from": "investigating", "to": "identified"})
    s.at(9, 16).emit("bob", "approval_requested", request_id="apr-1", step="rollback",
                     run_id="run-1", roles=["commander", "security"],
                     reason="roll back deploy 4f2a")
    s.at(9, 17).emit("alice", "approval_granted", request_id="apr-1", step="rollback",
                     approver="alice", roles=["commander"])
    s.at(9, 17, 30).emit("carol", "approval_granted", request_id="apr-1", step="rollback",
                         approver="carol", roles=["security"])
    s.at(9, 18).emit("bob", "runbook_step_started", run_id="run-1", step_id="rollback",
                     title="Roll back checkout deploy", phase="mitigate", executor="shell",
                     rendered="kubectl rollout undo deploy/checkout")
    s.at(9, 19).emit("bob", "runbook_step_finished", run_id="run-1", step_id="rollback",
                     title="Roll back checkout deploy", phase="mitigate", executor="shell",
                     outcome="succeeded", exit_code=0, output_sha256=STEP2_SHA)
    s.at(9, 20).emit("alice", "status_changed", **{"from": "identified", "to": "monitoring"})
    s.at(9, 25).emit("alice", "impact_set", impact="Checkout failed for 21 minutes",
                     users_affected=1200)
    s.at(9, 40).emit("alice", "resolved", summary="Rolled back deploy 4f2a; error rate normal")
    clock.set(T0 + timedelta(hours=2))
    artifacts = {f"{STEP1_SHA}.txt": STEP1_LOG, f"{STEP2_SHA}.txt": STEP2_LOG}
    return clock, s.events, artifacts


def pack_inputs(events: list[Event], artifacts: dict[str, bytes],
                postmortem: str | None = None) -> PackInputs:
    """What the lead's export gathers from the store for the scripted incident."""
    return PackInputs(incident={"id": CHAIN, "status": "resolved"}, events=events,
                      artifacts=artifacts, postmortem_markdown=postmortem,
                      impact=ImpactData(ack_sla=timedelta(minutes=5)))
