"""Durable timers: escalation steps, ack deadlines, reminders, revert deadlines.

A timer is a row with a unique key, so scheduling the same logical timer twice is harmless.
Handlers run in the same transaction that marks the timer done, so their database effects
(events, outbox rows, new timers) happen exactly once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from warroom.engine.leases import claim, renew
from warroom.store.engine import timers

if TYPE_CHECKING:
    from warroom.runtime import Runtime

log = logging.getLogger(__name__)

# Short, and renewed before each batch of a long pass: an instance that dies holds its
# claimed timers back for seconds, not a minute.
LEASE = timedelta(seconds=5)
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Timer:
    id: int
    key: str
    kind: str
    incident_id: str | None
    due_at: datetime
    payload: dict[str, Any]
    attempts: int
    claim_id: str | None = None  # the fencing token of the claim that handed it out


class LostClaim(RuntimeError):
    """The timer was reclaimed by another worker while this one fired it (its lease lapsed):
    this worker's effects are rolled back and the other worker's stand."""


TimerHandler = Callable[["Runtime", sa.Connection, Timer], None]
HANDLERS: dict[str, TimerHandler] = {}
# Kinds whose timers fire in due order per incident: one waits while an earlier timer of the
# same kind and incident is still pending or running (e.g. escalation steps).
ORDERED_KINDS: set[str] = set()


def handler(kind: str) -> Callable[[TimerHandler], TimerHandler]:
    """Register the function that fires timers of `kind`."""

    def register(fn: TimerHandler) -> TimerHandler:
        HANDLERS[kind] = fn
        return fn

    return register


def fire_in_order(kind: str) -> None:
    """Fire timers of `kind` strictly in due order per incident."""
    ORDERED_KINDS.add(kind)


def _in_order() -> sa.ColumnElement[bool]:
    """True for a timer that no earlier timer of its (ordered) kind and incident holds up."""
    if not ORDERED_KINDS:
        return sa.true()
    earlier = timers.alias("earlier")
    kinds = sorted(ORDERED_KINDS)
    return sa.or_(timers.c.kind.not_in(kinds), timers.c.incident_id.is_(None), ~sa.exists().where(
        earlier.c.incident_id == timers.c.incident_id, earlier.c.kind == timers.c.kind,
        earlier.c.status.in_(["pending", "running"]),
        sa.or_(earlier.c.due_at < timers.c.due_at,
               sa.and_(earlier.c.due_at == timers.c.due_at, earlier.c.id < timers.c.id))))


def schedule(conn: sa.Connection, *, kind: str, key: str, due_at: datetime, now: datetime,
             payload: dict[str, Any] | None = None, incident_id: str | None = None) -> bool:
    """Insert a pending timer unless one with `key` exists; True if inserted."""
    exists = conn.execute(sa.select(timers.c.id).where(timers.c.key == key)).first()
    if exists:
        return False
    conn.execute(sa.insert(timers).values(
        key=key, kind=kind, incident_id=incident_id, due_at=due_at, payload=payload or {},
        status="pending", attempts=0, created_at=now))
    return True


def reschedule(conn: sa.Connection, key: str, due_at: datetime) -> None:
    conn.execute(sa.update(timers).where(timers.c.key == key, timers.c.status == "pending")
                 .values(due_at=due_at))


def cancel(conn: sa.Connection, *, incident_id: str | None = None,
           kinds: tuple[str, ...] = (), key_prefix: str | None = None) -> int:
    """Cancel pending timers matching all the given filters; returns how many."""
    query = sa.update(timers).where(timers.c.status.in_(["pending", "running"]))
    if incident_id is not None:
        query = query.where(timers.c.incident_id == incident_id)
    if kinds:
        query = query.where(timers.c.kind.in_(list(kinds)))
    if key_prefix is not None:
        query = query.where(timers.c.key.startswith(key_prefix, autoescape=True))
    return int(conn.execute(query.values(status="cancelled")).rowcount or 0)


def pending(conn: sa.Connection, incident_id: str | None = None,
            kind: str | None = None) -> list[Timer]:
    query = sa.select(timers).where(timers.c.status == "pending").order_by(timers.c.due_at)
    if incident_id is not None:
        query = query.where(timers.c.incident_id == incident_id)
    if kind is not None:
        query = query.where(timers.c.kind == kind)
    return [_timer(r) for r in conn.execute(query)]


def _timer(row: sa.Row[Any]) -> Timer:
    return Timer(id=row.id, key=row.key, kind=row.kind, incident_id=row.incident_id,
                 due_at=row.due_at, payload=row.payload, attempts=row.attempts,
                 claim_id=row.claim_id)


def next_due(engine: sa.Engine) -> datetime | None:
    from warroom.store.db import read

    with read(engine) as conn:
        return conn.execute(sa.select(sa.func.min(timers.c.due_at))
                            .where(timers.c.status == "pending")).scalar()


def fire_due(runtime: Runtime, worker: str, limit: int = 500,
             batch: int = 50) -> list[tuple[Timer, float]]:
    """Fire every due timer (up to `limit`); returns (timer, lateness in seconds) pairs.

    Up to `batch` timers share one transaction (one commit, one fsync), each inside its own
    savepoint so a failing handler rolls back only its own effects."""
    now = runtime.clock.now()
    with runtime.engine.begin() as conn:
        rows = claim(conn, timers, timers.c.due_at,
                     sa.and_(timers.c.status == "pending", timers.c.due_at <= now),
                     now, worker, LEASE, limit, extra=_in_order())
    fired: list[tuple[Timer, float]] = []
    claimed = [_timer(row) for row in rows]
    for start in range(0, len(claimed), max(1, batch)):
        chunk = claimed[start:start + max(1, batch)]
        if start:  # the heartbeat of a long pass: keep the rest of the claim alive
            with runtime.engine.begin() as conn:
                _renew(conn, claimed[start:], runtime.clock.now() + LEASE)
        done: list[Timer] = []
        failed: list[tuple[Timer, Exception]] = []
        try:
            with runtime.engine.begin() as conn:
                for timer in chunk:
                    try:
                        with conn.begin_nested():
                            _fire_one(runtime, conn, timer)
                        done.append(timer)
                    except LostClaim:
                        log.warning("timer %s was reclaimed by another worker; its effects "
                                    "here are rolled back", timer.key)
                    except Exception as exc:
                        log.exception("timer %s (%s) failed", timer.key, timer.kind)
                        failed.append((timer, exc))
        except Exception as batch_error:  # the commit itself failed: every timer is retried
            log.exception("timer batch failed to commit")
            failed = [(timer, batch_error) for timer in chunk]
            done = []
        fired_at = runtime.clock.now()
        fired.extend((timer, (fired_at - timer.due_at).total_seconds()) for timer in done)
        for timer, error in failed:
            _failed(runtime, timer, error)
    return fired


def _fire_one(runtime: Runtime, conn: sa.Connection, timer: Timer) -> None:
    fn = HANDLERS.get(timer.kind)
    if fn is None:
        raise LookupError(f"no handler registered for timer kind {timer.kind!r}")
    fn(runtime, conn, timer)
    held = conn.execute(sa.update(timers).where(
        # Not conditional on the status: the handler may have cancelled its own timer.
        timers.c.id == timer.id, timers.c.claim_id == timer.claim_id).values(
        status="done", fired_at=runtime.clock.now(), lease_until=None)).rowcount
    if not held:
        raise LostClaim(f"timer {timer.key} was reclaimed by another worker")


def _renew(conn: sa.Connection, held: list[Timer], until: datetime) -> None:
    by_claim: dict[str, list[int]] = {}
    for timer in held:
        if timer.claim_id is not None:
            by_claim.setdefault(timer.claim_id, []).append(timer.id)
    for claim_id, ids in by_claim.items():
        renew(conn, timers, ids, claim_id, until)


def _failed(runtime: Runtime, timer: Timer, exc: Exception) -> None:
    attempts = timer.attempts + 1
    now = runtime.clock.now()
    values: dict[str, Any] = {"attempts": attempts, "last_error": f"{type(exc).__name__}: {exc}",
                              "lease_until": None}
    if attempts >= MAX_ATTEMPTS:
        values["status"] = "failed"
    else:
        values |= {"status": "pending",
                   "due_at": now + timedelta(seconds=min(300, 2 ** attempts))}
    with runtime.engine.begin() as conn:
        conn.execute(sa.update(timers).where(timers.c.id == timer.id,
                                             timers.c.claim_id == timer.claim_id)
                     .values(**values))
