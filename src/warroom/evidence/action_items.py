"""Action items: follow-ups with an owner, a due date, a priority and a status, linked to
their incident; created directly or from the postmortem's action-item list."""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

import sqlalchemy as sa

from warroom.clock import isoformat, parse_instant
from warroom.domain import incident as dom
from warroom.domain.errors import InvalidCommand, NotFound
from warroom.engine import outbox
from warroom.notify.base import Message
from warroom.runtime import Runtime
from warroom.services.incidents import IncidentService
from warroom.services.principal import Principal, require
from warroom.store import db
from warroom.store.evidence import action_items, postmortem_revisions, postmortems
from warroom.store.schema import incidents

STATUSES = ("open", "in_progress", "done", "wontfix")
OPEN_STATUSES = ("open", "in_progress")
PRIORITIES = ("P0", "P1", "P2", "P3")
FIELDS = ("title", "owner", "due_at", "priority", "status", "external_url")
_ITEM_LINE = re.compile(r"^\s*[-*]\s+\[(?P<done>[ xX])\]\s+(?P<rest>.+?)\s*$")
_EXTRAS = re.compile(r"\((?P<inner>[^()]*(?:owner|due|priority)\s*:[^()]*)\)\s*$")


@dataclass(frozen=True)
class ActionItem:
    id: int
    incident_id: str
    incident: str
    title: str
    owner: str | None
    due_at: datetime | None
    priority: str
    status: str
    external_url: str | None
    source: str
    created_by: str
    created_at: datetime
    updated_at: datetime

    def overdue(self, now: datetime) -> bool:
        return self.status in OPEN_STATUSES and self.due_at is not None and self.due_at < now

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        return {"id": self.id, "incident_id": self.incident_id, "incident": self.incident,
                "title": self.title, "owner": self.owner,
                "due_at": isoformat(self.due_at) if self.due_at else None,
                "priority": self.priority, "status": self.status,
                "external_url": self.external_url, "source": self.source,
                "created_by": self.created_by, "created_at": isoformat(self.created_at),
                "updated_at": isoformat(self.updated_at),
                "overdue": self.overdue(now) if now is not None else None}


def parse_due(value: Any) -> datetime | None:
    """A due date from an ISO instant or a plain date (end of that day, UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    text = str(value).strip()
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d").date()
            return datetime.combine(day, time(23, 59, 59), UTC)
        return parse_instant(text)
    except ValueError as exc:
        raise InvalidCommand(f"due {text!r} is not a date; use YYYY-MM-DD or an ISO instant "
                             "like 2026-03-09T17:00:00Z") from exc


def items_from_markdown(markdown: str) -> list[dict[str, Any]]:
    """The `- [ ] title (owner: x, due: YYYY-MM-DD, priority: P1)` lines under the
    postmortem's "Action Items" heading; placeholder lines in italics are skipped."""
    found: list[dict[str, Any]] = []
    in_section = False
    for line in markdown.splitlines():
        if line.startswith("#"):
            in_section = line.lstrip("#").strip().lower() == "action items"
            continue
        match = _ITEM_LINE.match(line) if in_section else None
        if match is None:
            continue
        rest = match.group("rest")
        item: dict[str, Any] = {"status": "done" if match.group("done") != " " else "open"}
        extras = _EXTRAS.search(rest)
        if extras:
            rest = rest[: extras.start()].strip()
            for part in extras.group("inner").split(","):
                key, _, value = part.partition(":")
                if key.strip() in ("owner", "due", "priority") and value.strip():
                    item[key.strip()] = value.strip()
        if rest.startswith("_") and rest.endswith("_"):
            continue
        item["title"] = rest
        found.append(item)
    return found


def _item(row: sa.Row[Any]) -> ActionItem:
    return ActionItem(id=row.id, incident_id=row.incident_id, incident=row.human_id,
                      title=row.title, owner=row.owner, due_at=row.due_at,
                      priority=row.priority, status=row.status,
                      external_url=row.external_url, source=row.source,
                      created_by=row.created_by, created_at=row.created_at,
                      updated_at=row.updated_at)


def _select() -> sa.Select[Any]:
    return sa.select(action_items, incidents.c.human_id).join(
        incidents, incidents.c.id == action_items.c.incident_id)


