"""Delivering outbox rows through the configured channels (notify/), with rate limits."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from warroom.engine.outbox import OutboxRow
from warroom.notify.base import DeliveryResult, Message, Notifier
from warroom.notify.channels import parse_channels
from warroom.notify.ratelimit import RateLimiter
from warroom.notify.registry import NotifierDeps, build_notifier

if TYPE_CHECKING:
    from warroom.runtime import Runtime


class ChannelDeliverer:
    """Builds one notifier per configured channel, lazily, and sends rows through them."""

    def __init__(self, runtime: Runtime, deps: NotifierDeps | None = None) -> None:
        self.runtime = runtime
        self.deps = deps or NotifierDeps(clock=runtime.clock)
        self.configs: dict[str, BaseModel] = parse_channels(
            runtime.config.channels, runtime.loaded.origins,  # type: ignore[arg-type]
            prefix=("channels",)) if runtime.config.channels else {}
        self._notifiers: dict[str, Notifier] = {}
        self._lock = threading.Lock()
        self.limiter = RateLimiter(runtime.clock, per_second=5.0, burst=20)

    def notifier(self, channel: str) -> Notifier | None:
        with self._lock:
            if channel not in self._notifiers:
                config = self.configs.get(channel)
                if config is None:
                    return None
                self._notifiers[channel] = build_notifier(config, self.deps)
            return self._notifiers[channel]

    def rate_wait(self, row: OutboxRow) -> float:
        config = self.configs.get(row.channel)
        limit: Any = getattr(config, "rate_limit", None)
        if limit is None:
            return 0.0
        return self.limiter.acquire(f"{row.channel}:{row.destination or ''}",
                                    getattr(limit, "per_second", None),
                                    getattr(limit, "burst", None))

    def deliver(self, row: OutboxRow) -> DeliveryResult:
        notifier = self.notifier(row.channel)
        if notifier is None:
            return DeliveryResult.failure(
                "no-channel", f"no channel named {row.channel!r} is configured; channels: "
                f"{', '.join(sorted(self.configs)) or 'none'}", retryable=False)
        return notifier.send(Message.from_dict(row.payload), row.destination)

    def close(self) -> None:
        with self._lock:
            for notifier in self._notifiers.values():
                notifier.close()
            self._notifiers.clear()
