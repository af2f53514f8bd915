"""The notification outbox: rows written with the events that cause them, delivered at least
once by workers, in order per incident and channel, with backoff and a dead-letter state.

Row states: pending → sending → sent, or → failed (waiting to retry) → sending …, or → dead.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

from warroom.engine.leases import claim, renew
from warroom.notify.backoff import RetryPolicy, decide
from warroom.notify.base import DeliveryResult, Message
from warroom.store.engine import outbox, outbox_attempts

if TYPE_CHECKING:
    from warroom.runtime import Runtime

log = logging.getLogger(__name__)
# Short, renewed by a heartbeat while a delivery is in flight: an instance that dies holds
# its few rows back for seconds, not minutes.
LEASE = timedelta(seconds=3)
HEARTBEAT = 1.0  # seconds between lease renewals
CLAIM_LIMIT = 4  # rows in flight per worker: at most this many can go twice if it dies
CLAIM_BUDGET = 1.0  # seconds a delivery run keeps claiming before timers get their turn
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
    claim_id: str | None = None  # the fencing token of the claim that handed out this row


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
                     payload=r.payload, attempts=r.attempts, created_at=r.created_at,
                     claim_id=r.claim_id)


# Kinds that carry an escalation step: across channels, a later one waits while an earlier
# one of the same incident has not been attempted yet, so steps go out in order.
STEP_KINDS = ("page", "escalation")


def _head_of_line() -> sa.ColumnElement[bool]:
    """True for a row with no earlier undelivered row for the same incident and channel, and
    (for pages) no earlier page of the incident still waiting for its first attempt on any
    channel. An earlier page that failed and waits to retry does not hold escalation back."""
    earlier = outbox.alias("earlier")
    same_channel = sa.and_(earlier.c.channel == outbox.c.channel,
                           earlier.c.status.in_(WAITING))
    earlier_step = sa.and_(outbox.c.kind.in_(STEP_KINDS), earlier.c.kind.in_(STEP_KINDS),
                           earlier.c.status.in_(["pending", "sending"]))
    return ~sa.exists().where(
        earlier.c.incident_id == outbox.c.incident_id, earlier.c.id < outbox.c.id,
        sa.or_(same_channel, earlier_step))


def claim_due(runtime: Runtime, worker: str, limit: int = CLAIM_LIMIT) -> list[OutboxRow]:
    now = runtime.clock.now()
    ready = sa.and_(outbox.c.status.in_(["pending", "failed"]), outbox.c.next_attempt_at <= now)
    ordered = sa.or_(outbox.c.incident_id.is_(None), _head_of_line())
    with runtime.engine.begin() as conn:
        rows = claim(conn, outbox, outbox.c.next_attempt_at, ready, now, worker, LEASE, limit,
                     extra=ordered, running_status="sending")
    return [_row(r) for r in rows]


def renew_leases(runtime: Runtime, rows: list[OutboxRow]) -> int:
    """The heartbeat: extend the lease of rows this worker still holds."""
    by_claim: dict[str, list[int]] = {}
    for row in rows:
        if row.claim_id is not None:
            by_claim.setdefault(row.claim_id, []).append(row.id)
    held = 0
    with runtime.engine.begin() as conn:
        for claim_id, ids in by_claim.items():
            held += renew(conn, outbox, ids, claim_id, runtime.clock.now() + LEASE, "sending")
    return held


RecordHook = Callable[[OutboxRow, DeliveryResult, str], None]
# Called inside the transaction that records the outcome (e.g. to append a timeline event in
# the same commit); each call runs in its own savepoint, so a failing hook loses only itself.
RecordInTransaction = Callable[[sa.Connection, OutboxRow, DeliveryResult, str], None]


@dataclass
class OutboxWorker:
    """Delivers claimed rows and records each outcome as soon as its delivery returns."""

    runtime: Runtime
    deliverer: Deliverer
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    rng: random.Random = field(default_factory=random.Random)
    on_result: list[RecordHook] = field(default_factory=list)
    in_transaction: list[RecordInTransaction] = field(default_factory=list)
    worker: str = "worker"
    heartbeat: float = HEARTBEAT

    def run(self, worker: str, limit: int = CLAIM_LIMIT,
            pool: ThreadPoolExecutor | None = None, budget: float = CLAIM_BUDGET) -> int:
        """Deliver what is due, up to `limit` rows in flight at once: each time one returns,
        claim another, for `budget` seconds; then let the last ones finish. Claimed rows never
        share an (incident, channel), so they go out in parallel without breaking
        per-incident order. While any is in flight the leases are renewed every `heartbeat`
        seconds. Returns how many were sent."""
        self.worker = worker
        own = pool is None
        executor = pool or ThreadPoolExecutor(1, thread_name_prefix="warroom-deliver")
        in_flight: dict[Future[str], OutboxRow] = {}
        started = beat = time.monotonic()
        sent = 0
        try:
            while True:
                room = limit - len(in_flight)
                if room > 0 and time.monotonic() - started < budget:
                    for row in self._claim(worker, room):
                        in_flight[executor.submit(self.deliver_one, row)] = row
                        sent += 1
                if not in_flight:
                    return sent
                done, _ = wait_for(in_flight, timeout=self.heartbeat,
                                   return_when=FIRST_COMPLETED)
                for future in done:
                    del in_flight[future]
                if in_flight and time.monotonic() - beat >= self.heartbeat:
                    beat = time.monotonic()
                    try:
                        renew_leases(self.runtime, list(in_flight.values()))
                    except Exception:  # the next beat retries; the lease leaves slack for it
                        log.exception("outbox lease renewal failed")
        finally:
            if own:
                executor.shutdown(wait=True)

    def _claim(self, worker: str, limit: int) -> list[OutboxRow]:
        """Claim due rows; those their destination's rate limit holds back go back to wait."""
        sendable = []
        for row in claim_due(self.runtime, worker, limit):
            wait = self.deliverer.rate_wait(row)
            if wait > 0:
                postpone(self.runtime, row, wait)
            else:
                sendable.append(row)
        return sendable

    def attempt(self, row: OutboxRow) -> DeliveryResult:
        try:
            return self.deliverer.deliver(row)
        except Exception as exc:  # a notifier must not raise; treat it as retryable
            log.exception("notifier for %s raised", row.channel)
            return DeliveryResult.failure("error", f"{type(exc).__name__}", retryable=True)

    def deliver_one(self, row: OutboxRow) -> str:
        """Send one claimed row and record the outcome at once; returns the outcome, or
        "stale" if the claim was lost meanwhile (the result is then only logged as an
        attempt)."""
        started = self.runtime.clock.now()
        result = self.attempt(row)
        try:
            return self.record(row, result, started)
        except Exception:
            log.exception("recording the delivery of %s failed", row.idempotency_key)
            return "unrecorded"

    def record(self, row: OutboxRow, result: DeliveryResult, started: datetime) -> str:
        """Record one outcome, conditional on still holding the row's claim."""
        now = self.runtime.clock.now()
        decision = decide(result, row.attempts + 1, self.policy, self.rng)
        values: dict[str, Any] = {"attempts": row.attempts + 1, "last_status": result.status,
                                  "lease_until": None}
        if decision.outcome == "sent":
            values |= {"status": "sent", "sent_at": now, "last_error": None}
        elif decision.outcome == "retry":
            values |= {"status": "failed", "last_error": decision.reason,
                       "next_attempt_at": now + timedelta(seconds=decision.delay or 0)}
        else:
            values |= {"status": "dead", "last_error": decision.reason}
        with self.runtime.engine.begin() as conn:
            held = conn.execute(sa.update(outbox).where(
                outbox.c.id == row.id, outbox.c.status == "sending",
                outbox.c.claim_id == row.claim_id).values(**values)).rowcount
            outcome = decision.outcome if held else "stale"
            conn.execute(sa.insert(outbox_attempts).values(
                outbox_id=row.id, idempotency_key=row.idempotency_key,
                incident_id=row.incident_id, channel=row.channel, attempt=row.attempts + 1,
                claim_id=row.claim_id or "", worker=self.worker[:64], started_at=started,
                finished_at=now, ok=result.ok, status=(result.status or "")[:64],
                outcome=outcome, detail=None if result.ok else (result.detail or "")[:2000]))
            if not held:
                log.warning("dropped the result of %s: its claim was lost (lease expired and "
                            "another worker took it)", row.idempotency_key)
                return outcome
            for in_tx in self.in_transaction:
                try:
                    with conn.begin_nested():
                        in_tx(conn, row, result, outcome)
                except Exception:
                    log.exception("outbox result hook failed for %s", row.idempotency_key)
        for hook in self.on_result:
            hook(row, result, outcome)
        return outcome


