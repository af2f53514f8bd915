"""Per-destination token buckets, driven by an injected clock, so one noisy incident cannot
get a webhook banned and tests never wait for real time."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from warroom.clock import Clock


@dataclass(frozen=True)
class TokenBucket:
    """An immutable bucket: `take` returns the bucket after the attempt and the wait."""

    per_second: float
    burst: int
    tokens: float
    updated: datetime

    @classmethod
    def full(cls, per_second: float, burst: int, now: datetime) -> TokenBucket:
        if per_second <= 0 or burst < 1:
            raise ValueError("a token bucket needs per_second > 0 and burst >= 1")
        return cls(per_second, burst, float(burst), now)

    def refilled(self, now: datetime) -> TokenBucket:
        elapsed = max(0.0, (now - self.updated).total_seconds())
        tokens = min(float(self.burst), self.tokens + elapsed * self.per_second)
        return TokenBucket(self.per_second, self.burst, tokens, max(now, self.updated))

    def take(self, now: datetime) -> tuple[TokenBucket, float]:
        """(new bucket, 0.0) if a token was taken; else (bucket, seconds until one is due),
        with no token taken."""
        bucket = self.refilled(now)
        if bucket.tokens >= 1.0:
            return (TokenBucket(self.per_second, self.burst, bucket.tokens - 1.0,
                                bucket.updated), 0.0)
        return bucket, (1.0 - bucket.tokens) / self.per_second


class RateLimiter:
    """Buckets keyed by destination (e.g. channel name + address). Thread-safe."""

    def __init__(self, clock: Clock, per_second: float, burst: int) -> None:
        TokenBucket.full(per_second, burst, clock.now())  # validates the numbers early
        self._clock = clock
        self._per_second = per_second
        self._burst = burst
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def acquire(self, destination: str, per_second: float | None = None,
                burst: int | None = None) -> float:
        """0.0 if the caller may send now (a token is spent), else the seconds to wait before
        asking again. Per-call `per_second`/`burst` set the limits for a new destination."""
        now = self._clock.now()
        with self._lock:
            bucket = self._buckets.get(destination)
            if bucket is None:
                bucket = TokenBucket.full(per_second or self._per_second,
                                          burst or self._burst, now)
            bucket, wait = bucket.take(now)
            self._buckets[destination] = bucket
            return wait

    def forget_idle(self) -> int:
        """Drop buckets that have refilled completely (they behave like new ones); returns
        how many were dropped. Call now and then to bound memory."""
        now = self._clock.now()
        with self._lock:
            idle = [key for key, bucket in self._buckets.items()
                    if bucket.refilled(now).tokens >= bucket.burst]
            for key in idle:
                del self._buckets[key]
            return len(idle)
