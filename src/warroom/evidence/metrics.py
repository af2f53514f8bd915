"""MTTD, MTTA, MTTM and MTTR with medians and nearest-rank p90, ack-SLA compliance and counts.

Every measure runs from the incident's `started_at`; drills are left out entirely.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from rich.table import Table

from warroom.domain.events import Event
from warroom.evidence.durations import format_duration
from warroom.evidence.milestones import incident_facts, milestones
from warroom.evidence.sla import ack_sla_outcome

Period = Literal["month", "week"]
MEASURES: tuple[tuple[str, str], ...] = (
    ("mttd", "detected_at"), ("mtta", "acknowledged_at"), ("mttm", "mitigated_at"),
    ("mttr", "resolved_at"),
)
NO_VALUE = "(none)"


@dataclass(frozen=True)
class IncidentMetricsRow:
    """One incident's milestones, as the store projects them."""

    id: str
    severity: str
    services: tuple[str, ...]
    team: str | None
    is_drill: bool
    started_at: datetime
    detected_at: datetime | None
    declared_at: datetime | None
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    ack_sla_seconds: float | None


def percentile_nearest_rank(values: Sequence[float], percent: float) -> float:
    """The smallest value with at least `percent`% of the values at or below it.

    Sorted ascending, that is the value at 1-based rank ceil(percent/100 × n); no interpolation,
    so the answer is always one of the measured values.
    """
    if not values:
        raise ValueError("no values")
    if not 0 < percent <= 100:
        raise ValueError("percent must be in (0, 100]")
    ordered = sorted(values)
    rank = math.ceil(percent / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


@dataclass(frozen=True)
class Stat:
    """A measure over a group, in seconds; `count` is how many incidents reached it."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Stat:
        if not values:
            return cls(0, None, None)
        return cls(len(values), float(statistics.median(values)),
                   percentile_nearest_rank(values, 90))


@dataclass(frozen=True)
class AckSla:
    met: int
    breached: int
    pending: int

    @property
    def compliance(self) -> float | None:
        """Met ÷ (met + breached); None when no incident has been decided yet."""
        decided = self.met + self.breached
        return self.met / decided if decided else None


@dataclass(frozen=True)
class GroupMetrics:
    key: str
    incidents: int
    open: int
    mttd: Stat
    mtta: Stat
    mttm: Stat
    mttr: Stat
    ack_sla: AckSla


@dataclass(frozen=True)
class MetricsReport:
    overall: GroupMetrics
    by_severity: list[GroupMetrics]
    by_service: list[GroupMetrics]
    by_team: list[GroupMetrics]
    by_period: list[GroupMetrics]
    period: Period
    drills_excluded: int


def _seconds(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds()


def group_metrics(key: str, rows: Sequence[IncidentMetricsRow], now: datetime) -> GroupMetrics:
    stats = {}
    for name, attr in MEASURES:
        values = [s for r in rows if (s := _seconds(r.started_at, getattr(r, attr))) is not None]
        stats[name] = Stat.of(values)
    outcomes = {"met": 0, "breached": 0, "pending": 0}
    for row in rows:
        if row.ack_sla_seconds is None:
            continue
        declared = row.declared_at or row.detected_at or row.started_at
        outcome = ack_sla_outcome(declared, row.acknowledged_at, row.resolved_at,
                                  timedelta(seconds=row.ack_sla_seconds), now)
        outcomes[outcome] += 1
    return GroupMetrics(key=key, incidents=len(rows),
                        open=sum(1 for r in rows if r.resolved_at is None),
                        ack_sla=AckSla(**outcomes), **stats)


def period_key(instant: datetime, period: Period) -> str:
    """"2026-01" for months; ISO weeks like "2026-W02" (a week belongs to its Thursday's year)."""
    if period == "month":
        return instant.strftime("%Y-%m")
    year, week, _ = instant.isocalendar()
    return f"{year}-W{week:02d}"


def _grouped(rows: Sequence[IncidentMetricsRow],
             keys: Callable[[IncidentMetricsRow], Iterable[str]],
             now: datetime) -> list[GroupMetrics]:
    groups: dict[str, list[IncidentMetricsRow]] = {}
    for row in rows:
        for key in keys(row):
            groups.setdefault(key, []).append(row)
    return [group_metrics(key, groups[key], now) for key in sorted(groups)]


def compute_metrics(rows: Sequence[IncidentMetricsRow], now: datetime,
                    period: Period = "month",
                    severity_order: Sequence[str] = ()) -> MetricsReport:
    """All groupings at once. An incident with several services counts once in each; times
    are in seconds; `severity_order` (most severe first) orders the by-severity rows."""
    real = [r for r in rows if not r.is_drill]
    by_severity = _grouped(real, lambda r: [r.severity], now)
    order = {key: i for i, key in enumerate(severity_order)}
    by_severity.sort(key=lambda g: (order.get(g.key, len(order)), g.key))
    return MetricsReport(
        overall=group_metrics("all", real, now),
        by_severity=by_severity,
        by_service=_grouped(real, lambda r: list(r.services) or [NO_VALUE], now),
        by_team=_grouped(real, lambda r: [r.team or NO_VALUE], now),
        by_period=_grouped(real, lambda r: [period_key(r.started_at, period)], now),
        period=period,
        drills_excluded=len(rows) - len(real),
    )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _cells(group: GroupMetrics) -> list[str]:
    cells = [group.key, str(group.incidents), str(group.open)]
    for name, _ in MEASURES:
        stat: Stat = getattr(group, name)
        cells.append(f"{format_duration(stat.median)} / {format_duration(stat.p90)}")
    sla = group.ack_sla
    cells.append(f"{_pct(sla.compliance)} ({sla.met}/{sla.met + sla.breached})")
    return cells


_HEADERS = ["", "Incidents", "Open", "MTTD median / p90", "MTTA median / p90",
            "MTTM median / p90", "MTTR median / p90", "Ack SLA met"]


def _sections(report: MetricsReport) -> list[tuple[str, list[GroupMetrics]]]:
    return [("All incidents", [report.overall]), ("By severity", report.by_severity),
            ("By service", report.by_service), ("By team", report.by_team),
            (f"By {report.period}", report.by_period)]


def metrics_tables(report: MetricsReport) -> list[Table]:
    """Rich tables for `warroom report`, one per grouping."""
    tables = []
    for title, groups in _sections(report):
        table = Table(title=title, title_justify="left")
        for i, header in enumerate(_HEADERS):
            table.add_column(header or title.removeprefix("By ").capitalize(),
                             justify="left" if i == 0 else "right")
        for group in groups:
            table.add_row(*_cells(group))
        tables.append(table)
    return tables


def metrics_markdown(report: MetricsReport) -> str:
    lines = ["# Incident metrics", "",
             f"Drills excluded: {report.drills_excluded}. Durations run from the incident's "
             "start; p90 is nearest-rank.", ""]
    for title, groups in _sections(report):
        header = [h or title.removeprefix("By ").capitalize() for h in _HEADERS]
        lines += [f"## {title}", "", "| " + " | ".join(header) + " |",
                  "|---" + "|---:" * (len(header) - 1) + "|"]
        lines += ["| " + " | ".join(_cells(g)) + " |" for g in groups]
        lines.append("")
    return "\n".join(lines)


def metrics_row(events: Sequence[Event], team: str | None = None,
                ack_sla_seconds: float | None = None) -> IncidentMetricsRow | None:
    """A row straight from a timeline, for callers without a projection; None if undeclared."""
    ms = milestones(events)
    if ms.started is None:
        return None
    facts = incident_facts(events)
    return IncidentMetricsRow(
        id=facts.human_id or facts.chain, severity=facts.severity, services=facts.services,
        team=team, is_drill=facts.drill, started_at=ms.started, detected_at=ms.detected,
        declared_at=ms.declared, acknowledged_at=ms.acknowledged, mitigated_at=ms.mitigated,
        resolved_at=ms.resolved, ack_sla_seconds=ack_sla_seconds)
