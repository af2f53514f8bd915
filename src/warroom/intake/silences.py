"""Silences in the database: create, list, expire, and the ones active at an instant."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from warroom.domain.alerts import parse_matcher
from warroom.domain.errors import InvalidCommand, NotFound
from warroom.routing.silences import Silence, SilenceSpec
from warroom.store.alerts import silences as table


def create(conn: sa.Connection, spec: SilenceSpec, now: datetime) -> Silence:
    silence = spec.to_silence(uuid.uuid4().hex)
    conn.execute(sa.insert(table).values(
        id=silence.id, matchers=[str(m) for m in silence.matchers],
        starts_at=silence.starts_at, ends_at=silence.ends_at, created_by=silence.created_by,
        comment=silence.comment, created_at=now))
    return silence


def _from_row(row: Any) -> Silence:
    return Silence(row.id, tuple(parse_matcher(m) for m in row.matchers), row.starts_at,
                   row.ends_at, row.created_by, row.comment)


def load_active(conn: sa.Connection, now: datetime) -> list[Silence]:
    rows = conn.execute(sa.select(table).where(table.c.starts_at <= now, table.c.ends_at > now))
    return [_from_row(row) for row in rows]


def list_silences(conn: sa.Connection, now: datetime,
                  include_expired: bool = False) -> list[Silence]:
    query = sa.select(table).order_by(table.c.ends_at.desc(), table.c.id)
    if not include_expired:
        query = query.where(table.c.ends_at > now)
    return [_from_row(row) for row in conn.execute(query)]


def get(conn: sa.Connection, silence_id: str) -> Silence:
    row = conn.execute(sa.select(table).where(table.c.id == silence_id)).first()
    if row is None:
        raise NotFound(f"no silence {silence_id!r}; list them with `warroom silence list`")
    return _from_row(row)


def expire(conn: sa.Connection, silence_id: str, by: str, now: datetime) -> Silence:
    """End a silence now; future silences end before they start."""
    current = get(conn, silence_id)
    if current.ends_at <= now:
        raise InvalidCommand(f"silence {silence_id} already ended at "
                             f"{current.ends_at.isoformat()}")
    conn.execute(sa.update(table).where(table.c.id == silence_id).values(
        ends_at=max(now, current.starts_at), expired_by=by))
    return get(conn, silence_id)


def silence_json(silence: Silence, now: datetime) -> dict[str, Any]:
    state = ("active" if silence.active_at(now) else
             "pending" if silence.starts_at > now else "expired")
    return {"id": silence.id, "matchers": [str(m) for m in silence.matchers],
            "starts_at": silence.starts_at.isoformat(), "ends_at": silence.ends_at.isoformat(),
            "created_by": silence.created_by, "comment": silence.comment, "state": state}
