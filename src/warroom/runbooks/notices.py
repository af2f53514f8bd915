"""Outbox messages of the runbook engine: approval requests and revert reminders."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from warroom.engine import outbox
from warroom.notify.base import Message, MessageKind
from warroom.runbooks.registry import registry
from warroom.store import incidents as incident_store

if TYPE_CHECKING:
    from warroom.runtime import Runtime


def notify(runtime: Runtime, conn: sa.Connection, *, key: str, kind: MessageKind,
           incident_id: str | None, subject: str, body: str,
           extra: dict[str, Any] | None = None) -> int:
    """Queue one message to every channel in `runbooks.notify.channels` (for a restricted
    incident: only the security responders' `communications.restricted_channels`); returns
    how many."""
    channels = [c for c in registry(runtime).settings.notify.channels
                if c in runtime.config.channels]
    human_id, severity, drill = "", "P2", False
    if incident_id:
        state = incident_store.lock_state(conn, incident_id)
        if state is not None:
            human_id, severity, drill = state.human_id, state.severity, state.is_drill
            if state.visibility != "normal":
                from warroom.paging.directory import directory

                channels = directory(runtime).incident_channels(state, "internal")
    if not channels:
        return 0
    message = Message(idempotency_key=key, incident_id=incident_id or "",
                      incident_human_id=human_id, kind=kind, subject=subject, body=body,
                      severity=severity, extra=extra or {}, drill=drill)
    now = runtime.clock.now()
    return sum(outbox.enqueue(conn, message=message, channel=c, now=now) for c in channels)
