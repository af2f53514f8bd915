"""What has been published: the `published` events of incidents, and the instant each status
page component or maintenance was first shown (kept in `kv`, so created_at never moves)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa

from warroom.clock import isoformat, parse_instant
from warroom.domain.events import Event
from warroom.domain.publication import PUBLISHED, Publication, publication
from warroom.store.incidents import _row_to_event
from warroom.store.schema import incident_events, incidents, kv

FIRST_SEEN = "status.first_seen:"
_CHUNK = 500


def published_clause() -> sa.ColumnElement[bool]:
    """True for incidents someone (or a service's auto_publish policy) has published."""
    return sa.exists().where(incident_events.c.incident_id == incidents.c.id,
                             incident_events.c.kind == PUBLISHED)


def published_events(conn: sa.Connection, incident_ids: Sequence[str]) -> dict[str, list[Event]]:
    found: dict[str, list[Event]] = {}
    for start in range(0, len(incident_ids), _CHUNK):
        chunk = list(incident_ids[start:start + _CHUNK])
        rows = conn.execute(sa.select(incident_events).where(
            incident_events.c.incident_id.in_(chunk), incident_events.c.kind == PUBLISHED)
            .order_by(incident_events.c.incident_id, incident_events.c.seq))
        for row in rows:
            found.setdefault(row.incident_id, []).append(_row_to_event(row))
    return found


def publications(conn: sa.Connection, incident_ids: Sequence[str]) -> dict[str, Publication]:
    result: dict[str, Publication] = {}
    for incident_id, events in published_events(conn, incident_ids).items():
        found = publication(events)
        if found is not None:
            result[incident_id] = found
    return result


def current(conn: sa.Connection, incident_id: str) -> Publication | None:
    return publications(conn, [incident_id]).get(incident_id)


def first_seen(conn: sa.Connection, keys: Iterable[str]) -> dict[str, datetime]:
    wanted = [FIRST_SEEN + k for k in keys]
    rows = conn.execute(sa.select(kv.c.key, kv.c.value).where(kv.c.key.in_(wanted)))
    return {r.key[len(FIRST_SEEN):]: parse_instant(r.value) for r in rows}


def record_first_seen(conn: sa.Connection, keys: Iterable[str], now: datetime) -> None:
    """Stamp keys not seen before with `now`; a concurrent stamp wins and is kept."""
    for key in keys:
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(kv).values(key=FIRST_SEEN + key, value=isoformat(now)))
        except sa.exc.IntegrityError:
            pass
