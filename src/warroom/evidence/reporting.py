"""MTTx reports over the stored incidents: rows from the incidents table, grouped and
summarised by evidence.metrics, and their JSON shape for the API."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from warroom.clock import isoformat
from warroom.config.models import OrgConfig
from warroom.domain.errors import InvalidCommand
from warroom.evidence.metrics import (
    GroupMetrics,
    IncidentMetricsRow,
    MetricsReport,
    Period,
    compute_metrics,
)
from warroom.runtime import Runtime
from warroom.services.principal import Principal, require
from warroom.store import db
from warroom.store.incidents import visibility_clause
from warroom.store.schema import incidents

PERIODS: tuple[str, ...] = ("month", "week")


def team_of(config: OrgConfig, services: tuple[str, ...]) -> str | None:
    """The owning team of the incident's first service that has one."""
    teams = {s.name: s.team for s in config.services}
    for service in services:
        if teams.get(service):
            return teams[service]
    return None


def metrics_rows(conn: sa.Connection, config: OrgConfig, visible: sa.ColumnElement[bool],
                 since: datetime | None = None,
                 until: datetime | None = None) -> list[IncidentMetricsRow]:
    """One row per incident started in [since, until), drills included (compute_metrics
    counts and drops them)."""
    scheme = config.severity_scheme()
    c = incidents.c
    query = sa.select(c.id, c.human_id, c.severity, c.services, c.is_drill, c.started_at,
                      c.detected_at, c.declared_at, c.acknowledged_at, c.mitigated_at,
                      c.resolved_at).where(visible)
    if since is not None:
        query = query.where(c.started_at >= since)
    if until is not None:
        query = query.where(c.started_at < until)
    rows = []
    for r in conn.execute(query.order_by(c.started_at, c.id)):
        level = scheme.get(r.severity)
        services = tuple(r.services or ())
        rows.append(IncidentMetricsRow(
            id=r.human_id, severity=r.severity, services=services,
            team=team_of(config, services), is_drill=r.is_drill, started_at=r.started_at,
            detected_at=r.detected_at, declared_at=r.declared_at,
            acknowledged_at=r.acknowledged_at, mitigated_at=r.mitigated_at,
            resolved_at=r.resolved_at,
            ack_sla_seconds=level.ack_sla.total_seconds() if level else None))
    return rows


def visible_metrics_rows(runtime: Runtime, principal: Principal | None,
                         since: datetime | None = None,
                         until: datetime | None = None) -> list[IncidentMetricsRow]:
    """The rows of every incident the caller may see (viewer role and up): every metrics
    view reads through here, so they all filter restricted incidents the same way."""
    who = require(principal, "viewer", "reading incident metrics")
    with db.read(runtime.engine) as conn:
        return metrics_rows(conn, runtime.config,
                            visibility_clause(who.name, who.sees_restricted), since, until)


def metrics_report(runtime: Runtime, principal: Principal | None, period: str = "month",
                   since: datetime | None = None,
                   until: datetime | None = None) -> MetricsReport:
    """MTTx for every incident the caller may see (viewer role and up)."""
    require(principal, "viewer", "reading incident metrics")
    if period not in PERIODS:
        raise InvalidCommand(f"unknown period {period!r}; use {' or '.join(PERIODS)}")
    rows = visible_metrics_rows(runtime, principal, since, until)
    chosen: Period = "week" if period == "week" else "month"
    return compute_metrics(rows, runtime.clock.now(), chosen,
                           runtime.config.severity_scheme().keys())


def _group_json(group: GroupMetrics) -> dict[str, Any]:
    data = asdict(group)
    data["ack_sla"]["compliance"] = group.ack_sla.compliance
    return data


def report_json(report: MetricsReport, since: datetime | None,
                until: datetime | None) -> dict[str, Any]:
    """Seconds for every measure; `ack_sla.compliance` is met ÷ decided (null if none)."""
    return {
        "period": report.period, "since": isoformat(since) if since else None,
        "until": isoformat(until) if until else None, "units": "seconds",
        "drills_excluded": report.drills_excluded,
        "overall": _group_json(report.overall),
        "by_severity": [_group_json(g) for g in report.by_severity],
        "by_service": [_group_json(g) for g in report.by_service],
        "by_team": [_group_json(g) for g in report.by_team],
        "by_period": [_group_json(g) for g in report.by_period],
    }
