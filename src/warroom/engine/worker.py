"""The worker loop: fires due timers, delivers the outbox and runs periodic passes.

Tests call `run_once()` after moving a FakeClock; `start()` runs the same in a thread that
sleeps until the next due item or until woken by a commit."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from warroom.engine import timers
from warroom.engine.leases import try_singleton
from warroom.engine.outbox import Deliverer, OutboxWorker

if TYPE_CHECKING:
    from warroom.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pass:
    """A periodic, idempotent job (probes, heartbeats, scheduled runbooks, retention)."""

    name: str
    every: timedelta
    run: Callable[[Runtime], None]
    singleton: bool = True


PASSES: list[Pass] = []


def periodic(name: str, every: timedelta, singleton: bool = True
             ) -> Callable[[Callable[[Runtime], None]], Callable[[Runtime], None]]:
    """Register a periodic pass."""

    def register(fn: Callable[[Runtime], None]) -> Callable[[Runtime], None]:
        PASSES[:] = [p for p in PASSES if p.name != name]
        PASSES.append(Pass(name, every, fn, singleton))
        return fn

    return register


@dataclass
class RunResult:
    timers_fired: int = 0
    lateness: list[float] = field(default_factory=list)
    delivered: int = 0
    passes: list[str] = field(default_factory=list)
    more: bool = False  # stopped at the round limit with work left: run again at once


class Worker:
    def __init__(self, runtime: Runtime, deliverer: Deliverer | None = None,
                 name: str | None = None, threads: int = 4, timer_batch: int = 100) -> None:
        from warroom.engine.delivery import ChannelDeliverer

        self.runtime = runtime
        self.timer_batch = timer_batch
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self) & 0xffff:x}"
        self.deliverer = deliverer or ChannelDeliverer(runtime)
        # Plugins register delivery-result listeners in runtime.extras: "outbox.on_result"
        # (after commit) and "outbox.in_transaction" (in the transaction recording it).
        self.outbox = OutboxWorker(
            runtime, self.deliverer,
            on_result=list(runtime.extras.get("outbox.on_result", [])),
            in_transaction=list(runtime.extras.get("outbox.in_transaction", [])))
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="warroom-deliver")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_pass: dict[str, datetime] = {}
        self.on_fired: list[Callable[[timers.Timer, float], None]] = []

    def run_once(self) -> RunResult:
        result = RunResult()
        # Timers and deliveries alternate in small batches, so a backlog of timers never
        # holds pages back; handlers may also schedule timers that are already due (a
        # re-triggered pass, an escalate-now), which fire in this pass too, within a bound.
        for _ in range(50):
            fired = timers.fire_due(self.runtime, self.name, limit=self.timer_batch)
            for timer, late in fired:
                result.timers_fired += 1
                result.lateness.append(late)
                for hook in self.on_fired:
                    hook(timer, late)
            sent = self.outbox.run(self.name, pool=self._pool)
            result.delivered += sent
            if (not fired and sent == 0) or self._stop.is_set():
                break
        else:
            result.more = True
        result.passes = self._run_passes()
        return result

    def _run_passes(self) -> list[str]:
        now = self.runtime.clock.now()
        ran = []
        for p in list(PASSES):
            last = self._last_pass.get(p.name)
            if last is not None and now - last < p.every:
                continue
            self._last_pass[p.name] = now
            try:
                # SQLite allows one instance per file, so only PostgreSQL needs the lock.
                if p.singleton and self.runtime.engine.dialect.name == "postgresql":
                    with self.runtime.engine.begin() as conn:
                        if not try_singleton(conn, f"pass:{p.name}"):
                            continue
                        p.run(self.runtime)
                else:
                    p.run(self.runtime)
                ran.append(p.name)
            except Exception:
                log.exception("periodic pass %s failed", p.name)
        return ran

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self.run_once().more:
                    continue
            except Exception:
                log.exception("worker pass failed; retrying shortly")
            nxt = timers.next_due(self.runtime.engine)
            wait = 1.0
            if nxt is not None:
                wait = max(0.0, min(wait, (nxt - self.runtime.clock.now()).total_seconds()))
            self._wake.wait(wait)
            self._wake.clear()

    def start(self) -> None:
        self.runtime.hooks.after_commit.append(lambda _state, _events: self.wake())
        self._thread = threading.Thread(target=self._loop, name="warroom-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(10)
        self._pool.shutdown(wait=True)
        close = getattr(self.deliverer, "close", None)
        if close:
            close()
