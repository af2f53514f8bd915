"""Where a run's events go: the incident timeline for incident runs, the run's own hash chain
for standalone runs. Both are written in the caller's transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from warroom.domain.events import GENESIS_HASH, Event, seal
from warroom.domain.incident import Draft, IncidentState
from warroom.store.runbooks import run_events, runbook_runs

if TYPE_CHECKING:
    from warroom.runtime import Runtime

log = logging.getLogger(__name__)


def run_chain(run_id: str) -> str:
    return f"run:{run_id}"


@dataclass
class Committed:
    """Incident events appended in a transaction, for the after-commit hooks once it ends."""

    appended: list[tuple[IncidentState, list[Event]]] = field(default_factory=list)

    def flush(self, runtime: Runtime) -> None:
        for state, events in self.appended:
            for hook in runtime.hooks.after_commit:
                try:
                    hook(state, events)
                except Exception:  # a listener must never undo a committed change
                    log.exception("after-commit hook failed")
        self.appended.clear()


def record(runtime: Runtime, conn: sa.Connection, run_id: str, incident_id: str | None,
           drafts: list[Draft], actor: str, committed: Committed | None = None) -> list[Event]:
    """Append `drafts` for a run: to its incident, or to the run's own chain."""
    if not drafts:
        return []
    if incident_id:
        from warroom.services.incidents import IncidentService

        result = IncidentService(runtime).append_system(incident_id, drafts, actor, conn=conn)
        if committed is not None:
            committed.appended.append((result.incident, result.events))
        return result.events
    return append_run_events(conn, run_id, drafts, actor, runtime.clock.now())


def append_run_events(conn: sa.Connection, run_id: str, drafts: list[Draft], actor: str,
                      at: datetime) -> list[Event]:
    query = sa.select(runbook_runs.c.last_seq, runbook_runs.c.head_hash).where(
        runbook_runs.c.id == run_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    head = conn.execute(query).first()
    seq, prev = (head.last_seq, head.head_hash) if head else (0, GENESIS_HASH)
    events = []
    for draft in drafts:
        event = seal(run_chain(run_id), seq + 1, at, actor, draft.kind, draft.data, prev)
        conn.execute(sa.insert(run_events).values(
            run_id=run_id, seq=event.seq, at=event.at, actor=actor, kind=event.kind,
            data=event.data, prev_hash=event.prev_hash, hash=event.hash))
        seq, prev = event.seq, event.hash
        events.append(event)
    conn.execute(sa.update(runbook_runs).where(runbook_runs.c.id == run_id).values(
        last_seq=seq, head_hash=prev))
    return events


def load_run_events(conn: sa.Connection, run_id: str) -> list[Event]:
    rows = conn.execute(sa.select(run_events).where(run_events.c.run_id == run_id)
                        .order_by(run_events.c.seq))
    return [Event(chain=run_chain(run_id), seq=r.seq, at=r.at, actor=r.actor, kind=r.kind,
                  data=r.data, prev_hash=r.prev_hash, hash=r.hash) for r in rows]
