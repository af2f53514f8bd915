"""Login throttling: failed attempts per account and per client address in a sliding window.

Never a permanent lockout (that would let anyone lock a user out): once the window passes the
oldest failures, attempts are allowed again. Kept in process memory; with several instances
each throttles on its own, which still bounds guessing to a few attempts a minute."""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

ACCOUNT_LIMIT = 5
CLIENT_LIMIT = 20
WINDOW = timedelta(minutes=15)


@dataclass
class LoginThrottle:
    account_limit: int = ACCOUNT_LIMIT
    client_limit: int = CLIENT_LIMIT
    window: timedelta = WINDOW
    _failures: dict[str, deque[datetime]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _keys(self, account: str, client: str) -> list[tuple[str, int]]:
        return [(f"account:{account.lower()}", self.account_limit),
                (f"client:{client}", self.client_limit)]

    def _prune(self, key: str, now: datetime) -> deque[datetime]:
        found = self._failures.setdefault(key, deque())
        while found and found[0] <= now - self.window:
            found.popleft()
        return found

    def retry_after(self, account: str, client: str, now: datetime) -> int | None:
        """Seconds until the next attempt is allowed, or None when it is allowed now."""
        wait = 0.0
        with self._lock:
            for key, limit in self._keys(account, client):
                found = self._prune(key, now)
                if len(found) >= limit:
                    # Allowed again once enough failures have left the window.
                    frees_at = found[len(found) - limit] + self.window
                    wait = max(wait, (frees_at - now).total_seconds())
                if not found:
                    del self._failures[key]
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, account: str, client: str, now: datetime) -> bool:
        """Record a failure; True when this failure starts a throttle (worth auditing)."""
        started = False
        with self._lock:
            for key, limit in self._keys(account, client):
                found = self._prune(key, now)
                found.append(now)
                started = started or len(found) == limit
        return started

    def succeeded(self, account: str) -> None:
        with self._lock:
            self._failures.pop(f"account:{account.lower()}", None)
