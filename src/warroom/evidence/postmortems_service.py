"""Stored postmortems: a revision history of Markdown, the draft → in_review → published
workflow, the draft generated on resolve, and the review deadline per severity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from warroom.clock import isoformat
from warroom.domain import incident as dom
from warroom.domain.errors import Conflict, InvalidCommand, NotFound
from warroom.domain.events import Event
from warroom.evidence.durations import DurationError, parse_duration
from warroom.evidence.postmortem import draft_postmortem
from warroom.runtime import Runtime
from warroom.services.incidents import IncidentService
from warroom.services.principal import Principal, require
from warroom.store import db
from warroom.store import incidents as incident_store
from warroom.store.evidence import action_items, postmortem_revisions, postmortems
from warroom.store.schema import incidents

STATUSES = ("draft", "in_review", "published")
# Moving back to draft is allowed (a review can send it back); published is final.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("in_review",),
    "in_review": ("draft", "published"),
    "published": (),
}
DEFAULT_DUE: dict[str, str] = {"P0": "48h", "P1": "48h", "default": "7d"}
DUE_TIMER = "postmortem_due"
DRAFT_TIMER = "postmortem_draft"
MAX_MARKDOWN = 500_000


@dataclass(frozen=True)
class Revision:
    revision: int
    markdown: str
    author: str
    at: datetime


@dataclass(frozen=True)
class Postmortem:
    incident_id: str
    human_id: str
    status: str
    revision: int
    markdown: str
    author: str
    due_at: datetime | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    overdue_at: datetime | None

    def to_json(self) -> dict[str, Any]:

        def ts(value: datetime | None) -> str | None:
            return isoformat(value) if value else None

        return {"incident_id": self.incident_id, "incident": self.human_id,
                "status": self.status, "revision": self.revision, "markdown": self.markdown,
                "author": self.author, "due_at": ts(self.due_at),
                "created_at": ts(self.created_at), "updated_at": ts(self.updated_at),
                "published_at": ts(self.published_at), "overdue_at": ts(self.overdue_at)}


# ------------------------------------------------------------------ config


def due_after(config: dict[str, Any], severity: str) -> timedelta | None:
    """The review deadline after resolution for `severity` (config `postmortems.due`)."""
    due = dict(DEFAULT_DUE)
    configured = config.get("due")
    if isinstance(configured, dict):
        due.update({str(k): str(v) for k, v in configured.items()})
    raw = due.get(severity, due.get("default"))
    if raw in (None, "", "none", "never"):
        return None
    try:
        return parse_duration(str(raw))
    except DurationError as exc:
        raise InvalidCommand(f"postmortems.due.{severity}: {exc}") from exc


# ------------------------------------------------------------------ store


def _load(conn: sa.Connection, incident_id: str) -> Postmortem | None:
    row: Any = conn.execute(
        sa.select(*postmortems.c, postmortem_revisions.c.markdown, postmortem_revisions.c.author,
                  incidents.c.human_id)
        .join(postmortem_revisions, sa.and_(
            postmortem_revisions.c.incident_id == postmortems.c.incident_id,
            postmortem_revisions.c.revision == postmortems.c.revision))
        .join(incidents,
              incidents.c.id == postmortems.c.incident_id)
        .where(postmortems.c.incident_id == incident_id)).first()
    if row is None:
        return None
    return Postmortem(incident_id=row.incident_id, human_id=row.human_id, status=row.status,
                      revision=row.revision, markdown=row.markdown, author=row.author,
                      due_at=row.due_at, created_at=row.created_at, updated_at=row.updated_at,
                      published_at=row.published_at, overdue_at=row.overdue_at)


def latest_markdown(conn: sa.Connection, incident_id: str) -> str | None:
    found = _load(conn, incident_id)
    return found.markdown if found else None


def _add_revision(conn: sa.Connection, incident_id: str, markdown: str, author: str,
                  now: datetime) -> int:
    current = conn.execute(sa.select(postmortems.c.revision)
                           .where(postmortems.c.incident_id == incident_id)).scalar()
    revision = (current or 0) + 1
    conn.execute(sa.insert(postmortem_revisions).values(
        incident_id=incident_id, revision=revision, markdown=markdown, author=author, at=now))
    if current is None:
        conn.execute(sa.insert(postmortems).values(
            incident_id=incident_id, status="draft", revision=revision, due_at=None,
            created_at=now, updated_at=now))
    else:
        conn.execute(sa.update(postmortems).where(postmortems.c.incident_id == incident_id)
                     .values(revision=revision, updated_at=now))
    return revision


def item_dicts(conn: sa.Connection, incident_id: str) -> list[dict[str, Any]]:
    """Action items of an incident as the postmortem template lists them."""
    rows = conn.execute(sa.select(action_items).where(action_items.c.incident_id == incident_id)
                        .order_by(action_items.c.id))
    return [{"title": r.title, "owner": r.owner, "priority": r.priority, "status": r.status,
             "due": r.due_at.strftime("%Y-%m-%d") if r.due_at else None} for r in rows]


# ------------------------------------------------------------------ hooks


def schedule_draft(runtime: Runtime, conn: sa.Connection, state: dom.IncidentState,
                   events: list[Event]) -> None:
    """In-transaction hook: when an incident resolves, schedule its draft for right now.

    The draft is written by the engine worker, not inside the resolving command, so the
    command's own events stay exactly what the command decided."""
    if not any(e.kind == "resolved" for e in events):
        return
    from warroom.engine import timers

    now = runtime.clock.now()
    timers.schedule(conn, kind=DRAFT_TIMER, key=f"{DRAFT_TIMER}:{state.id}", due_at=now,
                    now=now, payload={}, incident_id=state.id)


