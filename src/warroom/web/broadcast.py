"""In-process fan-out of committed incident events to live (SSE) subscribers.

The runtime's after-commit hook publishes from whichever thread committed; each subscriber
lives on an event loop and gets messages through its own bounded queue, filtered by what its
principal may see.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from warroom.api.presenters import event_json, incident_json
from warroom.domain.events import Event
from warroom.domain.incident import IncidentState
from warroom.runtime import Runtime
from warroom.services.incidents import IncidentService
from warroom.services.principal import Principal
from warroom.services.users import UserService

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0
REVALIDATE_SECONDS = 2.0  # how soon a revoked token's or ended session's stream stops
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
        self.revalidate = REVALIDATE_SECONDS
        self.users = UserService(runtime)
        self._checked: dict[str, tuple[float, Principal | None]] = {}
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

    async def current(self, principal: Principal) -> Principal | None:
        """The subscriber as they stand now, None once their token or session has ended.
        Answers are shared per credential for `revalidate` seconds, so a thousand streams on
        one token cost one query per interval."""
        loop_now = time.monotonic()
        cached = self._checked.get(principal.credential)
        if cached is not None and loop_now - cached[0] < self.revalidate:
            return cached[1]
        found = await asyncio.to_thread(self.users.still_valid, principal)
        self._checked[principal.credential] = (loop_now, found)
        if len(self._checked) > 4 * QUEUE_LIMIT:  # forget credentials nobody streams with
            live = {s.principal.credential for s in list(self._subscribers)}
            self._checked = {k: v for k, v in self._checked.items() if k in live}
        return found

    async def stream(self, sub: Subscription) -> AsyncIterator[str]:
        """SSE text for one subscriber: a greeting, messages, heartbeats; unsubscribes at end.

        Every `revalidate` seconds the subscriber's credential is checked again: a revoked
        token, a logged-out or ended session or a deactivated user ends the stream with an
        `ended` event, and a changed role or security flag applies to what follows."""
        try:
            yield "retry: 3000\n" + sse_frame("ready", json.dumps({"user": sub.principal.name}))
            checked = beat = time.monotonic()
            while True:
                if sub.lagged:
                    while not sub.queue.empty():
                        sub.queue.get_nowait()
                    sub.lagged = False
                    yield RESYNC
                    continue
                frame: str | None = None
                with contextlib.suppress(TimeoutError):
                    frame = await asyncio.wait_for(sub.queue.get(),
                                                   min(self.heartbeat, self.revalidate))
                now = time.monotonic()
                if now - checked >= self.revalidate:
                    checked = now
                    current = await self.current(sub.principal)
                    if current is None:
                        yield sse_frame("ended", json.dumps(
                            {"detail": "your session or token has ended; log in again"}))
                        return
                    sub.principal = current
                if frame is not None:
                    beat = now
                    yield frame
                elif now - beat >= self.heartbeat:
                    beat = now
                    yield ": heartbeat\n\n"
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
