"""Claiming due rows under a lease: SKIP LOCKED on PostgreSQL, the write lock on SQLite."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa


def claim(conn: sa.Connection, table: sa.Table, due_column: sa.Column[Any],
          ready: sa.ColumnElement[bool], now: datetime, worker: str, lease: timedelta,
          limit: int, extra: sa.ColumnElement[bool] | None = None,
          running_status: str = "running") -> list[sa.Row[Any]]:
    """Mark up to `limit` due rows as claimed by `worker` until now + lease; return them.

    A row is due when `ready` holds (e.g. pending and due_at <= now) or when another worker's
    lease on it has expired (that worker died mid-pass). Every claim writes a new `claim_id`
    (a fencing token): a result may be recorded only while the row still carries it, so a
    worker whose lease lapsed cannot overwrite the result of the one that reclaimed the row."""
    expired = sa.and_(table.c.status == running_status, table.c.lease_until < now)
    where = sa.or_(ready, expired)
    if extra is not None:
        where = sa.and_(where, extra)
    query = sa.select(table.c.id).where(where).order_by(due_column, table.c.id).limit(limit)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = [r.id for r in conn.execute(query)]
    if not ids:
        return []
    conn.execute(sa.update(table).where(table.c.id.in_(ids)).values(
        status=running_status, lease_until=now + lease, claimed_by=worker[:64],
        claim_id=secrets.token_hex(8)))
    return list(conn.execute(sa.select(table).where(table.c.id.in_(ids))
                             .order_by(due_column, table.c.id)))


def renew(conn: sa.Connection, table: sa.Table, ids: list[int], claim_id: str,
          until: datetime, running_status: str = "running") -> int:
    """Extend the lease on rows still held under `claim_id` (the heartbeat of a long
    delivery); returns how many are still held."""
    if not ids:
        return 0
    return int(conn.execute(sa.update(table).where(
        table.c.id.in_(ids), table.c.claim_id == claim_id,
        table.c.status == running_status).values(lease_until=until)).rowcount or 0)


def try_singleton(conn: sa.Connection, name: str) -> bool:
    """Take a transaction-scoped advisory lock for a singleton pass (always True on SQLite,
    where the write transaction already serialises passes)."""
    if conn.dialect.name != "postgresql":
        return True
    key = int.from_bytes(name.encode()[:8].ljust(8, b"\0"), "big") & 0x7FFFFFFFFFFFFFFF
    return bool(conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:k)"),
                             {"k": key}).scalar())
