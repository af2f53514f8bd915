"""Incident storage: the event chain, the projection row, and queries over it."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from warroom.clock import isoformat, parse_instant
from warroom.domain.events import GENESIS_HASH, Event, seal
from warroom.domain.incident import Draft, IncidentState, apply
from warroom.store.schema import (
    incident_counters,
    incident_events,
    incident_participants,
    incident_services,
    incidents,
)


def new_incident_id() -> str:
    return uuid.uuid4().hex


def next_human_id(conn: sa.Connection, year: int, restricted: bool = False) -> str:
    """Allocate INC-<year>-<seq>, or SEC-<year>-<seq> for an incident restricted from the
    start: a separate sequence, so gaps in INC- numbers never reveal hidden incidents. The
    counter row update serialises concurrent declares; the SEC- row is keyed by -year."""
    prefix, key = ("SEC", -year) if restricted else ("INC", year)
    updated = conn.execute(
        sa.update(incident_counters).where(incident_counters.c.year == key)
        .values(value=incident_counters.c.value + 1).returning(incident_counters.c.value)
    ).scalar()
    if updated is None:
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(incident_counters).values(year=key, value=1))
            updated = 1
        except sa.exc.IntegrityError:
            updated = conn.execute(
                sa.update(incident_counters).where(incident_counters.c.year == key)
                .values(value=incident_counters.c.value + 1)
                .returning(incident_counters.c.value)).scalar_one()
    return f"{prefix}-{year}-{updated:04d}"


def _row_to_event(row: sa.Row[Any]) -> Event:
    return Event(chain=row.incident_id, seq=row.seq, at=row.at, actor=row.actor,
                 kind=row.kind, data=row.data, prev_hash=row.prev_hash, hash=row.hash)


def load_events(conn: sa.Connection, incident_id: str, after_seq: int = 0,
                limit: int | None = None) -> list[Event]:
    query = (sa.select(incident_events).where(incident_events.c.incident_id == incident_id)
             .where(incident_events.c.seq > after_seq).order_by(incident_events.c.seq))
    if limit is not None:
        query = query.limit(limit)
    return [_row_to_event(r) for r in conn.execute(query)]


def lock_state(conn: sa.Connection, incident_id: str) -> IncidentState | None:
    """Read the projection for update (row lock on PostgreSQL; SQLite holds the db lock)."""
    query = sa.select(incidents).where(incidents.c.id == incident_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    return None if row is None else state_from_row(row)


def state_from_row(row: sa.Row[Any]) -> IncidentState:
    return IncidentState(
        id=row.id, human_id=row.human_id, title=row.title, severity=row.severity,
        type=row.type, status=row.status, impact=row.impact, visibility=row.visibility,
        services=tuple(row.services), roles=tuple(tuple(p) for p in row.roles),  # type: ignore[misc]
        responders=tuple(row.responders), created_by=row.created_by, is_drill=row.is_drill,
        resolution=row.resolution, users_affected=row.users_affected,
        started_at=row.started_at, detected_at=row.detected_at, declared_at=row.declared_at,
        acknowledged_at=row.acknowledged_at, mitigated_at=row.mitigated_at,
        resolved_at=row.resolved_at, closed_at=row.closed_at, updated_at=row.updated_at,
        last_seq=row.last_seq, head_hash=row.head_hash,
    )


def row_values(state: IncidentState) -> dict[str, Any]:
    """The `incidents` row of a state: what append writes, and what a bulk loader inserts."""
    return {
        "id": state.id, "human_id": state.human_id, "title": state.title,
        "severity": state.severity, "type": state.type, "status": state.status,
        "impact": state.impact, "visibility": state.visibility,
        "services": list(state.services), "roles": [list(p) for p in state.roles],
        "responders": list(state.responders), "created_by": state.created_by,
        "is_drill": state.is_drill, "resolution": state.resolution,
        "users_affected": state.users_affected, "started_at": state.started_at,
        "detected_at": state.detected_at, "declared_at": state.declared_at,
        "acknowledged_at": state.acknowledged_at, "mitigated_at": state.mitigated_at,
        "resolved_at": state.resolved_at, "closed_at": state.closed_at,
        "updated_at": state.updated_at, "last_seq": state.last_seq,
        "head_hash": state.head_hash,
    }


def append(conn: sa.Connection, incident_id: str, state: IncidentState | None,
           drafts: Sequence[Draft], actor: str, at: datetime) -> tuple[IncidentState, list[Event]]:
    """Seal drafts onto the chain, insert them and write the projection, in `conn`'s txn."""
    seq = state.last_seq if state else 0
    prev = state.head_hash if state else GENESIS_HASH
    events: list[Event] = []
    new_state = state
    for draft in drafts:
        seq += 1
        event = seal(incident_id, seq, at, actor, draft.kind, draft.data, prev)
        prev = event.hash
        events.append(event)
        new_state = apply(new_state, event)
    if new_state is None:
        raise ValueError("append needs at least one event")
    values = row_values(new_state)
    if state is None:
        conn.execute(sa.insert(incidents).values(**values))
    else:
        conn.execute(sa.update(incidents).where(incidents.c.id == incident_id).values(**values))
    conn.execute(sa.insert(incident_events), [
        {"incident_id": e.chain, "seq": e.seq, "at": e.at, "actor": e.actor, "kind": e.kind,
         "data": e.data, "prev_hash": e.prev_hash, "hash": e.hash} for e in events])
    _sync_links(conn, state, new_state)
    return new_state, events


