"""Apply intake submissions in one transaction: dedup against open alerts in batches, store
changes and heartbeats, and run the pipeline only for alerts that are new or change state."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from warroom.intake import grouplock
from warroom.intake import heartbeat as heartbeat_format
from warroom.intake.changes import ChangeEvent
from warroom.intake.integrations import Integration
from warroom.intake.pipeline import Batch, Pipeline
from warroom.intake.signal import Signal
from warroom.store.alerts import EXPIRY_WHERE, alerts, change_events, heartbeats

_CHUNK = 500  # keys per IN (...) query, well inside every engine's parameter limit


@dataclass
class Submission:
    """What one intake request asks to store."""

    integration: Integration
    signals: Sequence[Signal] = ()
    changes: Sequence[ChangeEvent] = ()
    heartbeat: bool = False
    # Resolves from the expiry pass: each applies only if the alert's endsAt is still past.
    expiry: bool = False


@dataclass
class _Open:
    id: int | None  # None until inserted
    incident_id: str | None
    service: str | None
    row: dict[str, Any] | None = None  # the pending insert, for alerts new in this batch
    silenced_by: str | None = None  # stored alerts only: the silence it arrived under


@dataclass
class _Writes:
    inserts: list[dict[str, Any]] = field(default_factory=list)
    repeats: dict[int, list[Any]] = field(default_factory=dict)  # id -> [n, last_seen, ends]
    resolves: dict[int, datetime] = field(default_factory=dict)
    acks: set[int] = field(default_factory=set)
    # id -> new incident_id, service, silenced_by: a silenced alert re-sent after its silence
    rerouted: dict[int, dict[str, Any]] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)  # incidents that lost a firing alert


def _open_alerts(conn: sa.Connection, pairs: set[tuple[str, str]]) -> dict[tuple[str, str],
                                                                             _Open]:
    """The open alerts for these keys, one query per integration and chunk. Plain driver SQL:
    SQLAlchemy's row machinery cost more than the query on the re-send hot path."""
    by_integration: dict[str, list[str]] = {}
    for integration, key in pairs:
        by_integration.setdefault(integration, []).append(key)
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    found: dict[tuple[str, str], _Open] = {}
    for integration, keys in by_integration.items():
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start:start + _CHUNK]
            # Matches the partial unique index uq_alerts_open exactly.
            rows = conn.exec_driver_sql(
                "SELECT id, dedup_key, incident_id, service, silenced_by FROM alerts WHERE "
                f"integration = {mark} AND status = 'firing' AND dedup_key IN "
                f"({', '.join([mark] * len(chunk))})",
                (integration, *chunk)).fetchall()
            for alert_id, key, incident_id, service, silenced_by in rows:
                found[(integration, key)] = _Open(alert_id, incident_id, service,
                                                  silenced_by=silenced_by)
    return found


def apply(conn: sa.Connection, pipeline: Pipeline, submissions: Sequence[Submission],
          now: datetime) -> Batch:
    """Store everything the submissions carry; returns the batch with incident results."""
    batch = Batch(now)
    pairs = {(s.integration, s.dedup_key) for sub in submissions for s in sub.signals}
    for sub in submissions:
        if sub.heartbeat:
            pairs.add((sub.integration.name, _heartbeat_key(sub.integration)))
    current = _open_alerts(conn, pairs) if pairs else {}
    # New alerts, and stored silenced ones that may now declare or join: both take the
    # grouping locks.
    fresh = [(s, sub.integration.service) for sub in submissions for s in sub.signals
             if s.status == "firing" and ((s.integration, s.dedup_key) not in current
                                          or _was_silenced(current[(s.integration,
                                                                    s.dedup_key)]))]
    if fresh and grouplock.lock_new_alerts(conn, pipeline.plan.routing, fresh):
        # Another instance may have stored some of them while we waited: those are repeats.
        current.update(_open_alerts(conn, {(s.integration, s.dedup_key) for s, _ in fresh}))
    writes = _Writes()
    change_rows: list[dict[str, Any]] = []
    for sub in submissions:
        if sub.heartbeat:
            _beat(conn, sub.integration, now)
            back = _heartbeat_back(sub.integration, now)
            if (sub.integration.name, back.dedup_key) in current:
                _one(conn, pipeline, batch, sub.integration, back, current, writes)
        signals = _still_expired(conn, sub, now) if sub.expiry else sub.signals
        for signal in signals:
            _one(conn, pipeline, batch, sub.integration, signal, current, writes, sub.expiry)
        change_rows.extend(_change_row(sub.integration, change, now) for change in sub.changes)
    pipeline.finish(conn, batch)
    _flush(conn, writes, now)
    if change_rows:
        conn.execute(sa.insert(change_events), change_rows)
    if writes.touched:
        pipeline.after_resolves(conn, batch, writes.touched)
    return batch