def template_markdown(conn: sa.Connection, state: dom.IncidentState) -> str:
    """The postmortem template filled in from the incident's timeline and action items."""
    timeline = incident_store.load_events(conn, state.id)
    incident = {"id": state.id, "human_id": state.human_id, "title": state.title,
                "severity": state.severity, "status": state.status,
                "services": list(state.services), "impact": state.impact,
                "users_affected": state.users_affected}
    return draft_postmortem(incident, timeline, item_dicts(conn, state.id))


def draft_now(runtime: Runtime, conn: sa.Connection, incident_id: str) -> bool:
    """Store the generated draft of a resolved incident that has no postmortem yet, schedule
    its review deadline and record `postmortem_drafted`; False when there was nothing to do."""
    if conn.execute(sa.select(postmortems.c.incident_id)
                    .where(postmortems.c.incident_id == incident_id)).first():
        return False
    state = incident_store.lock_state(conn, incident_id)
    if state is None or state.resolved_at is None:
        return False
    from warroom.engine import timers

    now = runtime.clock.now()
    _add_revision(conn, state.id, template_markdown(conn, state), "warroom", now)
    after = due_after(runtime.config.postmortems, state.severity)
    due_at = now + after if after is not None and not state.is_drill else None
    conn.execute(sa.update(postmortems).where(postmortems.c.incident_id == state.id)
                 .values(due_at=due_at))
    if due_at is not None:
        timers.schedule(conn, kind=DUE_TIMER, key=f"{DUE_TIMER}:{state.id}", due_at=due_at,
                        now=now, payload={}, incident_id=state.id)
    data: dict[str, Any] = {"revision": 1, "due_at": isoformat(due_at) if due_at else None}
    IncidentService(runtime).append_system(
        state.id, [dom.Draft("postmortem_drafted", data)], "warroom", conn=conn)
    return True


# ------------------------------------------------------------------ service


class PostmortemService:
    """Reading needs the viewer role; writing needs responder; publishing needs commander."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.incidents = IncidentService(runtime)

    def get(self, principal: Principal | None, ref: str) -> Postmortem:
        state = self.incidents.get(principal, ref)
        with db.read(self.rt.engine) as conn:
            found = _load(conn, state.id)
        if found is None:
            raise NotFound(f"{state.human_id} has no postmortem yet — one is drafted when the "
                           "incident resolves, or PUT one to start it")
        return found

    def template(self, principal: Principal | None, ref: str) -> str:
        """The generated draft to start a postmortem from (what resolving would store)."""
        state = self.incidents.get(principal, ref)
        with db.read(self.rt.engine) as conn:
            return template_markdown(conn, state)

    def revisions(self, principal: Principal | None, ref: str) -> list[Revision]:
        state = self.incidents.get(principal, ref)
        with db.read(self.rt.engine) as conn:
            rows = conn.execute(sa.select(postmortem_revisions)
                                .where(postmortem_revisions.c.incident_id == state.id)
                                .order_by(postmortem_revisions.c.revision))
            return [Revision(r.revision, r.markdown, r.author, r.at) for r in rows]

    def put(self, principal: Principal | None, ref: str, markdown: str) -> Postmortem:
        """Save `markdown` as the next revision (creating the postmortem if needed)."""
        who = require(principal, "responder", "editing a postmortem")
        state = self.incidents.get(who, ref)
        if not markdown.strip():
            raise InvalidCommand("the postmortem Markdown is empty; send the whole document")
        if len(markdown) > MAX_MARKDOWN:
            raise InvalidCommand(f"the postmortem is {len(markdown)} characters; the limit is "
                                 f"{MAX_MARKDOWN}")
        with self.rt.engine.begin() as conn:
            status = conn.execute(sa.select(postmortems.c.status)
                                  .where(postmortems.c.incident_id == state.id)).scalar()
            if status == "published":
                raise Conflict(f"the postmortem of {state.human_id} is published and can no "
                               "longer be edited; record follow-ups as action items instead")
            revision = _add_revision(conn, state.id, markdown, who.name, self.rt.clock.now())
            self.incidents.append_system(state.id, [dom.Draft(
                "postmortem_revised", {"revision": revision})], who.name, conn=conn)
        return self.get(who, state.id)

    def set_status(self, principal: Principal | None, ref: str, status: str) -> Postmortem:
        role = "commander" if status == "published" else "responder"
        who = require(principal, role, f"moving a postmortem to {status}")
        state = self.incidents.get(who, ref)
        if status not in STATUSES:
            raise InvalidCommand(f"unknown postmortem status {status!r}; use "
                                 f"{', '.join(STATUSES)}")
        now = self.rt.clock.now()
        with self.rt.engine.begin() as conn:
            current = conn.execute(sa.select(postmortems.c.status)
                                   .where(postmortems.c.incident_id == state.id)).scalar()
            if current is None:
                raise NotFound(f"{state.human_id} has no postmortem yet")
            if status not in TRANSITIONS[current]:
                allowed = ", ".join(TRANSITIONS[current]) or "none (published is final)"
                raise Conflict(f"cannot move the postmortem of {state.human_id} from {current} "
                               f"to {status}; allowed from {current}: {allowed}")
            values: dict[str, Any] = {"status": status, "updated_at": now}
            if status == "published":
                values["published_at"] = now
            conn.execute(sa.update(postmortems).where(postmortems.c.incident_id == state.id)
                         .values(**values))
            self.incidents.append_system(state.id, [dom.Draft(
                "postmortem_status_changed", {"from": current, "to": status})], who.name,
                conn=conn)
        return self.get(who, state.id)