def _sync_links(conn: sa.Connection, old: IncidentState | None, new: IncidentState) -> None:
    old_services = set(old.services) if old else set()
    added = set(new.services) - old_services
    if added:
        conn.execute(sa.insert(incident_services),
                     [{"incident_id": new.id, "service": s} for s in sorted(added)])
    old_people = old.participants() if old else set()
    people = new.participants() - old_people
    if people:
        conn.execute(sa.insert(incident_participants),
                     [{"incident_id": new.id, "username": u} for u in sorted(people)])


HUMAN_PREFIXES = ("INC-", "SEC-")


def is_human_id(ref: str) -> bool:
    return ref.upper().startswith(HUMAN_PREFIXES)


def find_id(conn: sa.Connection, ref: str) -> str | None:
    """Resolve a human id (INC-2026-0042 or SEC-2026-0003, case-insensitive) or an internal
    id."""
    human = is_human_id(ref)
    col = incidents.c.human_id if human else incidents.c.id
    value = ref.upper() if human else ref
    return conn.execute(sa.select(incidents.c.id).where(col == value)).scalar()


@dataclass(frozen=True)
class IncidentFilter:
    status: Sequence[str] = ()
    severity: Sequence[str] = ()
    service: str | None = None
    type: str | None = None
    since: datetime | None = None
    text: str | None = None
    open_only: bool = False
    include_drills: bool = True


def visibility_clause(username: str | None, sees_restricted: bool) -> sa.ColumnElement[bool]:
    """Restricted incidents are visible only to participants (unless security or admin)."""
    if sees_restricted:
        return sa.true()
    normal = incidents.c.visibility == "normal"
    if username is None:
        return normal
    participant = sa.exists().where(
        incident_participants.c.incident_id == incidents.c.id,
        incident_participants.c.username == username)
    return sa.or_(normal, participant)


def linked_visibility_clause(column: sa.ColumnElement[Any], username: str | None,
                             sees_restricted: bool) -> sa.ColumnElement[bool]:
    """For rows that point at an incident (alerts, runs, approvals): visible when they point
    at none, or at an incident the caller may see. Restricted incidents are few, so the
    hidden set is small."""
    if sees_restricted:
        return sa.true()
    hidden = sa.select(incidents.c.id).where(incidents.c.visibility != "normal")
    if username is not None:
        hidden = hidden.where(~sa.exists().where(
            incident_participants.c.incident_id == incidents.c.id,
            incident_participants.c.username == username))
    return sa.or_(column.is_(None), column.not_in(hidden))


# The FTS5 trigram table migration 0009 keeps in step with incidents (SQLite only).
incident_search = sa.table("incident_search", sa.column("incident_id"), sa.column("body"))
SEARCH_TEXT = sa.func.lower(sa.literal_column(
    "human_id || ' ' || title || ' ' || impact", sa.Text))
