"""The response SLA: the ack deadline from the severity scheme, kept as a timer; a breach is a
timeline event and a notification to the internal channels."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from warroom.clock import isoformat
from warroom.domain import incident as dom
from warroom.domain.templates import RenderedMessage
from warroom.engine import outbox, timers
from warroom.engine.timers import Timer
from warroom.paging.directory import PagingDirectory, directory
from warroom.paging.escalator import append
from warroom.paging.messages import message
from warroom.store import incidents as incident_store
from warroom.store import paging as store

if TYPE_CHECKING:
    from warroom.runtime import Runtime

ACK_SLA = "paging.ack_sla"


def ack_deadline(found: PagingDirectory, incident: dom.IncidentState) -> datetime | None:
    level = found.scheme.get(incident.severity)
    return incident.declared_at + level.ack_sla if level else None


def schedule(conn: sa.Connection, found: PagingDirectory, incident: dom.IncidentState,
             now: datetime) -> None:
    """(Re)arm the deadline timer for the current severity; nothing once acknowledged."""
    timers.cancel(conn, incident_id=incident.id, kinds=(ACK_SLA,))
    deadline = ack_deadline(found, incident)
    if deadline is None or incident.acknowledged_at is not None:
        return
    timers.schedule(conn, kind=ACK_SLA, key=f"sla:{incident.id}:{incident.severity}:"
                    f"{int(deadline.timestamp())}", due_at=max(deadline, now), now=now,
                    incident_id=incident.id,
                    payload={"deadline": isoformat(deadline), "severity": incident.severity})


def sla_state(found: PagingDirectory, incident: dom.IncidentState,
              now: datetime) -> dict[str, Any]:
    deadline = ack_deadline(found, incident)
    level = found.scheme.get(incident.severity)
    acked = incident.acknowledged_at
    breached = None
    if deadline is not None:
        breached = acked > deadline if acked else now >= deadline
    return {"ack_sla": int(level.ack_sla.total_seconds()) if level else None,
            "ack_deadline": isoformat(deadline) if deadline else None,
            "acknowledged_at": isoformat(acked) if acked else None,
            "breached": breached,
            "remaining_seconds": max(0, int((deadline - now).total_seconds()))
            if deadline and not acked else None}


def fire(runtime: Runtime, conn: sa.Connection, timer: Timer) -> None:
    if timer.incident_id is None:
        return
    incident = incident_store.lock_state(conn, timer.incident_id)
    if incident is None or incident.acknowledged_at is not None or \
            incident.status in ("resolved", "closed"):
        return
    found = directory(runtime)
    state = store.load(conn, incident.id)
    deadline = str(timer.payload["deadline"])
    level = found.scheme.get(incident.severity)
    minutes = int(level.ack_sla.total_seconds() // 60) if level else 0
    subject = f"ACK SLA BREACHED — [{incident.severity}] {incident.human_id}: {incident.title}"
    body = (f"{subject}\n\nNobody has acknowledged {incident.human_id} within the "
            f"{incident.severity} response time ({minutes} minutes, deadline {deadline}).")
    if incident.is_drill:
        subject, body = f"[DRILL] {subject}", f"[DRILL] {body}"
    msg = message(f"sla:{incident.id}:{deadline}", "sla_breach", incident,
                  RenderedMessage(subject, body), state, found)
    sent = [channel for channel in found.incident_channels(incident, "internal")
            if outbox.enqueue(conn, message=msg, channel=channel, now=runtime.clock.now())]
    append(runtime, conn, incident.id, [dom.Draft("ack_sla_breached", {
        "deadline": deadline, "severity": incident.severity, "channels": sent})])