def _still_expired(conn: sa.Connection, sub: Submission, now: datetime) -> list[Signal]:
    """The expiry resolves whose alert was not re-sent (which moves endsAt) meanwhile."""
    keys = [s.dedup_key for s in sub.signals]
    expired: set[str] = set()
    for start in range(0, len(keys), _CHUNK):
        expired.update(conn.execute(sa.select(alerts.c.dedup_key).where(
            sa.text(EXPIRY_WHERE), alerts.c.integration == sub.integration.name,
            alerts.c.ends_at <= now,
            alerts.c.dedup_key.in_(keys[start:start + _CHUNK]))).scalars())
    return [s for s in sub.signals if s.dedup_key in expired]


def _one(conn: sa.Connection, pipeline: Pipeline, batch: Batch, integration: Integration,
         signal: Signal, current: dict[tuple[str, str], _Open], writes: _Writes,
         expiry: bool = False) -> None:
    pair = (signal.integration, signal.dedup_key)
    found = current.get(pair)
    now = batch.now
    if expiry and found is not None and (found.row is not None or found.id in writes.repeats):
        return  # re-sent earlier in this very transaction: not expired after all
    if signal.status == "firing":
        if found is not None:
            if found.row is not None:
                found.row["count"] += 1
                found.row["last_seen"] = now
            else:
                assert found.id is not None
                entry = writes.repeats.setdefault(found.id, [0, now, None])
                entry[0] += 1
                entry[2] = signal.ends_at
                if _was_silenced(found) and found.silenced_by is not None and \
                        not pipeline.still_silenced(conn, batch, found.silenced_by):
                    _reroute(conn, pipeline, batch, integration, signal, found, writes)
            return
        decision = pipeline.on_firing(conn, batch, signal, integration.service)
        row = _new_row(signal, now, decision.service, decision.incident_id,
                       decision.silenced_by)
        writes.inserts.append(row)
        current[pair] = _Open(None, decision.incident_id, decision.service, row)
        return
    if found is None:
        return  # resolving or acknowledging an alert that is not open changes nothing
    if signal.status == "acknowledged":
        if found.row is not None:
            found.row["acknowledged_at"] = now
        elif found.id is not None:
            writes.acks.add(found.id)
        if found.incident_id:
            pipeline.on_acknowledged(conn, batch, signal, found.incident_id)
        return
    ends_at = signal.ends_at or now
    if found.row is not None:
        found.row.update(status="resolved", ends_at=ends_at, last_seen=now)
    else:
        assert found.id is not None
        writes.resolves[found.id] = ends_at
        writes.repeats.pop(found.id, None)
    del current[pair]
    if found.incident_id:
        pipeline.on_resolved(conn, batch, signal, found.incident_id, found.service)
        writes.touched.add(found.incident_id)


def _was_silenced(found: _Open) -> bool:
    return found.id is not None and found.incident_id is None and bool(found.silenced_by)


def _reroute(conn: sa.Connection, pipeline: Pipeline, batch: Batch, integration: Integration,
             signal: Signal, found: _Open, writes: _Writes) -> None:
    """A stored alert, silenced when it arrived, fires again after its silence ended (expired
    or deleted): it goes through the pipeline as if new (route, rules, declare or join)."""
    assert found.id is not None
    decision = pipeline.on_firing(conn, batch, signal, integration.service)
    found.incident_id, found.service = decision.incident_id, decision.service
    found.silenced_by = decision.silenced_by
    writes.rerouted[found.id] = {"incident_id": decision.incident_id,
                                 "service": decision.service,
                                 "silenced_by": decision.silenced_by}


def _new_row(signal: Signal, now: datetime, service: str | None, incident_id: str | None,
             silenced_by: str | None) -> dict[str, Any]:
    return {"integration": signal.integration, "source": signal.source,
            "dedup_key": signal.dedup_key, "status": "firing", "labels": signal.labels,
            "annotations": signal.annotations, "summary": signal.summary[:4000],
            "severity_hint": (signal.severity_hint or None) and signal.severity_hint[:64],
            "service": service, "starts_at": signal.starts_at, "ends_at": signal.ends_at,
            "first_seen": now, "last_seen": now, "count": 1, "links": signal.links,
            "incident_id": incident_id, "silenced_by": silenced_by, "acknowledged_at": None,
            "raw": signal.raw}


