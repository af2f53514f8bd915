"""Paging state kept beside the incident: the escalation plan, update cadence, war room, and
on-call overrides created at runtime. Written in the same transaction as the events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from warroom.clock import isoformat, parse_instant
from warroom.store.schema import metadata
from warroom.store.types import JSONDoc, UTCDateTime

paging_state = sa.Table(
    "paging_state", metadata,
    sa.Column("incident_id", sa.String(32), primary_key=True),
    sa.Column("policy", sa.String(64)),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("steps", JSONDoc, nullable=False),
    sa.Column("fired", JSONDoc, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("update_seq", sa.Integer, nullable=False),
    sa.Column("last_update_at", UTCDateTime),
    sa.Column("next_update_at", UTCDateTime),
    sa.Column("bridge_url", sa.Text),
    sa.Column("chat_channel", sa.String(100)),
    sa.Column("chat_channel_id", sa.String(64)),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

schedule_overrides = sa.Table(
    "schedule_overrides", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("schedule", sa.String(64), nullable=False),
    sa.Column("user", sa.String(64), nullable=False),
    sa.Column("start_at", UTCDateTime, nullable=False),
    sa.Column("end_at", UTCDateTime, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_schedule_overrides_schedule", "schedule", "end_at"),
)

# Acknowledge links that were used: one row per link (its nonce), so each works once.
ack_link_uses = sa.Table(
    "ack_link_uses", metadata,
    sa.Column("nonce", sa.String(64), primary_key=True),
    sa.Column("incident_id", sa.String(32), nullable=False),
    sa.Column("user", sa.String(64), nullable=False),
    sa.Column("used_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class StoredStep:
    """One planned escalation step as stored: JSON-friendly, with its targets spelled out."""

    index: int
    attempt: int
    due_at: datetime
    pass_started_at: datetime
    targets: tuple[dict[str, Any], ...]

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "attempt": self.attempt, "due_at": isoformat(self.due_at),
                "pass_started_at": isoformat(self.pass_started_at),
                "targets": list(self.targets)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoredStep:
        return cls(int(data["index"]), int(data["attempt"]), parse_instant(data["due_at"]),
                   parse_instant(data["pass_started_at"]),
                   tuple(dict(t) for t in data["targets"]))


@dataclass
class PagingState:
    incident_id: str
    severity: str
    policy: str | None = None
    generation: int = 0
    active: bool = False
    steps: list[StoredStep] = field(default_factory=list)
    fired: list[list[int]] = field(default_factory=list)
    """[attempt, index] pairs of the current plan's steps that have fired"""
    note: str = ""
    update_seq: int = 0
    last_update_at: datetime | None = None
    next_update_at: datetime | None = None
    bridge_url: str | None = None
    chat_channel: str | None = None
    chat_channel_id: str | None = None

    def fired_indexes(self, attempt: int) -> set[int]:
        return {index for a, index in self.fired if a == attempt}


def load(conn: sa.Connection, incident_id: str) -> PagingState | None:
    row = conn.execute(sa.select(paging_state)
                       .where(paging_state.c.incident_id == incident_id)).first()
    if row is None:
        return None
    return PagingState(
        incident_id=row.incident_id, severity=row.severity, policy=row.policy,
        generation=row.generation, active=row.active,
        steps=[StoredStep.from_json(s) for s in row.steps],
        fired=[list(pair) for pair in row.fired], note=row.note, update_seq=row.update_seq,
        last_update_at=row.last_update_at, next_update_at=row.next_update_at,
        bridge_url=row.bridge_url, chat_channel=row.chat_channel,
        chat_channel_id=row.chat_channel_id)


def save(conn: sa.Connection, state: PagingState, now: datetime) -> None:
    values = {"severity": state.severity, "policy": state.policy,
              "generation": state.generation, "active": state.active,
              "steps": [s.to_json() for s in state.steps], "fired": state.fired,
              "note": state.note, "update_seq": state.update_seq,
              "last_update_at": state.last_update_at, "next_update_at": state.next_update_at,
              "bridge_url": state.bridge_url, "chat_channel": state.chat_channel,
              "chat_channel_id": state.chat_channel_id, "updated_at": now}
    updated = conn.execute(sa.update(paging_state).where(
        paging_state.c.incident_id == state.incident_id).values(**values)).rowcount
    if not updated:
        conn.execute(sa.insert(paging_state).values(incident_id=state.incident_id, **values))


@dataclass(frozen=True)
class StoredOverride:
    id: int
    schedule: str
    user: str
    start: datetime
    end: datetime
    reason: str
    created_by: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "schedule": self.schedule, "user": self.user,
                "start": isoformat(self.start), "end": isoformat(self.end),
                "reason": self.reason, "created_by": self.created_by}


def add_override(conn: sa.Connection, *, schedule: str, user: str, start: datetime,
                 end: datetime, reason: str, created_by: str, now: datetime) -> StoredOverride:
    new_id = conn.execute(sa.insert(schedule_overrides).values(
        schedule=schedule, user=user, start_at=start, end_at=end, reason=reason,
        created_by=created_by, created_at=now).returning(schedule_overrides.c.id)).scalar_one()
    return StoredOverride(int(new_id), schedule, user, start, end, reason, created_by)


def list_overrides(conn: sa.Connection, schedule: str | None = None,
                   ending_after: datetime | None = None) -> list[StoredOverride]:
    query = sa.select(schedule_overrides).order_by(schedule_overrides.c.id)
    if schedule is not None:
        query = query.where(schedule_overrides.c.schedule == schedule)
    if ending_after is not None:
        query = query.where(schedule_overrides.c.end_at > ending_after)
    return [StoredOverride(r.id, r.schedule, r.user, r.start_at, r.end_at, r.reason,
                           r.created_by) for r in conn.execute(query)]
