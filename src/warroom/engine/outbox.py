"""The notification outbox: rows written with the events that cause them, delivered at least
once by workers, in order per incident and channel, with backoff and a dead-letter state.

Row states: pending → sending → sent, or → failed (waiting to retry) → sending …, or → dead.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

from warroom.engine.leases import claim
from warroom.notify.backoff import RetryPolicy, decide
from warroom.notify.base import DeliveryResult, Message
from warroom.store.engine import outbox

if TYPE_CHECKING:
    from warroom.runtime import Runtime

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=120)
WAITING = ("pending", "sending", "failed")


@dataclass(frozen=True)
class OutboxRow:
    id: int
    idempotency_key: str
    channel: str
    destination: str | None
    incident_id: str | None
    kind: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime


class Deliverer(Protocol):
    def deliver(self, row: OutboxRow) -> DeliveryResult:
        """Send one row; must not raise for delivery problems."""
        ...

    def rate_wait(self, row: OutboxRow) -> float:
        """Seconds to hold the row back for its destination's rate limit (0 = send now)."""
        ...


def enqueue(conn: sa.Connection, *, message: Message, channel: str, now: datetime,
            destination: str | None = None, not_before: datetime | None = None) -> bool:
    """Queue `message` for `channel` in the caller's transaction. The idempotency key makes a
    second enqueue of the same message a no-op; returns True if a row was added."""
    key = f"{message.idempotency_key}:{channel}:{destination or ''}"
    if conn.execute(sa.select(outbox.c.id).where(outbox.c.idempotency_key == key)).first():
        return False
    conn.execute(sa.insert(outbox).values(
        idempotency_key=key, channel=channel, destination=destination,
        incident_id=message.incident_id or None, kind=message.kind,
        payload=message.to_dict() | {"idempotency_key": key}, status="pending", attempts=0,
        next_attempt_at=not_before or now, created_at=now))
    return True


def _row(r: sa.Row[Any]) -> OutboxRow:
    return OutboxRow(id=r.id, idempotency_key=r.idempotency_key, channel=r.channel,
                     destination=r.destination, incident_id=r.incident_id, kind=r.kind,
                     payload=r.payload, attempts=r.attempts, created_at=r.created_at)


def _head_of_line() -> sa.ColumnElement[bool]:
    """True for a row with no earlier undelivered row for the same incident and channel."""
    earlier = outbox.alias("earlier")
    return ~sa.exists().where(
        earlier.c.incident_id == outbox.c.incident_id, earlier.c.channel == outbox.c.channel,
        earlier.c.id < outbox.c.id, earlier.c.status.in_(WAITING))


def claim_due(runtime: Runtime, worker: str, limit: int = 100) -> list[OutboxRow]:
    now = runtime.clock.now()
    ready = sa.and_(outbox.c.status.in_(["pending", "failed"]), outbox.c.next_attempt_at <= now)
    ordered = sa.or_(outbox.c.incident_id.is_(None), _head_of_line())
    with runtime.engine.begin() as conn:
        rows = claim(conn, outbox, outbox.c.next_attempt_at, ready, now, worker, LEASE, limit,
                     extra=ordered, running_status="sending")
    return [_row(r) for r in rows]


RecordHook = Callable[[OutboxRow, DeliveryResult, str], None]
# Called inside the transaction that records the outcome (e.g. to append a timeline event in
# the same commit); each call runs in its own savepoint, so a failing hook loses only itself.
RecordInTransaction = Callable[[sa.Connection, OutboxRow, DeliveryResult, str], None]