def _insert(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """Insert new alerts; a concurrent instance's open alert for the same key wins and this
    one counts as a repeat of it (the partial unique index arbitrates)."""
    dialect = conn.dialect.name
    if dialect not in ("postgresql", "sqlite"):
        conn.execute(sa.insert(alerts), rows)
        return
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(alerts)
    stmt = stmt.on_conflict_do_update(
        index_elements=[alerts.c.integration, alerts.c.dedup_key],
        index_where=sa.text("status = 'firing'"),
        set_={"count": alerts.c.count + stmt.excluded.count,
              "last_seen": stmt.excluded.last_seen})
    firing = [row for row in rows if row["status"] == "firing"]
    closed = [row for row in rows if row["status"] != "firing"]
    if closed:
        conn.execute(sa.insert(alerts), closed)
    if firing:
        conn.execute(stmt, firing)


def _flush(conn: sa.Connection, writes: _Writes, now: datetime) -> None:
    if writes.inserts:
        _insert(conn, writes.inserts)
    # Re-sends dominate intake; those sharing (times seen, endsAt) are one UPDATE ... IN.
    same: dict[tuple[int, datetime | None], list[int]] = {}
    for alert_id, (n, _seen, ends) in writes.repeats.items():
        same.setdefault((n, ends), []).append(alert_id)
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    # Bind datetimes exactly as SQLAlchemy would for this engine (UTCDateTime + dialect).
    to_db: Callable[[Any], Any] = (alerts.c.last_seen.type.bind_processor(conn.dialect)
                                   or (lambda value: value))
    seen = to_db(now)
    for (n, ends), ids in same.items():
        sets = f"count = count + {int(n)}, last_seen = {mark}"
        params: list[Any] = [seen]
        if ends is not None:
            sets += f", ends_at = {mark}"
            params.append(to_db(ends))
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            conn.exec_driver_sql(f"UPDATE alerts SET {sets} WHERE id IN "
                                 f"({', '.join([mark] * len(chunk))})", (*params, *chunk))
    if writes.rerouted:
        conn.execute(
            sa.update(alerts).where(alerts.c.id == sa.bindparam("b_id")).values(
                incident_id=sa.bindparam("b_incident"), service=sa.bindparam("b_service"),
                silenced_by=sa.bindparam("b_silenced")),
            [{"b_id": alert_id, "b_incident": v["incident_id"], "b_service": v["service"],
              "b_silenced": v["silenced_by"]} for alert_id, v in writes.rerouted.items()])
    if writes.resolves:
        conn.execute(
            sa.update(alerts).where(alerts.c.id == sa.bindparam("b_id")).values(
                status="resolved", ends_at=sa.bindparam("b_ends"), last_seen=now),
            [{"b_id": alert_id, "b_ends": ends} for alert_id, ends in writes.resolves.items()])
    if writes.acks:
        conn.execute(sa.update(alerts).where(alerts.c.id.in_(sorted(writes.acks)),
                                             alerts.c.acknowledged_at.is_(None))
                     .values(acknowledged_at=now))


def _change_row(integration: Integration, change: ChangeEvent, now: datetime) -> dict[str, Any]:
    service = change.custom_details.get("service")
    return {"integration": integration.name,
            "service": service if isinstance(service, str) and service else integration.service,
            "summary": change.summary, "source": change.source, "at": change.timestamp,
            "links": change.links, "details": change.custom_details, "received_at": now}


def _heartbeat(integration: Integration) -> heartbeat_format.Heartbeat:
    assert integration.interval is not None
    return heartbeat_format.Heartbeat(integration.name, integration.name, integration.interval,
                                      integration.service)


def _heartbeat_key(integration: Integration) -> str:
    return heartbeat_format.dedup_key(_heartbeat(integration))


def _heartbeat_back(integration: Integration, now: datetime) -> Signal:
    signal = heartbeat_format.evaluate(_heartbeat(integration), now, now, alerting=True)
    assert signal is not None
    return signal


def _beat(conn: sa.Connection, integration: Integration, now: datetime) -> None:
    updated = conn.execute(sa.update(heartbeats).where(
        heartbeats.c.integration == integration.name).values(last_seen=now)).rowcount
    if not updated:
        conn.execute(sa.insert(heartbeats).values(integration=integration.name, last_seen=now))
