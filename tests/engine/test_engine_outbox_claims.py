"""Outbox claims for several instances, through a real webhook channel and local receivers:
short leases kept alive by a heartbeat, each row marked as its own delivery returns, results
fenced by the claim id, every attempt a row, and escalation pages in order across channels."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from warroom.clock import FakeClock
from warroom.engine import outbox
from warroom.engine.delivery import ChannelDeliverer
from warroom.engine.worker import Worker
from warroom.notify.base import DeliveryResult, Message
from warroom.runtime import Runtime
from warroom.store.engine import outbox as outbox_table
from warroom.store.engine import outbox_attempts
from warroom.testing.receivers import HttpReceiver, ReceivedRequest, ScriptedResponse
from warroom.testing.runtime import make_runtime

SLOW = 6.0  # seconds the slow path takes to answer; far beyond what any check waits for


def slow_path(request: ReceivedRequest) -> ScriptedResponse:
    return ScriptedResponse(200, delay=SLOW if request.path == "/slow" else 0.0)


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver(responder=slow_path) as rx:
        yield rx


@pytest.fixture
def rt(db_url: str, tmp_path: Path, clock: FakeClock, receiver: HttpReceiver
       ) -> Iterator[Runtime]:
    limit = "    rate_limit: {per_second: 1000, burst: 1000}\n"
    cfg = tmp_path / "org.yaml"
    cfg.write_text("channels:\n"
                   f"  hook:\n    type: webhook\n    url: {receiver.url_for('/in')}\n{limit}"
                   f"  team:\n    type: webhook\n    url: {receiver.url_for('/team')}\n{limit}"
                   f"  slow:\n    type: webhook\n    url: {receiver.url_for('/slow')}\n{limit}")
    runtime = make_runtime(db_url, tmp_path, clock, cfg)
    yield runtime
    runtime.engine.dispose()


def message(incident: str, n: int, kind: str = "page") -> Message:
    return Message(idempotency_key=f"{incident}:{n}", incident_id=incident,
                   incident_human_id="INC-2026-0001", kind=kind,  # type: ignore[arg-type]
                   subject=f"msg {n}", body=f"body {n}", severity="P1")


def enqueue(rt: Runtime, *items: tuple[Message, str]) -> None:
    with rt.engine.begin() as conn:
        for m, channel in items:
            outbox.enqueue(conn, message=m, channel=channel, now=rt.clock.now())


def statuses(rt: Runtime) -> dict[str, str]:
    """Outbox row status by message subject."""
    with rt.engine.connect() as conn:
        return {r.payload["subject"]: r.status for r in conn.execute(sa.select(outbox_table))}


def eventually(check: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def in_background(fn: Callable[[], Any]) -> threading.Thread:
    thread = threading.Thread(target=fn, daemon=True)
    thread.start()
    return thread


def test_each_row_is_marked_sent_as_soon_as_its_own_delivery_returns(
        rt: Runtime, receiver: HttpReceiver) -> None:
    enqueue(rt, (message("inc-a", 0), "slow"), (message("inc-b", 1), "hook"))
    worker = Worker(rt, ChannelDeliverer(rt), name="A")
    try:
        running = in_background(worker.run_once)
        assert eventually(lambda: statuses(rt).get("msg 1") == "sent")
        # The slow delivery is still in flight: the fast one did not wait for it.
        assert statuses(rt)["msg 0"] == "sending"
        running.join(30)
    finally:
        worker.stop()
    assert statuses(rt) == {"msg 0": "sent", "msg 1": "sent"}


def test_heartbeat_keeps_a_slow_delivery_claimed_past_its_lease(
        rt: Runtime, receiver: HttpReceiver, clock: FakeClock) -> None:
    enqueue(rt, (message("inc-a", 0), "slow"))
    first = Worker(rt, ChannelDeliverer(rt), name="A")
    first.outbox.heartbeat = 0.05
    second = Worker(rt, ChannelDeliverer(rt), name="B")
    try:
        running = in_background(first.run_once)
        receiver.wait_for(1, timeout=20)
        clock.advance(outbox.LEASE.total_seconds() + 1)  # the original lease is over

        def renewed() -> bool:
            with rt.engine.connect() as conn:
                lease = conn.execute(sa.select(outbox_table.c.lease_until)).scalar_one()
            return lease is not None and lease > clock.now()

        assert eventually(renewed)
        assert second.run_once().delivered == 0  # still held: nobody else sends it
        running.join(30)
    finally:
        first.stop()
        second.stop()
    assert len(receiver.requests) == 1
    assert statuses(rt) == {"msg 0": "sent"}


def test_a_worker_that_lost_its_claim_has_its_result_dropped(
        rt: Runtime, receiver: HttpReceiver, clock: FakeClock) -> None:
    enqueue(rt, (message("inc-a", 0), "hook"))
    recorded: list[str] = []

    def hook(conn: sa.Connection, row: outbox.OutboxRow, result: DeliveryResult,
             outcome: str) -> None:
        recorded.append(f"{row.claim_id}:{outcome}")

    deliverer = ChannelDeliverer(rt)
    stale = outbox.OutboxWorker(rt, deliverer, in_transaction=[hook], worker="A")
    current = outbox.OutboxWorker(rt, deliverer, in_transaction=[hook], worker="B")
    try:
        [held_by_a] = outbox.claim_due(rt, "A")
        clock.advance(outbox.LEASE.total_seconds() + 1)  # A stalls past its lease
        [held_by_b] = outbox.claim_due(rt, "B")
        assert held_by_b.claim_id != held_by_a.claim_id
        # A comes back first and sends; its result must not settle B's claim.
        assert stale.deliver_one(held_by_a) == "stale"
        assert statuses(rt) == {"msg 0": "sending"}
        assert current.deliver_one(held_by_b) == "sent"
    finally:
        deliverer.close()
    assert recorded == [f"{held_by_b.claim_id}:sent"]
    with rt.engine.connect() as conn:
        attempts = [(r.worker, r.outcome) for r in conn.execute(
            sa.select(outbox_attempts).order_by(outbox_attempts.c.id))]
        row = conn.execute(sa.select(outbox_table)).one()
    assert attempts == [("A", "stale"), ("B", "sent")]
    assert (row.status, row.attempts) == ("sent", 1)
    assert [r.header("Idempotency-Key") for r in receiver.requests] == \
        [held_by_a.idempotency_key] * 2


def test_every_delivery_attempt_is_a_row(rt: Runtime, receiver: HttpReceiver,
                                         clock: FakeClock) -> None:
    receiver.respond(ScriptedResponse(503), ScriptedResponse(503))
    enqueue(rt, (message("inc-a", 0), "hook"))
    worker = Worker(rt, ChannelDeliverer(rt))
    try:
        for _ in range(10):
            worker.run_once()
            clock.advance(600)
    finally:
        worker.stop()
    with rt.engine.connect() as conn:
        attempts = [(r.attempt, r.status, r.outcome, r.ok) for r in conn.execute(
            sa.select(outbox_attempts).order_by(outbox_attempts.c.id))]
    assert attempts == [(1, "503", "retry", False), (2, "503", "retry", False),
                        (3, "200", "sent", True)]


def test_a_later_step_waits_while_an_earlier_page_is_held_by_a_dead_worker(
        rt: Runtime, receiver: HttpReceiver, clock: FakeClock) -> None:
    enqueue(rt, (message("inc-a", 0, "page"), "hook"),
            (message("inc-a", 1, "escalation"), "team"),
            (message("inc-a", 2, "update"), "team"))
    [page] = outbox.claim_due(rt, "dead")  # the only row it may take: the head of the line
    assert page.kind == "page"
    worker = Worker(rt, ChannelDeliverer(rt), name="alive")
    try:
        worker.run_once()
        assert receiver.requests == []  # the escalation waits for the page; the update too
        clock.advance(outbox.LEASE.total_seconds() + 1)
        worker.run_once()
    finally:
        worker.stop()
    assert [r.path for r in receiver.requests] == ["/in", "/team", "/team"]
    assert [r.json()["subject"] for r in receiver.requests] == ["msg 0", "msg 1", "msg 2"]


def test_a_page_that_failed_and_waits_to_retry_does_not_hold_escalation_back(
        rt: Runtime, receiver: HttpReceiver) -> None:
    receiver.respond(ScriptedResponse(503))
    enqueue(rt, (message("inc-a", 0, "page"), "hook"),
            (message("inc-a", 1, "escalation"), "team"))
    worker = Worker(rt, ChannelDeliverer(rt))
    try:
        worker.run_once()
    finally:
        worker.stop()
    assert statuses(rt) == {"msg 0": "failed", "msg 1": "sent"}
