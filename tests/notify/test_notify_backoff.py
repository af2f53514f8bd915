"""Backoff with full jitter, Retry-After as a floor, and the dead-letter decision."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.notify.backoff import RetryPolicy, decide, next_delay
from warroom.notify.base import DeliveryResult

attempts = st.integers(min_value=1, max_value=200)
bases = st.floats(min_value=0.01, max_value=60)
caps = st.floats(min_value=60, max_value=3600)
seeds = st.integers(min_value=0, max_value=2**32)


@given(attempt=attempts, base=bases, cap=caps, seed=seeds)
def test_delay_stays_within_the_exponential_ceiling(attempt: int, base: float, cap: float,
                                                    seed: int) -> None:
    delay = next_delay(attempt, base, cap, random.Random(seed))
    assert 0.0 <= delay <= min(cap, base * 2 ** (attempt - 1))


@given(attempt=attempts, base=bases, cap=caps, seed=seeds,
       retry_after=st.floats(min_value=0, max_value=10_000))
def test_retry_after_is_a_floor(attempt: int, base: float, cap: float, seed: int,
                                retry_after: float) -> None:
    delay = next_delay(attempt, base, cap, random.Random(seed), retry_after)
    assert delay >= retry_after
    assert delay <= max(retry_after, cap)


def test_jitter_spreads_delays() -> None:
    rng = random.Random(7)
    delays = {round(next_delay(5, 1.0, 300.0, rng), 6) for _ in range(50)}
    assert len(delays) > 40
    assert max(delays) <= 16.0


def test_same_seed_gives_same_delays() -> None:
    assert [next_delay(n, 2, 300, random.Random(1)) for n in range(1, 9)] == \
        [next_delay(n, 2, 300, random.Random(1)) for n in range(1, 9)]


def test_attempt_counts_from_one() -> None:
    with pytest.raises(ValueError, match="attempt counts from 1"):
        next_delay(0, 1, 10, random.Random())


RETRYABLE = DeliveryResult.failure("503", "HTTP 503", retryable=True)


def test_success_is_sent() -> None:
    decision = decide(DeliveryResult.success("200"), 1, RetryPolicy(), random.Random(0))
    assert (decision.outcome, decision.delay) == ("sent", None)


def test_permanent_failure_goes_straight_to_dead_letter() -> None:
    result = DeliveryResult.failure("404", "HTTP 404 no_service", retryable=False)
    decision = decide(result, 1, RetryPolicy(), random.Random(0))
    assert decision.outcome == "dead"
    assert "permanent failure: 404" in decision.reason


@given(max_attempts=st.integers(1, 20), made=st.integers(1, 40), seed=seeds)
def test_retryable_failures_retry_until_max_attempts(max_attempts: int, made: int,
                                                     seed: int) -> None:
    policy = RetryPolicy(base=1, cap=60, max_attempts=max_attempts)
    decision = decide(RETRYABLE, made, policy, random.Random(seed))
    if made >= max_attempts:
        assert decision.outcome == "dead" and f"after {made} attempts" in decision.reason
    else:
        assert decision.outcome == "retry"
        assert decision.delay is not None and 0 <= decision.delay <= 60


def test_receiver_retry_after_is_honoured_but_bounded() -> None:
    policy = RetryPolicy(base=1, cap=60, max_attempts=5, max_retry_after=600)
    hinted = DeliveryResult.failure("429", "slow down", retryable=True, retry_after=120)
    assert decide(hinted, 1, policy, random.Random(0)).delay == 120
    absurd = DeliveryResult.failure("429", "slow down", retryable=True, retry_after=10**7)
    assert decide(absurd, 1, policy, random.Random(0)).delay == 600


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(base=10, cap=5)
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
