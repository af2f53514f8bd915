"""The admin and config audit chain: hash-chained like incident timelines, chain id 'audit'."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from warroom.domain.events import GENESIS_HASH, Event, seal
from warroom.store.schema import audit_events

AUDIT_CHAIN = "audit"
_AUDIT_LOCK = 7_277_001  # advisory lock key serialising audit appends on PostgreSQL


def append_audit(conn: sa.Connection, actor: str, kind: str, data: dict[str, Any],
                 at: datetime) -> Event:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _AUDIT_LOCK})
    head = conn.execute(sa.select(audit_events.c.seq, audit_events.c.hash)
                        .order_by(audit_events.c.seq.desc()).limit(1)).first()
    seq, prev = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    event = seal(AUDIT_CHAIN, seq + 1, at, actor, kind, data, prev)
    conn.execute(sa.insert(audit_events).values(
        seq=event.seq, at=event.at, actor=actor, kind=kind, data=data,
        prev_hash=event.prev_hash, hash=event.hash))
    return event


def load_audit(conn: sa.Connection) -> list[Event]:
    rows = conn.execute(sa.select(audit_events).order_by(audit_events.c.seq))
    return [Event(chain=AUDIT_CHAIN, seq=r.seq, at=r.at, actor=r.actor, kind=r.kind,
                  data=r.data, prev_hash=r.prev_hash, hash=r.hash) for r in rows]
