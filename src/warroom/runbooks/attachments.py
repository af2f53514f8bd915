"""Runbooks on an incident: suggestions ranked by `applies_to`, and attach/detach as events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from warroom.domain.errors import Conflict, NotFound
from warroom.domain.events import Event
from warroom.domain.incident import Draft, IncidentState
from warroom.runbooks.facts import incident_alerts, incident_facts
from warroom.runbooks.journal import Committed
from warroom.runbooks.matching import RunbookSuggestion, rank_runbooks
from warroom.runbooks.registry import registry
from warroom.services.principal import Principal, require
from warroom.store import db
from warroom.store.runbooks import runbook_attachments

if TYPE_CHECKING:
    from warroom.runtime import Runtime


@dataclass(frozen=True)
class Attachment:
    runbook_id: str
    attached_by: str
    attached_at: datetime


class AttachmentService:
    def __init__(self, runtime: Runtime) -> None:
        from warroom.services.incidents import IncidentService

        self.rt = runtime
        self.incidents = IncidentService(runtime)

    def suggest(self, principal: Principal | None, ref: str,
                limit: int = 10) -> list[RunbookSuggestion]:
        state = self.incidents.get(principal, ref)
        with db.read(self.rt.engine) as conn:
            alerts = incident_alerts(conn, state.id)
        configured = [s.runbooks for s in self.rt.config.services if s.name in state.services]
        ranked = rank_runbooks(registry(self.rt).runbooks, incident_facts(state, alerts))
        # a service's own `runbooks:` list in org config counts like a service match
        named = {rid for ids in configured for rid in ids}
        bonus = [RunbookSuggestion(s.runbook_id, s.score + 30,
                                   (*s.reasons, "listed in the service's runbooks"))
                 if s.runbook_id in named else s for s in ranked]
        for rid in sorted(named - {s.runbook_id for s in ranked}):
            if registry(self.rt).get(rid) is not None:
                bonus.append(RunbookSuggestion(rid, 30, ("listed in the service's runbooks",)))
        bonus.sort(key=lambda s: (-s.score, s.runbook_id))
        return bonus[:limit]

    def attached(self, principal: Principal | None, ref: str) -> list[Attachment]:
        state = self.incidents.get(principal, ref)
        with db.read(self.rt.engine) as conn:
            rows = conn.execute(sa.select(runbook_attachments).where(
                runbook_attachments.c.incident_id == state.id)
                .order_by(runbook_attachments.c.attached_at))
            return [Attachment(r.runbook_id, r.attached_by, r.attached_at) for r in rows]

    def attach(self, principal: Principal | None, ref: str, runbook_id: str) -> Attachment:
        who = require(principal, "responder", "attaching a runbook")
        state = self.incidents.get(who, ref)
        runbook = registry(self.rt).get(runbook_id)
        if runbook is None:
            raise NotFound(f"no runbook {runbook_id!r}; list them with `warroom runbook list`")
        now = self.rt.clock.now()
        with self.rt.engine.begin() as conn:
            exists = conn.execute(sa.select(runbook_attachments.c.runbook_id).where(
                runbook_attachments.c.incident_id == state.id,
                runbook_attachments.c.runbook_id == runbook_id)).first()
            if exists:
                raise Conflict(f"runbook {runbook_id!r} is already attached to "
                               f"{state.human_id}")
            conn.execute(sa.insert(runbook_attachments).values(
                incident_id=state.id, runbook_id=runbook_id, attached_by=who.name,
                attached_at=now))
            result = self.incidents.append_system(state.id, [Draft("runbook_attached", {
                "runbook_id": runbook_id, "title": runbook.title})], who.name, conn=conn)
        self._after(result.incident, result.events)
        return Attachment(runbook_id, who.name, now)

    def detach(self, principal: Principal | None, ref: str, runbook_id: str) -> None:
        who = require(principal, "responder", "detaching a runbook")
        state = self.incidents.get(who, ref)
        with self.rt.engine.begin() as conn:
            gone = conn.execute(sa.delete(runbook_attachments).where(
                runbook_attachments.c.incident_id == state.id,
                runbook_attachments.c.runbook_id == runbook_id)).rowcount
            if not gone:
                raise NotFound(f"runbook {runbook_id!r} is not attached to {state.human_id}")
            result = self.incidents.append_system(state.id, [Draft("runbook_detached", {
                "runbook_id": runbook_id})], who.name, conn=conn)
        self._after(result.incident, result.events)

    def _after(self, state: IncidentState, events: list[Event]) -> None:
        Committed([(state, events)]).flush(self.rt)
