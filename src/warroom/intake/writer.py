"""The intake writer: one thread, group commit, an answer only after the commit.

Requests put their parsed submissions on a queue and wait on a future; the thread drains the
queue, applies everything in one transaction, commits, then resolves the futures. A failed
group is retried one submission at a time, so one bad request never fails its neighbours.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

from warroom.intake import dedup
from warroom.intake.dedup import Submission
from warroom.intake.pipeline import Batch, Pipeline, compile_plan

if TYPE_CHECKING:
    from warroom.runtime import Runtime

log = logging.getLogger(__name__)

MAX_GROUP = 512  # submissions per transaction


@dataclass
class _Item:
    submission: Submission
    future: Future[None] | None = None  # a thread waits on this
    waiter: asyncio.Future[None] | None = None  # or an event loop on this


def _settle(waiters: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for waiter in waiters:
        if waiter.done():
            continue  # the request was cancelled (client went away)
        if error is None:
            waiter.set_result(None)
        else:
            waiter.set_exception(error)


class Writer:
    def __init__(self, runtime: Runtime, pipeline: Pipeline | None = None) -> None:
        self.runtime = runtime
        self.pipeline = pipeline or Pipeline(runtime, compile_plan(runtime))
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.groups = 0
        self.committed = 0

    def submit(self, submission: Submission) -> Future[None]:
        """Queue a submission; the future completes once it is committed (or fails)."""
        future: Future[None] = Future()
        self._enqueue(_Item(submission, future=future), bounded=False)
        return future

    def submit_async(self, submission: Submission) -> asyncio.Future[None]:
        """Queue from the event loop; the loop is woken once per committed group, not once
        per request. Raises WriterBusy when the queue is full, before anything is queued."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._enqueue(_Item(submission, waiter=waiter), bounded=True)
        return waiter

    def _enqueue(self, item: _Item, bounded: bool) -> None:
        # Back-pressure for HTTP senders: past the bound they are told to retry rather than
        # buffered without limit (qsize is approximate, which is fine for a bound). Engine
        # passes (heartbeats, probes) are few and always queue.
        waiting = self._queue.qsize()
        if bounded and waiting >= self.runtime.settings.intake_queue_limit:
            raise WriterBusy(waiting)
        self._ensure_started()
        self._queue.put(item)

    def write(self, submission: Submission, timeout: float = 30) -> None:
        """Blocking submit, for engine passes and tests."""
        self.submit(submission).result(timeout)

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="warroom-intake-writer",
                                          daemon=True)
                thread.start()
                self._thread = thread

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(10)
            self._thread = None

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            items = [first]
            stop = False
            while len(items) < MAX_GROUP:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                items.append(more)
            self._commit(items)
            if stop:
                return

    def _commit(self, items: list[_Item]) -> None:
        try:
            batch = self._transaction([item.submission for item in items])
        except Exception:
            if len(items) == 1:
                log.exception("intake write failed")
                self._finish(items, _failure())
                return
            for item in items:  # find the one that fails; the others still commit
                self._commit([item])
            return
        self.groups += 1
        self.committed += len(items)
        self._finish(items, None)
        self._announce(batch)

    def _finish(self, items: list[_Item], error: BaseException | None) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
        for item in items:
            if item.future is not None:
                if error is None:
                    item.future.set_result(None)
                else:
                    item.future.set_exception(error)
            elif item.waiter is not None:
                by_loop.setdefault(item.waiter.get_loop(), []).append(item.waiter)
        for loop, waiters in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop has nobody waiting
                loop.call_soon_threadsafe(_settle, waiters, error)

    def _transaction(self, submissions: list[Submission]) -> Batch:
        now = self.runtime.clock.now()
        with self.runtime.engine.begin() as conn:
            return dedup.apply(conn, self.pipeline, submissions, now)

    def _announce(self, batch: Batch) -> None:
        for result in batch.results:
            for hook in self.runtime.hooks.after_commit:
                try:
                    hook(result.incident, result.events)
                except Exception:  # a listener must never undo a committed write
                    log.exception("after-commit hook failed")


class WriteFailed(RuntimeError):
    """The transaction holding a submission did not commit; the sender should retry."""


class WriterBusy(WriteFailed):
    """The writer's queue is past its bound; nothing was queued and the sender should retry."""

    def __init__(self, waiting: int) -> None:
        super().__init__(f"intake is busy ({waiting} submissions waiting to be stored); "
                         "nothing was stored, retry after Retry-After seconds")
        self.waiting = waiting


def _failure() -> WriteFailed:
    return WriteFailed("the alert could not be stored; retry the request")


def writer_for(runtime: Runtime) -> Writer:
    """The runtime's one writer, created on first use."""
    found = runtime.extras.get("intake.writer")
    if isinstance(found, Writer):
        return found
    with _create_lock:
        found = runtime.extras.get("intake.writer")
        if not isinstance(found, Writer):
            plan = runtime.extras.get("intake.plan")
            found = Writer(runtime, Pipeline(runtime, plan) if plan is not None else None)
            runtime.extras["intake.writer"] = found
    return found


_create_lock = threading.Lock()
