"""Prometheus metrics for /metrics, read from the database at scrape time.

Everything comes from the store, not from in-process counters, so the figures are the same
whichever process (serve or a separate `warroom worker`) delivered the page or fired the
timer. Histograms are fed incrementally: each scrape reads only rows finished since the last.
"""

from __future__ import annotations

import importlib
import threading
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.registry import Collector

from warroom.runtime import Runtime
from warroom.store import db
from warroom.store.engine import outbox, timers
from warroom.store.schema import incidents

DELIVERY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
LATENESS_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)
OUTBOX_STATES = ("pending", "sending", "failed", "dead")
DONE_STATUSES = ("resolved", "closed")
DEFAULT_ESCALATION_KINDS = ("paging.step", "paging.contact")


@dataclass
class Incremental:
    """A histogram fed from rows finished after a watermark; ids at the watermark instant are
    remembered so rows sharing that instant are counted exactly once."""

    buckets: Sequence[float]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    watermark: datetime | None = None
    at_watermark: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.buckets) + 1)

    def feed(self, rows: Sequence[tuple[int, datetime, float]]) -> None:
        for row_id, finished, value in rows:
            if self.watermark is not None and (finished < self.watermark or (
                    finished == self.watermark and row_id in self.at_watermark)):
                continue
            self.counts[bisect_left(self.buckets, value)] += 1
            self.total += value
            if self.watermark is None or finished > self.watermark:
                self.watermark, self.at_watermark = finished, set()
            self.at_watermark.add(row_id)

    def family(self, name: str, doc: str) -> HistogramMetricFamily:
        cumulative, running = [], 0
        for bound, count in zip((*self.buckets, float("inf")), self.counts, strict=True):
            running += count
            cumulative.append(("+Inf" if bound == float("inf") else repr(float(bound)),
                               float(running)))
        return HistogramMetricFamily(name, doc, buckets=cumulative, sum_value=self.total)


def escalation_kinds() -> tuple[str, ...]:
    """The timer kinds of escalation: the paging engine's step and contact timers."""
    try:
        from warroom.paging import planner
    except ImportError:  # a build without the paging engine
        return DEFAULT_ESCALATION_KINDS
    return (str(planner.STEP), str(planner.CONTACT))


def _alerts_table() -> sa.Table | None:
    try:
        module = importlib.import_module("warroom.store.alerts")
    except ImportError:
        return None
    table = getattr(module, "alerts", None)
    return table if isinstance(table, sa.Table) and "source" in table.c else None


# /metrics needs no credentials, so it never counts restricted incidents (docs/security.md).
PUBLICLY_COUNTED = incidents.c.visibility == "normal"


class WarroomCollector(Collector):
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.delivery = Incremental(DELIVERY_BUCKETS)
        self.lateness = Incremental(LATENESS_BUCKETS)
        self._lock = threading.Lock()

    def collect(self) -> Iterator[Any]:
        with self._lock, db.read(self.rt.engine) as conn:
            yield self._open_incidents(conn)
            yield self._sla_breaches(conn)
            yield self._outbox_depth(conn)
            alerts = self._alerts(conn)
            if alerts is not None:
                yield alerts
            self.delivery.feed(self._since(
                conn, outbox, outbox.c.created_at, outbox.c.sent_at, self.delivery,
                outbox.c.status == "sent"))
            yield self.delivery.family(
                "warroom_notification_delivery_seconds",
                "Time from queueing a notification to its delivery (outbox created→sent).")
            self.lateness.feed(self._since(
                conn, timers, timers.c.due_at, timers.c.fired_at, self.lateness,
                sa.and_(timers.c.status == "done", timers.c.kind.in_(escalation_kinds()))))
            yield self.lateness.family(
                "warroom_escalation_lateness_seconds",
                "How late escalation timers (paging steps and contacts) fired after their "
                "due time.")

    def _open_incidents(self, conn: sa.Connection) -> GaugeMetricFamily:
        gauge = GaugeMetricFamily("warroom_open_incidents",
                                  "Open (not resolved or closed) incidents, drills and "
                                  "restricted incidents excluded.",
                                  labels=["severity"])
        counts = dict.fromkeys(self.rt.config.severity_scheme().keys(), 0)
        for severity, count in conn.execute(
                sa.select(incidents.c.severity, sa.func.count())
                .where(incidents.c.status.not_in(DONE_STATUSES),
                       incidents.c.is_drill.is_(False), PUBLICLY_COUNTED)
                .group_by(incidents.c.severity)):
            counts[severity] = int(count)
        for severity, count in counts.items():
            gauge.add_metric([severity], count)
        return gauge

    def _sla_breaches(self, conn: sa.Connection) -> CounterMetricFamily:
        counter = CounterMetricFamily(
            "warroom_sla_breaches", "Incidents that breached their severity's acknowledgement "
            "SLA (acknowledged late, or not acknowledged by the deadline), drills and "
            "restricted incidents excluded.",
            labels=["severity", "sla"])
        scheme = self.rt.config.severity_scheme()
        now = self.rt.clock.now()
        counts = dict.fromkeys(scheme.keys(), 0)
        for row in conn.execute(sa.select(incidents.c.severity, incidents.c.declared_at,
                                          incidents.c.acknowledged_at)
                                .where(incidents.c.is_drill.is_(False), PUBLICLY_COUNTED)):
            level = scheme.get(row.severity)
            if level is None:
                continue
            deadline = row.declared_at + level.ack_sla
            if (row.acknowledged_at or now) > deadline:
                counts[row.severity] = counts.get(row.severity, 0) + 1
        for severity, count in counts.items():
            counter.add_metric([severity, "ack"], count)
        return counter

    def _outbox_depth(self, conn: sa.Connection) -> GaugeMetricFamily:
        gauge = GaugeMetricFamily("warroom_outbox_depth",
                                  "Notifications waiting in the outbox, by state.",
                                  labels=["status"])
        counts = dict.fromkeys(OUTBOX_STATES, 0)
        for status, count in conn.execute(sa.select(outbox.c.status, sa.func.count())
                                          .where(outbox.c.status.in_(OUTBOX_STATES))
                                          .group_by(outbox.c.status)):
            counts[status] = int(count)
        for status, count in counts.items():
            gauge.add_metric([status], count)
        return gauge

    def _alerts(self, conn: sa.Connection) -> CounterMetricFamily | None:
        table = _alerts_table()
        if table is None:
            return None
        amount = sa.func.sum(table.c["count"]) if "count" in table.c else sa.func.count()
        counter = CounterMetricFamily("warroom_alerts_received",
                                      "Alerts received, by intake source.", labels=["source"])
        for source, total in conn.execute(sa.select(table.c.source, amount)
                                          .group_by(table.c.source)):
            counter.add_metric([str(source)], float(total or 0))
        return counter

    @staticmethod
    def _since(conn: sa.Connection, table: sa.Table, start: sa.Column[Any],
               end: sa.Column[Any], hist: Incremental, where: sa.ColumnElement[bool],
               ) -> list[tuple[int, datetime, float]]:
        query = sa.select(table.c.id, start, end).where(where, end.is_not(None))
        if hist.watermark is not None:
            query = query.where(end >= hist.watermark)
        return [(r[0], r[2], max(0.0, (r[2] - r[1]).total_seconds()))
                for r in conn.execute(query.order_by(end, table.c.id))]


def build_registry(runtime: Runtime) -> CollectorRegistry:
    """A registry of its own per app, so tests and several apps never share counters."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(WarroomCollector(runtime))
    return registry
