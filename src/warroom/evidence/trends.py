"""Monthly MTTA, MTTM and MTTR per severity and per service over the last months: the
console's metrics page and its JSON twin. Grouping and statistics are evidence.metrics'."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from warroom.clock import isoformat
from warroom.domain.errors import InvalidCommand
from warroom.evidence.metrics import (
    NO_VALUE,
    GroupMetrics,
    IncidentMetricsRow,
    Stat,
    group_metrics,
    period_key,
)
from warroom.evidence.reporting import visible_metrics_rows
from warroom.runtime import Runtime
from warroom.services.principal import Principal

TREND_MEASURES: tuple[str, ...] = ("mtta", "mttm", "mttr")
MAX_MONTHS = 24


def month_start(now: datetime, back: int = 0) -> datetime:
    """Midnight UTC on the first day of the month `back` months before `now`'s month."""
    month = now.year * 12 + now.month - 1 - back
    return datetime(month // 12, month % 12 + 1, 1, tzinfo=UTC)


def recent_months(now: datetime, count: int) -> list[str]:
    """The last `count` months up to and including `now`'s, oldest first ("2026-01")."""
    return [month_start(now, back).strftime("%Y-%m") for back in range(count - 1, -1, -1)]


@dataclass(frozen=True)
class Trend:
    """One group's figures over the whole window and per month (empty months included)."""

    key: str
    total: GroupMetrics
    months: list[GroupMetrics]


@dataclass(frozen=True)
class TrendReport:
    months: list[str]
    since: datetime
    overall: Trend
    by_severity: list[Trend]
    by_service: list[Trend]
    drills_excluded: int


def _trend(key: str, rows: Sequence[IncidentMetricsRow], months: Sequence[str],
           now: datetime) -> Trend:
    by_month: dict[str, list[IncidentMetricsRow]] = {}
    for row in rows:
        by_month.setdefault(period_key(row.started_at, "month"), []).append(row)
    return Trend(key, group_metrics(key, rows, now),
                 [group_metrics(month, by_month.get(month, []), now) for month in months])


def _trends(rows: Sequence[IncidentMetricsRow],
            keys: Callable[[IncidentMetricsRow], Iterable[str]], months: Sequence[str],
            now: datetime) -> list[Trend]:
    groups: dict[str, list[IncidentMetricsRow]] = {}
    for row in rows:
        for key in keys(row):
            groups.setdefault(key, []).append(row)
    return [_trend(key, groups[key], months, now) for key in sorted(groups)]


def monthly_trends(rows: Sequence[IncidentMetricsRow], now: datetime, months: int,
                   severity_order: Sequence[str] = ()) -> TrendReport:
    """Group the rows started in the last `months` months (this one included) by severity
    and by service, month by month; drills are left out and counted."""
    if not 1 <= months <= MAX_MONTHS:
        raise ValueError(f"months must be between 1 and {MAX_MONTHS}")
    keys = recent_months(now, months)
    since = month_start(now, months - 1)
    window = [r for r in rows if since <= r.started_at <= now]
    real = [r for r in window if not r.is_drill]
    by_severity = _trends(real, lambda r: [r.severity], keys, now)
    order = {key: i for i, key in enumerate(severity_order)}
    by_severity.sort(key=lambda t: (order.get(t.key, len(order)), t.key))
    return TrendReport(
        months=keys, since=since, overall=_trend("all", real, keys, now),
        by_severity=by_severity,
        by_service=_trends(real, lambda r: list(r.services) or [NO_VALUE], keys, now),
        drills_excluded=len(window) - len(real))


def trend_report(runtime: Runtime, principal: Principal | None, months: int) -> TrendReport:
    """The trends over every incident the caller may see: the same rows, permission check
    and restricted-incident filter as GET /api/v1/reports/metrics."""
    now = runtime.clock.now()
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidCommand(f"months must be between 1 and {MAX_MONTHS}, got {months}")
    rows = visible_metrics_rows(runtime, principal, since=month_start(now, months - 1))
    return monthly_trends(rows, now, months, runtime.config.severity_scheme().keys())


def _stat_json(stat: Stat) -> dict[str, Any]:
    return {"count": stat.count, "median": stat.median, "p90": stat.p90}


def _group_json(group: GroupMetrics) -> dict[str, Any]:
    return {"incidents": group.incidents, "open": group.open,
            **{name: _stat_json(getattr(group, name)) for name in TREND_MEASURES}}


def _trend_json(trend: Trend) -> dict[str, Any]:
    return {"key": trend.key, "total": _group_json(trend.total),
            "months": [{"month": month.key, **_group_json(month)} for month in trend.months]}


def trend_json(report: TrendReport) -> dict[str, Any]:
    """Seconds for every measure; p90 is nearest-rank; every month appears in every group."""
    return {
        "months": report.months, "since": isoformat(report.since), "units": "seconds",
        "measures": list(TREND_MEASURES), "drills_excluded": report.drills_excluded,
        "overall": _trend_json(report.overall),
        "by_severity": [_trend_json(t) for t in report.by_severity],
        "by_service": [_trend_json(t) for t in report.by_service],
    }
