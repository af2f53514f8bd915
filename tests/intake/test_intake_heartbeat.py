"""Heartbeats: missed after one interval without a ping, resolved by the next ping."""

from __future__ import annotations

from datetime import timedelta

from warroom.clock import FakeClock
from warroom.intake.heartbeat import Heartbeat, deadline, evaluate, is_missed

BEAT = Heartbeat("nightly-backup", "hb", timedelta(minutes=10), service="billing")


def test_not_missed_until_more_than_one_interval_passed() -> None:
    clock = FakeClock()
    last = clock.now()
    clock.advance(timedelta(minutes=10))
    assert not is_missed(BEAT, last, clock.now())
    clock.advance(timedelta(seconds=1))
    assert is_missed(BEAT, last, clock.now())
    assert deadline(BEAT, last) == last + timedelta(minutes=10)


def test_missed_heartbeat_fires_once_then_resolves_when_it_returns() -> None:
    clock = FakeClock()
    last = clock.now()
    clock.advance(timedelta(minutes=11))
    fired = evaluate(BEAT, last, clock.now(), alerting=False)
    assert fired is not None and fired.status == "firing"
    assert fired.labels == {"alertname": "HeartbeatMissed", "heartbeat": "nightly-backup",
                            "service": "billing"}
    assert evaluate(BEAT, last, clock.now(), alerting=True) is None  # already open
    ping = clock.advance(timedelta(minutes=1))
    resolved = evaluate(BEAT, ping, clock.now(), alerting=True)
    assert resolved is not None and resolved.status == "resolved"
    assert resolved.dedup_key == fired.dedup_key == "heartbeat:nightly-backup"
    assert evaluate(BEAT, ping, clock.now(), alerting=False) is None
