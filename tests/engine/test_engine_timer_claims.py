"""Timers for several instances: a dead worker's claim holds a timer for seconds, ordered
kinds (escalation steps) fire in due order per incident, and a lapsed claim is fenced."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from warroom.clock import FakeClock
from warroom.engine import timers
from warroom.engine.leases import claim
from warroom.runtime import Runtime
from warroom.store.engine import timers as timers_table

STEP = "test.ordered_step"
FIRED: list[str] = []


@timers.handler(STEP)
def _record(runtime: Runtime, conn: sa.Connection, timer: timers.Timer) -> None:
    FIRED.append(timer.key)


timers.fire_in_order(STEP)


def schedule_steps(runtime: Runtime, incident: str, *offsets: float) -> None:
    now = runtime.clock.now()
    with runtime.engine.begin() as conn:
        for index, offset in enumerate(offsets):
            timers.schedule(conn, kind=STEP, key=f"{incident}:{index}",
                            due_at=now + timedelta(seconds=offset), now=now,
                            incident_id=incident)


def claim_as_dead_worker(runtime: Runtime) -> list[Any]:
    """Another instance claims what is due and dies without firing it."""
    now = runtime.clock.now()
    with runtime.engine.begin() as conn:
        return list(claim(conn, timers_table, timers_table.c.due_at, sa.and_(
            timers_table.c.status == "pending", timers_table.c.due_at <= now),
            now, "dead", timers.LEASE, 10))


def fire_all(runtime: Runtime) -> None:
    while timers.fire_due(runtime, "alive"):
        pass


def test_a_later_step_never_fires_while_an_earlier_one_is_held(
        runtime: Runtime, clock: FakeClock) -> None:
    FIRED.clear()
    schedule_steps(runtime, "inc1", 0, 1, 2)
    schedule_steps(runtime, "inc2", 1)
    assert [row.key for row in claim_as_dead_worker(runtime)] == ["inc1:0"]
    clock.advance(3)  # every step is due, but step 0 is still under the dead worker's lease
    fire_all(runtime)
    assert FIRED == ["inc2:0"]  # another incident is not held up
    clock.advance(timers.LEASE.total_seconds())
    fire_all(runtime)
    assert FIRED == ["inc2:0", "inc1:0", "inc1:1", "inc1:2"]


def test_an_instance_death_delays_a_timer_by_seconds(
        runtime: Runtime, clock: FakeClock) -> None:
    FIRED.clear()
    schedule_steps(runtime, "inc1", 0)
    claim_as_dead_worker(runtime)
    assert timedelta(seconds=10) >= timers.LEASE
    clock.advance(timers.LEASE.total_seconds() + 0.5)
    fire_all(runtime)
    assert FIRED == ["inc1:0"]


def test_a_worker_that_lost_its_claim_rolls_back_its_firing(
        runtime: Runtime, clock: FakeClock) -> None:
    FIRED.clear()
    schedule_steps(runtime, "inc1", 0)
    [row] = claim_as_dead_worker(runtime)
    stale = timers.Timer(id=row.id, key=row.key, kind=row.kind, incident_id=row.incident_id,
                         due_at=row.due_at, payload=row.payload, attempts=row.attempts,
                         claim_id=row.claim_id)
    clock.advance(timers.LEASE.total_seconds() + 1)
    fire_all(runtime)  # the lease lapsed: another worker fired it
    assert FIRED == ["inc1:0"]
    with runtime.engine.begin() as conn:
        try:
            with conn.begin_nested():
                timers._fire_one(runtime, conn, stale)
        except timers.LostClaim:
            pass
        else:
            raise AssertionError("a stale claim fired a timer")
        status = conn.execute(sa.select(timers_table.c.status)).scalar_one()
    assert status == "done"
