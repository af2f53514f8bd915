"""The outbox through a real webhook channel and a local receiver: order, retries,
dead letters, manual retry, and no duplicates across workers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from warroom.clock import FakeClock
from warroom.engine import outbox
from warroom.engine.delivery import ChannelDeliverer
from warroom.engine.worker import Worker
from warroom.notify.base import Message
from warroom.runtime import Runtime
from warroom.store.engine import outbox as outbox_table
from warroom.testing.receivers import HttpReceiver, ScriptedResponse
from warroom.testing.runtime import make_runtime


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as rx:
        yield rx


@pytest.fixture
def hooked(db_url: str, tmp_path: Path, clock: FakeClock,
           receiver: HttpReceiver) -> Iterator[Runtime]:
    cfg = tmp_path / "org.yaml"
    cfg.write_text(f"channels:\n  hook:\n    type: webhook\n    url: {receiver.url_for('/in')}\n"
                   "    secret: s3cret\n    rate_limit: {per_second: 1000, burst: 1000}\n")
    rt = make_runtime(db_url, tmp_path, clock, cfg)
    yield rt
    rt.engine.dispose()


def message(incident: str, n: int) -> Message:
    return Message(idempotency_key=f"{incident}:{n}", incident_id=incident,
                   incident_human_id="INC-2026-0001", kind="page", subject=f"msg {n}",
                   body=f"body {n}", severity="P1")


def enqueue(rt: Runtime, *messages: Message) -> None:
    with rt.engine.begin() as conn:
        for m in messages:
            outbox.enqueue(conn, message=m, channel="hook", now=rt.clock.now())


def subjects(rx: HttpReceiver) -> list[str]:
    return [r.json()["subject"] for r in rx.requests]


def test_messages_are_delivered_once_in_order_per_incident(
        hooked: Runtime, receiver: HttpReceiver) -> None:
    enqueue(hooked, *(message("inc-a", n) for n in range(5)), message("inc-b", 0))
    enqueue(hooked, message("inc-a", 0))  # same idempotency key: ignored
    worker = Worker(hooked, ChannelDeliverer(hooked))
    try:
        result = worker.run_once()
    finally:
        worker.stop()
    assert result.delivered == 6
    got = subjects(receiver)
    assert sorted(got) == sorted(["msg 0", "msg 1", "msg 2", "msg 3", "msg 4", "msg 0"])
    a_only = [r.json()["subject"] for r in receiver.requests
              if r.json()["incident"]["id"] == "inc-a"]
    assert a_only == ["msg 0", "msg 1", "msg 2", "msg 3", "msg 4"]
    assert all(r.headers["idempotency-key"] for r in receiver.requests)


def test_receiver_outage_retries_then_delivers_everything_in_order(
        hooked: Runtime, receiver: HttpReceiver, clock: FakeClock) -> None:
    receiver.default = ScriptedResponse(status=503)
    enqueue(hooked, *(message("inc-a", n) for n in range(3)))
    worker = Worker(hooked, ChannelDeliverer(hooked))
    try:
        worker.run_once()
        # Only the head of the line was tried; the rest wait behind it.
        assert len(receiver.requests) == 1
        receiver.default = ScriptedResponse(status=200)
        for _ in range(20):
            clock.advance(60)
            worker.run_once()
    finally:
        worker.stop()
    assert subjects(receiver)[1:] == ["msg 0", "msg 1", "msg 2"]
    assert outbox.depth(hooked) == {"sent": 3}


def test_permanent_failure_dead_letters_and_manual_retry_sends(
        hooked: Runtime, receiver: HttpReceiver) -> None:
    receiver.respond(ScriptedResponse(status=400))  # only the first request is refused
    enqueue(hooked, message("inc-a", 0), message("inc-a", 1))
    worker = Worker(hooked, ChannelDeliverer(hooked))
    try:
        worker.run_once()
        dead = outbox.list_rows(hooked, status="dead")
        assert [d["subject"] for d in dead] == ["msg 0"]
        assert "permanent failure: 400" in dead[0]["last_error"]
        # A dead letter does not block the incident's later messages.
        assert subjects(receiver) == ["msg 0", "msg 1"]
        assert outbox.retry_dead(hooked, dead[0]["id"])
        assert not outbox.retry_dead(hooked, dead[0]["id"])
        worker.run_once()
    finally:
        worker.stop()
    assert subjects(receiver) == ["msg 0", "msg 1", "msg 0"]
    assert outbox.depth(hooked) == {"sent": 2}


def test_429_retry_after_is_honoured(hooked: Runtime, receiver: HttpReceiver,
                                     clock: FakeClock) -> None:
    receiver.respond(ScriptedResponse(status=429, headers={"Retry-After": "120"}))
    enqueue(hooked, message("inc-a", 0))
    worker = Worker(hooked, ChannelDeliverer(hooked))
    try:
        worker.run_once()
        receiver.default = ScriptedResponse(status=200)
        clock.advance(119)
        worker.run_once()
        assert len(receiver.requests) == 1
        clock.advance(2)
        worker.run_once()
    finally:
        worker.stop()
    assert len(receiver.requests) == 2


def test_concurrent_workers_never_send_a_message_twice(
        hooked: Runtime, receiver: HttpReceiver) -> None:
    enqueue(hooked, *(message(f"inc-{i % 7}", i) for i in range(60)))
    workers = [Worker(hooked, ChannelDeliverer(hooked), name=f"w{i}") for i in range(3)]
    threads = [threading.Thread(target=lambda w=w: [w.run_once() for _ in range(15)])
               for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for w in workers:
        w.stop()
    keys = [r.headers["idempotency-key"] for r in receiver.requests]
    assert len(keys) == 60 and len(set(keys)) == 60
    with hooked.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(outbox_table)
                            .where(outbox_table.c.status == "sent")).scalar() == 60
