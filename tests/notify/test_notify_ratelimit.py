"""Per-destination token buckets on a fake clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.clock import FakeClock
from warroom.notify.ratelimit import RateLimiter, TokenBucket


def test_burst_then_wait_then_one_more() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, per_second=1.0, burst=3)
    assert [limiter.acquire("slack:team-chat") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("slack:team-chat") == pytest.approx(1.0)
    clock.advance(0.5)
    assert limiter.acquire("slack:team-chat") == pytest.approx(0.5)
    clock.advance(0.5)
    assert limiter.acquire("slack:team-chat") == 0.0


def test_destinations_have_separate_buckets() -> None:
    limiter = RateLimiter(FakeClock(), per_second=1.0, burst=1)
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("b") == 0.0
    assert limiter.acquire("a") > 0


def test_per_destination_limits_apply_to_new_buckets() -> None:
    limiter = RateLimiter(FakeClock(), per_second=1.0, burst=1)
    assert [limiter.acquire("console", 1000, 5) for _ in range(5)] == [0.0] * 5
    assert limiter.acquire("console", 1000, 5) == pytest.approx(0.001)


def test_idle_buckets_are_forgotten() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock, per_second=1.0, burst=2)
    limiter.acquire("a")
    limiter.acquire("b")
    limiter.acquire("b")
    clock.advance(1)
    assert limiter.forget_idle() == 1  # "a" is full again, "b" still has 1 of 2
    clock.advance(1)
    assert limiter.forget_idle() == 1


@given(per_second=st.floats(0.1, 100), burst=st.integers(1, 50),
       steps=st.lists(st.floats(0, 5), min_size=1, max_size=200))
def test_never_more_than_burst_plus_rate_times_elapsed(per_second: float, burst: int,
                                                       steps: list[float]) -> None:
    clock = FakeClock()
    start = clock.now()
    bucket = TokenBucket.full(per_second, burst, start)
    granted = 0
    for step in steps:
        clock.advance(timedelta(seconds=step))
        bucket, wait = bucket.take(clock.now())
        if wait == 0.0:
            granted += 1
        else:
            assert wait > 0
            # Waiting exactly as told yields a token.
            _, again = bucket.take(clock.now() + timedelta(seconds=wait + 1e-6))
            assert again == 0.0
        elapsed = (clock.now() - start).total_seconds()
        assert granted <= burst + per_second * elapsed + 1e-6


def test_bucket_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RateLimiter(FakeClock(), per_second=0, burst=1)
