"""Reminder messages for overdue reviews and action items, queued in the outbox.

Config: `postmortems.reminder_channel` names the channel (default: a channel called
`console`, if one exists). The destination is the person's email from the org config, or
their user name when none is recorded."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from warroom.engine import outbox
from warroom.notify.base import Message
from warroom.runtime import Runtime


def reminder_channel(runtime: Runtime) -> str | None:
    configured = runtime.config.postmortems.get("reminder_channel")
    if configured:
        return str(configured)
    return "console" if "console" in runtime.config.channels else None


def destination_for(runtime: Runtime, username: str) -> str:
    for user in runtime.config.users:
        if user.name == username and user.email:
            return user.email
    return username


def send_reminder(runtime: Runtime, conn: sa.Connection, *, key: str, incident_id: str,
                  human_id: str, severity: str, drill: bool, to: str | None, subject: str,
                  body: str, extra: dict[str, Any] | None = None) -> bool:
    """Queue one reminder in `conn`'s transaction; False when no channel is configured."""
    channel = reminder_channel(runtime)
    if channel is None:
        return False
    message = Message(idempotency_key=key, incident_id=incident_id,
                      incident_human_id=human_id, kind="reminder", subject=subject, body=body,
                      severity=severity, extra=extra or {}, drill=drill)
    return outbox.enqueue(conn, message=message, channel=channel, now=runtime.clock.now(),
                          destination=destination_for(runtime, to) if to else None)