TRIGRAM = 3
# Lists say "1,000+" rather than count a broad filter over a long history exactly.
COUNT_CAP = 1000
# Past this many matches a term is common: walking incidents newest first and testing each
# finds a page of matches sooner than collecting every match from the index and sorting.
COMMON_TERM = 2000


def text_clause(conn: sa.Connection, text: str) -> sa.ColumnElement[bool]:
    """Case-insensitive substring search over human id, title and impact.

    SQLite answers rare terms from the trigram FTS table; PostgreSQL's LIKE on the same
    expression is served by the pg_trgm index where it exists. Needles shorter than a
    trigram, and common terms, are tested row by row."""
    needle = text.lower()
    if conn.dialect.name == "sqlite" and len(needle) >= TRIGRAM:
        phrase = '"' + needle.replace('"', '""') + '"'
        matches = sa.select(incident_search.c.incident_id).where(
            incident_search.c.body.op("MATCH")(phrase))
        found = conn.execute(sa.select(sa.func.count()).select_from(
            matches.limit(COMMON_TERM + 1).subquery())).scalar_one()
        if found <= COMMON_TERM:
            return incidents.c.id.in_(matches)
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return SEARCH_TEXT.like(pattern, escape="\\")


def _filter_clauses(conn: sa.Connection, flt: IncidentFilter) -> list[sa.ColumnElement[bool]]:
    clauses: list[sa.ColumnElement[bool]] = []
    if flt.status:
        clauses.append(incidents.c.status.in_(list(flt.status)))
    if flt.open_only:
        clauses.append(incidents.c.status.not_in(["resolved", "closed"]))
    if flt.severity:
        clauses.append(incidents.c.severity.in_(list(flt.severity)))
    if flt.type:
        clauses.append(incidents.c.type == flt.type)
    if flt.since:
        clauses.append(incidents.c.declared_at >= flt.since)
    if not flt.include_drills:
        clauses.append(incidents.c.is_drill.is_(False))
    if flt.service:
        clauses.append(sa.exists().where(incident_services.c.incident_id == incidents.c.id,
                                         incident_services.c.service == flt.service))
    if flt.text:
        clauses.append(text_clause(conn, flt.text))
    return clauses


def encode_cursor(state: IncidentState) -> str:
    raw = json.dumps([isoformat(state.declared_at), state.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, ident = json.loads(base64.urlsafe_b64decode(padded))
        return parse_instant(at), str(ident)
    except (ValueError, TypeError) as exc:
        raise ValueError("invalid cursor; pass the `next_cursor` value from a previous page")\
            from exc


def list_incidents(conn: sa.Connection, flt: IncidentFilter, visible: sa.ColumnElement[bool],
                   limit: int, cursor: str | None) -> tuple[list[IncidentState], str | None]:
    query = sa.select(incidents).where(visible, *_filter_clauses(conn, flt))
    if cursor:
        at, ident = decode_cursor(cursor)
        query = query.where(sa.or_(incidents.c.declared_at < at,
                                   sa.and_(incidents.c.declared_at == at, incidents.c.id < ident)))
    query = query.order_by(incidents.c.declared_at.desc(), incidents.c.id.desc()).limit(limit + 1)
    rows = [state_from_row(r) for r in conn.execute(query)]
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def count_incidents(conn: sa.Connection, flt: IncidentFilter, visible: sa.ColumnElement[bool],
                    cap: int | None = None) -> int:
    """How many incidents match; with `cap`, stop counting at cap + 1 (a broad filter over a
    large history then costs no more than `cap` rows)."""
    if cap is None:
        query = sa.select(sa.func.count()).select_from(incidents).where(
            visible, *_filter_clauses(conn, flt))
    else:
        matching = sa.select(sa.literal(1)).select_from(incidents).where(
            visible, *_filter_clauses(conn, flt)).limit(cap + 1)
        query = sa.select(sa.func.count()).select_from(matching.subquery())
    return int(conn.execute(query).scalar_one())


def count_by_severity(conn: sa.Connection, flt: IncidentFilter,
                      visible: sa.ColumnElement[bool]) -> dict[str, int]:
    query = sa.select(incidents.c.severity, sa.func.count()).where(
        visible, *_filter_clauses(conn, flt)).group_by(incidents.c.severity)
    return {severity: int(n) for severity, n in conn.execute(query)}