@dataclass
class OutboxWorker:
    """Delivers claimed rows and records the outcomes, one transaction per claimed batch."""

    runtime: Runtime
    deliverer: Deliverer
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    rng: random.Random = field(default_factory=random.Random)
    on_result: list[RecordHook] = field(default_factory=list)
    in_transaction: list[RecordInTransaction] = field(default_factory=list)

    def run(self, worker: str, limit: int = 100,
            pool: ThreadPoolExecutor | None = None) -> int:
        """Deliver what is due. Claimed rows never share an (incident, channel), so they can
        go out in parallel without breaking per-incident order."""
        rows = claim_due(self.runtime, worker, limit)
        sendable = []
        for row in rows:
            wait = self.deliverer.rate_wait(row)
            if wait > 0:
                postpone(self.runtime, row, wait)
            else:
                sendable.append(row)
        if pool is None or len(sendable) < 2:
            results = [self.attempt(row) for row in sendable]
        else:
            results = list(pool.map(self.attempt, sendable))
        self.record(list(zip(sendable, results, strict=True)))
        return len(sendable)

    def attempt(self, row: OutboxRow) -> DeliveryResult:
        try:
            return self.deliverer.deliver(row)
        except Exception as exc:  # a notifier must not raise; treat it as retryable
            log.exception("notifier for %s raised", row.channel)
            return DeliveryResult.failure("error", f"{type(exc).__name__}", retryable=True)

    def deliver_one(self, row: OutboxRow) -> str:
        return self.record([(row, self.attempt(row))])[0]

    def record(self, results: list[tuple[OutboxRow, DeliveryResult]]) -> list[str]:
        """Write every outcome in one transaction; returns the outcomes in order."""
        if not results:
            return []
        now = self.runtime.clock.now()
        outcomes: list[str] = []
        with self.runtime.engine.begin() as conn:
            for row, result in results:
                decision = decide(result, row.attempts + 1, self.policy, self.rng)
                values: dict[str, Any] = {"attempts": row.attempts + 1,
                                          "last_status": result.status, "lease_until": None}
                if decision.outcome == "sent":
                    values |= {"status": "sent", "sent_at": now, "last_error": None}
                elif decision.outcome == "retry":
                    values |= {"status": "failed", "last_error": decision.reason,
                               "next_attempt_at": now + timedelta(seconds=decision.delay or 0)}
                else:
                    values |= {"status": "dead", "last_error": decision.reason}
                conn.execute(sa.update(outbox).where(outbox.c.id == row.id,
                                                     outbox.c.status == "sending")
                             .values(**values))
                outcomes.append(decision.outcome)
                for in_tx in self.in_transaction:
                    try:
                        with conn.begin_nested():
                            in_tx(conn, row, result, decision.outcome)
                    except Exception:
                        log.exception("outbox result hook failed for %s", row.idempotency_key)
        for (row, result), outcome in zip(results, outcomes, strict=True):
            for hook in self.on_result:
                hook(row, result, outcome)
        return outcomes


def postpone(runtime: Runtime, row: OutboxRow, seconds: float) -> None:
    """Put a claimed row back without counting an attempt (e.g. rate limited)."""
    with runtime.engine.begin() as conn:
        conn.execute(sa.update(outbox).where(outbox.c.id == row.id).values(
            status="pending", lease_until=None,
            next_attempt_at=runtime.clock.now() + timedelta(seconds=seconds)))


def retry_dead(runtime: Runtime, row_id: int) -> bool:
    """Manual retry of a dead-lettered row; True if it was dead and is pending again."""
    with runtime.engine.begin() as conn:
        updated = conn.execute(sa.update(outbox).where(
            outbox.c.id == row_id, outbox.c.status == "dead").values(
            status="pending", attempts=0, next_attempt_at=runtime.clock.now(),
            last_error=None)).rowcount
    return bool(updated)


def list_rows(runtime: Runtime, status: str | None = None, limit: int = 100
              ) -> list[dict[str, Any]]:
    from warroom.store.db import read

    query = sa.select(outbox).order_by(outbox.c.id.desc()).limit(limit)
    if status:
        query = query.where(outbox.c.status == status)
    with read(runtime.engine) as conn:
        return [{"id": r.id, "idempotency_key": r.idempotency_key, "channel": r.channel,
                 "destination": r.destination, "incident_id": r.incident_id, "kind": r.kind,
                 "status": r.status, "attempts": r.attempts, "last_status": r.last_status,
                 "last_error": r.last_error, "created_at": r.created_at,
                 "sent_at": r.sent_at, "next_attempt_at": r.next_attempt_at,
                 "subject": r.payload.get("subject")} for r in conn.execute(query)]


def depth(runtime: Runtime) -> dict[str, int]:
    from warroom.store.db import read

    with read(runtime.engine) as conn:
        rows = conn.execute(sa.select(outbox.c.status, sa.func.count())
                            .group_by(outbox.c.status))
        return {r[0]: int(r[1]) for r in rows}

