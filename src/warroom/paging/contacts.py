"""Reaching people: a resolved user's contact methods and personal rules become outbox rows
now and contact timers for later ("email now, SMS after 5 minutes if not acknowledged")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from warroom.clock import isoformat
from warroom.domain.notification_rules import ContactMethod, plan_contacts, unreachable_reason
from warroom.engine import outbox, timers
from warroom.notify.base import Message
from warroom.paging.directory import PagingDirectory
from warroom.paging.messages import with_ack_link
from warroom.paging.planner import CONTACT


@dataclass
class Dispatch:
    """What one page did: rows queued now, contacts scheduled for later, and why not."""

    queued: list[dict[str, Any]] = field(default_factory=list)
    scheduled: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def reached(self) -> bool:
        return bool(self.queued or self.scheduled)


def send_to_method(conn: sa.Connection, directory: PagingDirectory, message: Message,
                   user: str, method: ContactMethod, now: datetime,
                   dispatch: Dispatch) -> None:
    channel = directory.channel_for_contact(method.kind.value)
    if channel is None or channel not in directory.channels:
        dispatch.skipped.append(
            f"user '{user}': no channel delivers {method.kind.value} contacts; add one of type "
            f"{method.kind.value} to channels or set communications.contact_channels")
        return
    outbox.enqueue(conn, message=with_ack_link(message, directory, user, now), channel=channel,
                   now=now, destination=method.address)
    dispatch.queued.append({"user": user, "contact": method.name, "kind": method.kind.value,
                            "channel": channel})


def page_user(conn: sa.Connection, directory: PagingDirectory, message: Message, user: str,
              via: str | None, now: datetime, timer_key: str, incident_id: str,
              payload: dict[str, Any], dispatch: Dispatch) -> None:
    """Queue the user's immediate contacts and schedule the later ones as timers."""
    contacts = directory.contacts.get(user)
    reason = unreachable_reason(user, contacts, via)
    if reason is not None or contacts is None:
        dispatch.skipped.append(reason or f"user '{user}' has no contact methods")
        return
    for planned in plan_contacts(contacts, now, via):
        if planned.due_at <= now:
            keyed = Message.from_dict(message.to_dict() | {
                "idempotency_key": f"{message.idempotency_key}:{user}:{planned.method.name}"})
            send_to_method(conn, directory, keyed, user, planned.method, now, dispatch)
        else:
            timers.schedule(conn, kind=CONTACT, key=f"{timer_key}:{user}:{planned.key}",
                            due_at=planned.due_at, now=now, incident_id=incident_id,
                            payload={**payload, "user": user, "contact": planned.method.name,
                                     "message": message.to_dict()})
            dispatch.scheduled.append({"user": user, "contact": planned.method.name,
                                       "kind": planned.method.kind.value,
                                       "due_at": isoformat(planned.due_at)})


def method_named(directory: PagingDirectory, user: str, name: str) -> ContactMethod | None:
    contacts = directory.contacts.get(user)
    for method in contacts.methods if contacts else ():
        if method.name == name:
            return method
    return None
