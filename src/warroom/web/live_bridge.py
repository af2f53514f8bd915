"""Live updates across instances: PostgreSQL LISTEN/NOTIFY carries "incident X changed,
events a..b" from the instance that committed to every other one, which reads those events
and hands them to its own broadcaster, so a console on any instance sees every change.

Only identifiers travel (a NOTIFY payload is capped at 8000 bytes, and the database stays the
one source of what a principal may see); the broadcaster filters by visibility as for local
commits. A notification is sent after the commit; an instance that dies in between, or a
listener that is reconnecting, misses it, and its consoles catch up on their next reload."""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from warroom.domain.events import Event
from warroom.domain.incident import IncidentState
from warroom.runtime import Runtime
from warroom.store import incidents as incident_store
from warroom.store.schema import incidents

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05  # how long the bridge waits for notifications before sending its own
RECONNECT_SECONDS = 1.0
PER_PAYLOAD = 80  # (incident, first seq, last seq) triples per NOTIFY, well under 8000 bytes

Deliver = Callable[[IncidentState, list[Event]], None]


def channel_name(schema: str) -> str:
    """One channel per schema: instances share a channel only if they share the tables."""
    name = "warroom_live" if schema == "public" else f"warroom_live_{schema}"
    return name[:63]


class LiveBridge:
    """Sends this process's commits and (with `deliver`) receives other instances' commits."""

    def __init__(self, runtime: Runtime, deliver: Deliver | None) -> None:
        self.runtime = runtime
        self.deliver = deliver
        self.origin = uuid.uuid4().hex[:12]
        self._outgoing: queue.SimpleQueue[tuple[str, int, int]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.received = 0

    def on_commit(self, state: IncidentState, events: list[Event]) -> None:
        """The after-commit hook: queue the change; the bridge thread sends it."""
        if events:
            self._outgoing.put((state.id, events[0].seq, events[-1].seq))

    def start(self) -> None:
        self.runtime.hooks.after_commit.append(self.on_commit)
        self._thread = threading.Thread(target=self._run, name="warroom-live-bridge",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    # ------------------------------------------------------------ the bridge thread

    def _connect(self) -> tuple[Any, str]:
        engine = self.runtime.engine
        args, kwargs = engine.dialect.create_connect_args(engine.url)
        conn = engine.dialect.loaded_dbapi.connect(*args, **kwargs)
        conn.autocommit = True
        schema = conn.execute("SELECT current_schema()").fetchone()[0]
        channel = channel_name(str(schema))
        if self.deliver is not None:
            conn.execute(f'LISTEN "{channel}"')
        return conn, channel

    def _run(self) -> None:
        while not self._stop.is_set():
            conn = None
            try:
                conn, channel = self._connect()
                while not self._stop.is_set():
                    self._send(conn, channel)
                    if self.deliver is None:
                        self._stop.wait(POLL_SECONDS)
                        continue
                    for note in conn.notifies(timeout=POLL_SECONDS):
                        self._receive(note.payload)
            except Exception:
                log.exception("live bridge lost its database connection; reconnecting")
                self._stop.wait(RECONNECT_SECONDS)
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):  # already broken
                        conn.close()

    def _send(self, conn: Any, channel: str) -> None:
        ranges: dict[str, list[int]] = {}
        while True:
            try:
                incident_id, first, last = self._outgoing.get_nowait()
            except queue.Empty:
                break
            found = ranges.setdefault(incident_id, [first, last])
            found[0], found[1] = min(found[0], first), max(found[1], last)
        changes = [[k, v[0], v[1]] for k, v in ranges.items()]
        for start in range(0, len(changes), PER_PAYLOAD):
            payload = json.dumps({"o": self.origin, "c": changes[start:start + PER_PAYLOAD]},
                                 separators=(",", ":"))
            conn.execute("SELECT pg_notify(%s, %s)", (channel, payload))

    def _receive(self, payload: str) -> None:
        try:
            message = json.loads(payload)
            if message.get("o") == self.origin:
                return  # our own commit: the local after-commit hook already published it
            changes = [(str(c[0]), int(c[1]), int(c[2])) for c in message["c"]]
        except (ValueError, KeyError, TypeError, IndexError):
            log.warning("live bridge ignored a malformed notification")
            return
        assert self.deliver is not None
        with self.runtime.engine.connect() as conn:
            for incident_id, first, last in changes:
                row = conn.execute(sa.select(incidents)
                                   .where(incidents.c.id == incident_id)).first()
                if row is None:
                    continue
                events = [e for e in incident_store.load_events(conn, incident_id, first - 1)
                          if e.seq <= last]
                self.received += 1
                try:
                    self.deliver(incident_store.state_from_row(row), events)
                except Exception:
                    log.exception("live bridge could not deliver a change of %s", incident_id)


def start_live_bridge(runtime: Runtime, deliver: Deliver | None) -> LiveBridge | None:
    """Start the bridge on PostgreSQL (SQLite allows one instance per file: nothing to do)."""
    if runtime.engine.dialect.name != "postgresql":
        return None
    bridge = LiveBridge(runtime, deliver)
    bridge.start()
    return bridge
