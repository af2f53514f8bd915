"""In-process fan-out of committed incident events to live (SSE) subscribers.

The runtime's after-commit hook publishes from whichever thread committed; each subscriber
lives on an event loop and gets messages through its own bounded queue, filtered by what its
principal may see.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from warroom.api.presenters import event_json, incident_json
from warroom.domain.events import Event
from warroom.domain.incident import IncidentState
from warroom.runtime import Runtime
from warroom.services.incidents import IncidentService
from warroom.services.principal import Principal

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0
QUEUE_LIMIT = 256
RESYNC = "event: resync\ndata: {}\n\n"


@dataclass(frozen=True)
class LiveMessage:
    """One commit: the incident after it, and the SSE frame describing it."""

    state: IncidentState
    frame: str


@dataclass(eq=False)
class Subscription:
    principal: Principal
    incident_id: str | None
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[str] = field(
        default_factory=lambda: asyncio.Queue(maxsize=QUEUE_LIMIT))
    lagged: bool = False


def sse_frame(event: str, data: str, event_id: str | None = None) -> str:
    """One Server-Sent Events frame; `data` must be a single line (JSON is)."""
    head = f"event: {event}\n" + (f"id: {event_id}\n" if event_id else "")
    return f"{head}data: {data}\n\n"


class Broadcaster:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.visibility = IncidentService(runtime)
        self.heartbeat = HEARTBEAT_SECONDS
        self._lock = threading.Lock()
        self._subscribers: set[Subscription] = set()
        # Bumped on every commit, so caches of derived views (metrics, status page) know
        # when to recompute.
        self.generation = 0

    @property
    def count(self) -> int:
        return len(self._subscribers)

    def subscribe(self, principal: Principal, incident_id: str | None = None) -> Subscription:
        """Register a subscriber; call from the event loop that will read its queue."""
        sub = Subscription(principal, incident_id, asyncio.get_running_loop())
        with self._lock:
            self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subscribers.discard(sub)

    def publish(self, state: IncidentState, events: list[Event]) -> None:
        """The after-commit hook: serialise once, hand to every loop with subscribers."""
        self.generation += 1
        if not events:
            return
        body = json.dumps({
            "incident": incident_json(state, self.runtime.vocab.scheme,
                                      self.runtime.clock.now()),
            "events": [event_json(e) for e in events]}, separators=(",", ":"))
        message = LiveMessage(state, sse_frame("incident", body,
                                               f"{state.id}:{events[-1].seq}"))
        with self._lock:
            by_loop: dict[asyncio.AbstractEventLoop, list[Subscription]] = {}
            for sub in self._subscribers:
                by_loop.setdefault(sub.loop, []).append(sub)
        for loop, subs in by_loop.items():
            try:
                loop.call_soon_threadsafe(self._deliver, subs, message)
            except RuntimeError:  # that loop has closed; its subscribers are gone
                for sub in subs:
                    self.unsubscribe(sub)

    def _deliver(self, subs: list[Subscription], message: LiveMessage) -> None:
        for sub in subs:
            if sub.incident_id is not None and sub.incident_id != message.state.id:
                continue
            if not self.visibility.can_see(sub.principal, message.state):
                continue
            if sub.lagged:
                continue
            try:
                sub.queue.put_nowait(message.frame)
            except asyncio.QueueFull:
                # A slow client skips ahead: it is told to reload instead of being fed a backlog.
                sub.lagged = True

    async def stream(self, sub: Subscription) -> AsyncIterator[str]:
        """SSE text for one subscriber: a greeting, messages, heartbeats; unsubscribes at end."""
        try:
            yield "retry: 3000\n" + sse_frame("ready", json.dumps({"user": sub.principal.name}))
            while True:
                if sub.lagged:
                    while not sub.queue.empty():
                        sub.queue.get_nowait()
                    sub.lagged = False
                    yield RESYNC
                    continue
                try:
                    frame = await asyncio.wait_for(sub.queue.get(), self.heartbeat)
                except TimeoutError:
                    yield ": heartbeat\n\n"
                    continue
                yield frame
        finally:
            self.unsubscribe(sub)


def live_broadcaster(runtime: Runtime) -> Broadcaster:
    """The runtime's broadcaster, created and hooked to after-commit on first use."""
    found = runtime.extras.get("live_broadcaster")
    if isinstance(found, Broadcaster):
        return found
    broadcaster = Broadcaster(runtime)
    runtime.extras["live_broadcaster"] = broadcaster
    runtime.hooks.after_commit.append(broadcaster.publish)
    return broadcaster
