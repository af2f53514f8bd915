"""Monthly trends: every month of the window in every group, drills left out and counted,
and rows outside the window ignored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from warroom.evidence.metrics import IncidentMetricsRow
from warroom.evidence.trends import month_start, monthly_trends, recent_months, trend_json

NOW = datetime(2026, 1, 20, 12, 0, tzinfo=UTC)


def _row(started: datetime, severity: str, services: tuple[str, ...] = ("api",),
         ack_minutes: int = 5, drill: bool = False) -> IncidentMetricsRow:
    return IncidentMetricsRow(
        id=f"INC-{started:%m%d%H%M}", severity=severity, services=services, team=None,
        is_drill=drill, started_at=started, detected_at=started, declared_at=started,
        acknowledged_at=started + timedelta(minutes=ack_minutes), mitigated_at=None,
        resolved_at=started + timedelta(hours=1), ack_sla_seconds=None)


def test_months_cross_the_year_boundary_oldest_first() -> None:
    assert recent_months(NOW, 3) == ["2025-11", "2025-12", "2026-01"]
    assert month_start(NOW, 1) == datetime(2025, 12, 1, tzinfo=UTC)


def test_trends_group_by_severity_and_service_month_by_month() -> None:
    rows = [_row(datetime(2025, 12, 3, tzinfo=UTC), "P2", ack_minutes=10),
            _row(datetime(2026, 1, 4, tzinfo=UTC), "P1", ("api", "auth"), ack_minutes=2),
            _row(datetime(2026, 1, 6, tzinfo=UTC), "P1", (), ack_minutes=4),
            _row(datetime(2026, 1, 7, tzinfo=UTC), "P0", drill=True),
            _row(datetime(2025, 10, 30, tzinfo=UTC), "P0")]  # before the window
    report = monthly_trends(rows, NOW, 2, severity_order=["P0", "P1", "P2"])
    assert report.months == ["2025-12", "2026-01"]
    assert report.drills_excluded == 1
    assert [t.key for t in report.by_severity] == ["P1", "P2"]
    p1 = report.by_severity[0]
    assert [m.incidents for m in p1.months] == [0, 2]
    assert p1.months[1].mtta.median == 180 and p1.months[1].mtta.p90 == 240
    assert [t.key for t in report.by_service] == ["(none)", "api", "auth"]
    data = trend_json(report)
    assert data["overall"]["total"]["incidents"] == 3
    assert data["by_severity"][1]["months"][0] == {
        "month": "2025-12", "incidents": 1, "open": 0,
        "mtta": {"count": 1, "median": 600.0, "p90": 600.0},
        "mttm": {"count": 0, "median": None, "p90": None},
        "mttr": {"count": 1, "median": 3600.0, "p90": 3600.0}}