def _check(values: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key not in FIELDS:
            raise InvalidCommand(f"unknown action-item field {key!r}; fields: {', '.join(FIELDS)}")
        clean[key] = value
    if "title" in clean and not str(clean["title"] or "").strip():
        raise InvalidCommand("an action item needs a title")
    if "priority" in clean and clean["priority"] not in PRIORITIES:
        raise InvalidCommand(f"unknown priority {clean['priority']!r}; use "
                             f"{', '.join(PRIORITIES)}")
    if "status" in clean and clean["status"] not in STATUSES:
        raise InvalidCommand(f"unknown status {clean['status']!r}; use {', '.join(STATUSES)}")
    if "due_at" in clean:
        clean["due_at"] = parse_due(clean["due_at"])
    return clean


def tracker_message(item: ActionItem) -> Message:
    """What the external tracker's webhook receives for a new item (JSON in `extra`)."""
    return Message(idempotency_key=f"action-item:{item.id}:created", incident_id=item.incident_id,
                   incident_human_id=item.incident, kind="update",
                   subject=f"[{item.incident}] Action item: {item.title}",
                   body=f"{item.title}\nOwner: {item.owner or 'unassigned'}\nDue: "
                        f"{isoformat(item.due_at) if item.due_at else 'none'}\n"
                        f"Priority: {item.priority}",
                   severity=item.priority, extra={"action_item": item.to_json()})


def tracker_channel(runtime: Runtime) -> str | None:
    """Config `postmortems.action_items.tracker_webhook`: the channel new items go to."""
    section = runtime.config.postmortems.get("action_items")
    value = section.get("tracker_webhook") if isinstance(section, dict) else None
    return str(value) if value else None


class ActionItemService:
    """Listing needs viewer; creating and updating needs responder."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.incidents = IncidentService(runtime)

    def list(self, principal: Principal | None, ref: str | None = None,
             status: str | None = None, owner: str | None = None) -> list[ActionItem]:
        """Items of one incident, or of every incident the caller may see."""
        who = require(principal, "viewer", "listing action items")
        query = _select().order_by(action_items.c.id)
        if ref is not None:
            query = query.where(action_items.c.incident_id == self.incidents.get(who, ref).id)
        else:
            from warroom.store.incidents import visibility_clause

            query = query.where(visibility_clause(who.name, who.sees_restricted))
        if status:
            query = query.where(action_items.c.status == status)
        if owner:
            query = query.where(action_items.c.owner == owner)
        with db.read(self.rt.engine) as conn:
            return [_item(r) for r in conn.execute(query)]

    def get(self, principal: Principal | None, item_id: int) -> ActionItem:
        who = require(principal, "viewer", "reading action items")
        with db.read(self.rt.engine) as conn:
            row = conn.execute(_select().where(action_items.c.id == item_id)).first()
        if row is None:
            raise NotFound(f"no action item {item_id}")
        try:
            self.incidents.get(who, row.incident_id)  # visibility of its incident
        except NotFound:
            # Answer as for a missing item: never echo the hidden incident's internal id.
            raise NotFound(f"no action item {item_id}") from None
        return _item(row)

    def create(self, principal: Principal | None, ref: str, values: Mapping[str, Any],
               source: str = "direct") -> ActionItem:
        who = require(principal, "responder", "creating action items")
        state = self.incidents.get(who, ref)
        clean = _check({"priority": "P2", "status": "open", **values})
        if "title" not in clean:
            raise InvalidCommand("an action item needs a title")
        with self.rt.engine.begin() as conn:
            item = self._insert(conn, state.id, clean, who.name, source)
        return item

    def _insert(self, conn: sa.Connection, incident_id: str, clean: dict[str, Any],
                author: str, source: str) -> ActionItem:
        now = self.rt.clock.now()
        new_id = conn.execute(sa.insert(action_items).values(
            incident_id=incident_id, title=str(clean["title"]).strip(),
            owner=clean.get("owner"), due_at=clean.get("due_at"), priority=clean["priority"],
            status=clean["status"], external_url=clean.get("external_url"), source=source,
            created_by=author, created_at=now, updated_at=now)
            .returning(action_items.c.id)).scalar_one()
        item = _item(conn.execute(_select().where(action_items.c.id == new_id)).one())
        self.incidents.append_system(incident_id, [dom.Draft("action_item_created", {
            "action_item_id": item.id, "title": item.title, "owner": item.owner,
            "priority": item.priority, "due_at": isoformat(item.due_at) if item.due_at else None,
        })], author, conn=conn)
        channel = tracker_channel(self.rt)
        if channel:
            outbox.enqueue(conn, message=tracker_message(item), channel=str(channel), now=now)
        return item

    def update(self, principal: Principal | None, item_id: int,
               values: Mapping[str, Any]) -> ActionItem:
        who = require(principal, "responder", "updating action items")
        current = self.get(who, item_id)
        clean = _check(values)
        if not clean:
            raise InvalidCommand(f"nothing to update; fields: {', '.join(FIELDS)}")
        changed = {k: v for k, v in clean.items() if getattr(current, k) != v}
        now = self.rt.clock.now()
        with self.rt.engine.begin() as conn:
            if changed:
                extra = {"reminded_at": None} if "due_at" in changed else {}
                conn.execute(sa.update(action_items).where(action_items.c.id == item_id)
                             .values(**changed, **extra, updated_at=now))
                self.incidents.append_system(current.incident_id, [dom.Draft(
                    "action_item_updated", {"action_item_id": item_id, "changes": {
                        k: isoformat(v) if isinstance(v, datetime) else v
                        for k, v in changed.items()}})], who.name, conn=conn)
        return self.get(who, item_id)

    def create_from_postmortem(self, principal: Principal | None,
                               ref: str) -> builtins.list[ActionItem]:
        """One item per postmortem action-item line whose title is not an item already."""
        who = require(principal, "responder", "creating action items")
        state = self.incidents.get(who, ref)
        with db.read(self.rt.engine) as conn:
            markdown = conn.execute(
                sa.select(postmortem_revisions.c.markdown).join(postmortems, sa.and_(
                    postmortems.c.incident_id == postmortem_revisions.c.incident_id,
                    postmortems.c.revision == postmortem_revisions.c.revision))
                .where(postmortems.c.incident_id == state.id)).scalar()
            existing = {r.title for r in conn.execute(
                sa.select(action_items.c.title).where(action_items.c.incident_id == state.id))}
        if markdown is None:
            raise NotFound(f"{state.human_id} has no postmortem to take action items from")
        created: builtins.list[ActionItem] = []
        with self.rt.engine.begin() as conn:
            for parsed in items_from_markdown(markdown):
                if parsed["title"] in existing:
                    continue
                values = {"title": parsed["title"], "status": parsed["status"],
                          "priority": parsed.get("priority", "P2")}
                if parsed.get("owner"):
                    values["owner"] = parsed["owner"]
                if parsed.get("due"):
                    values["due_at"] = parsed["due"]
                created.append(self._insert(conn, state.id, _check(values), who.name,
                                            "postmortem"))
                existing.add(parsed["title"])
        return created
