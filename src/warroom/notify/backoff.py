"""Retry policy for deliveries: exponential backoff with full jitter, the receiver's
Retry-After as a floor, and the point where a message goes to the dead letters. Pure."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from warroom.notify.base import DeliveryResult


@dataclass(frozen=True)
class RetryPolicy:
    base: float = 2.0
    """seconds; the first retry waits up to this long"""
    cap: float = 300.0
    """seconds; no backoff is longer (a receiver's Retry-After may be)"""
    max_attempts: int = 15
    """attempts in all, the first one included"""
    max_retry_after: float = 3600.0
    """seconds; a Retry-After beyond this is treated as this, so one bad header cannot park a
    page for days"""

    def __post_init__(self) -> None:
        if self.base <= 0 or self.cap < self.base:
            raise ValueError("retry policy needs 0 < base <= cap")
        if self.max_attempts < 1:
            raise ValueError("retry policy needs max_attempts >= 1")


def next_delay(attempt: int, base: float, cap: float, rng: random.Random,
               retry_after: float | None = None) -> float:
    """Seconds to wait before retry number `attempt` (1 = the first retry).

    Full jitter (uniform over [0, min(cap, base * 2**(attempt-1))]) spreads retries from
    many workers apart; `retry_after`, when the receiver gave one, is a floor.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    exponent = min(attempt - 1, 62)  # 2**62 * base is far past any cap; avoids overflow
    ceiling = min(cap, base * float(2**exponent))
    delay = rng.uniform(0.0, ceiling)
    if retry_after is not None and retry_after > delay:
        return retry_after
    return delay


Outcome = Literal["sent", "retry", "dead"]


@dataclass(frozen=True)
class RetryDecision:
    outcome: Outcome
    delay: float | None
    """seconds until the next attempt when outcome is 'retry'"""
    reason: str


def decide(result: DeliveryResult, attempts_made: int, policy: RetryPolicy,
           rng: random.Random) -> RetryDecision:
    """What to do with a message after its `attempts_made`-th attempt ended in `result`."""
    if result.ok:
        return RetryDecision("sent", None, result.status)
    if not result.retryable:
        return RetryDecision("dead", None, f"permanent failure: {result.status}: "
                                           f"{result.detail}")
    if attempts_made >= policy.max_attempts:
        return RetryDecision("dead", None, f"gave up after {attempts_made} attempts; last: "
                                           f"{result.status}: {result.detail}")
    retry_after = (min(result.retry_after, policy.max_retry_after)
                   if result.retry_after is not None else None)
    delay = next_delay(attempts_made, policy.base, policy.cap, rng, retry_after)
    return RetryDecision("retry", delay, f"{result.status}: {result.detail}")
