"""Durable timers on both engines: fire on time under a fake clock, leases, retries."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from warroom.clock import FakeClock
from warroom.engine import timers
from warroom.runtime import Runtime
from warroom.store.engine import timers as timers_table

FIRED: list[dict[str, Any]] = []


@timers.handler("test.record")
def _record(runtime: Runtime, conn: sa.Connection, timer: timers.Timer) -> None:
    FIRED.append({"key": timer.key, "at": runtime.clock.now(), **timer.payload})


@timers.handler("test.explode")
def _explode(runtime: Runtime, conn: sa.Connection, timer: timers.Timer) -> None:
    raise RuntimeError("boom")


def test_timer_fires_once_when_due_and_not_before(runtime: Runtime, clock: FakeClock) -> None:
    FIRED.clear()
    now = clock.now()
    with runtime.engine.begin() as conn:
        assert timers.schedule(conn, kind="test.record", key="k1", due_at=now.replace(minute=5),
                               now=now, payload={"n": 1})
        assert not timers.schedule(conn, kind="test.record", key="k1",
                                   due_at=now.replace(minute=9), now=now)
    assert timers.fire_due(runtime, "w1") == []
    clock.advance(299)
    assert timers.fire_due(runtime, "w1") == []
    clock.advance(1)
    fired = timers.fire_due(runtime, "w1")
    assert [(t.key, late) for t, late in fired] == [("k1", 0.0)]
    assert FIRED[:] == [{"key": "k1", "at": clock.now(), "n": 1}]
    clock.advance(600)
    assert timers.fire_due(runtime, "w1") == []


def test_cancelled_timers_never_fire(runtime: Runtime, clock: FakeClock) -> None:
    FIRED.clear()
    with runtime.engine.begin() as conn:
        timers.schedule(conn, kind="test.record", key="esc:inc1:0", due_at=clock.now(),
                        now=clock.now(), incident_id="inc1")
        timers.schedule(conn, kind="test.record", key="esc:inc2:0", due_at=clock.now(),
                        now=clock.now(), incident_id="inc2")
        assert timers.cancel(conn, incident_id="inc1") == 1
    assert [t.key for t, _ in timers.fire_due(runtime, "w")] == ["esc:inc2:0"]


def test_a_dead_workers_lease_expires_and_another_worker_fires(
        runtime: Runtime, clock: FakeClock) -> None:
    from warroom.engine.leases import claim

    FIRED.clear()
    with runtime.engine.begin() as conn:
        timers.schedule(conn, kind="test.record", key="lease", due_at=clock.now(),
                        now=clock.now())
        # Worker A claims and dies before firing.
        claimed = claim(conn, timers_table, timers_table.c.due_at,
                        sa.and_(timers_table.c.status == "pending",
                                timers_table.c.due_at <= clock.now()),
                        clock.now(), "A", timers.LEASE, 10)
        assert len(claimed) == 1
    assert timers.fire_due(runtime, "B") == []
    clock.advance(timers.LEASE.total_seconds() + 1)
    assert [t.key for t, _ in timers.fire_due(runtime, "B")] == ["lease"]
    assert len(FIRED) == 1


def test_failing_handler_is_retried_with_backoff_and_recorded(
        runtime: Runtime, clock: FakeClock) -> None:
    with runtime.engine.begin() as conn:
        timers.schedule(conn, kind="test.explode", key="x", due_at=clock.now(), now=clock.now())
    assert timers.fire_due(runtime, "w") == []
    with runtime.engine.begin() as conn:
        row = conn.execute(sa.select(timers_table)).one()
    assert row.status == "pending" and row.attempts == 1 and "boom" in row.last_error
    assert row.due_at > clock.now()