def postpone(runtime: Runtime, row: OutboxRow, seconds: float) -> None:
    """Put a claimed row back without counting an attempt (e.g. rate limited)."""
    with runtime.engine.begin() as conn:
        conn.execute(sa.update(outbox).where(
            outbox.c.id == row.id, outbox.c.claim_id == row.claim_id).values(
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


def attempts(runtime: Runtime, row_id: int) -> list[dict[str, Any]] | None:
    """Every delivery attempt of one outbox row, oldest first; None if there is no such row."""
    from warroom.store.db import read

    with read(runtime.engine) as conn:
        if conn.execute(sa.select(outbox.c.id).where(outbox.c.id == row_id)).first() is None:
            return None
        return [{"attempt": r.attempt, "worker": r.worker, "claim_id": r.claim_id,
                 "started_at": r.started_at, "finished_at": r.finished_at, "ok": r.ok,
                 "status": r.status, "outcome": r.outcome, "detail": r.detail}
                for r in conn.execute(sa.select(outbox_attempts)
                                      .where(outbox_attempts.c.outbox_id == row_id)
                                      .order_by(outbox_attempts.c.id))]


def depth(runtime: Runtime) -> dict[str, int]:
    from warroom.store.db import read

    with read(runtime.engine) as conn:
        rows = conn.execute(sa.select(outbox.c.status, sa.func.count())
                            .group_by(outbox.c.status))
        return {r[0]: int(r[1]) for r in rows}

