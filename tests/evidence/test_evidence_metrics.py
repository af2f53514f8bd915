"""MTTx medians and nearest-rank p90, ack-SLA compliance and counts, against hand-computed sums."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.clock import FakeClock
from warroom.domain import incident as dom
from warroom.domain.events import GENESIS_HASH, Event, seal
from warroom.domain.severity import DEFAULT_SCHEME
from warroom.evidence.metrics import (
    IncidentMetricsRow,
    compute_metrics,
    metrics_markdown,
    metrics_row,
    metrics_tables,
    percentile_nearest_rank,
)

T = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday, ISO week 2
NOW = datetime(2026, 2, 1, tzinfo=UTC)


def row(id: str, severity: str, *, detected: int, ack: int | None, mitigated: int | None,
        resolved: int | None, sla: float | None, services: tuple[str, ...] = ("api",),
        team: str | None = "core", drill: bool = False, start: datetime = T) -> IncidentMetricsRow:
    def at(offset: int | None) -> datetime | None:
        return None if offset is None else start + timedelta(seconds=offset)
    return IncidentMetricsRow(
        id=id, severity=severity, services=services, team=team, is_drill=drill,
        started_at=start, detected_at=at(detected), declared_at=at(detected),
        acknowledged_at=at(ack), mitigated_at=at(mitigated), resolved_at=at(resolved),
        ack_sla_seconds=sla)


ROWS = [
    row("a", "P0", detected=60, ack=240, mitigated=900, resolved=1800, sla=300,
        services=("api", "web")),
    row("b", "P0", detected=120, ack=720, mitigated=1500, resolved=3600, sla=300),
    row("c", "P0", detected=30, ack=None, mitigated=None, resolved=None, sla=300, team=None),
    row("d", "P1", detected=300, ack=1200, mitigated=None, resolved=7200, sla=900,
        start=T + timedelta(days=7)),
    row("drill", "P0", detected=1, ack=2, mitigated=3, resolved=4, sla=300, drill=True),
]


def test_nearest_rank_percentile_picks_a_measured_value() -> None:
    values = [15.0, 20.0, 35.0, 40.0, 50.0]
    assert percentile_nearest_rank(values, 30) == 20
    assert percentile_nearest_rank(values, 50) == 35
    assert percentile_nearest_rank(values, 90) == 50
    assert percentile_nearest_rank([float(v) for v in range(1, 11)], 90) == 9
    assert percentile_nearest_rank([7.0], 90) == 7


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=50))
def test_p90_has_at_least_90_percent_of_values_at_or_below_it(values: list[float]) -> None:
    p90 = percentile_nearest_rank(values, 90)
    assert p90 in values
    assert sum(v <= p90 for v in values) >= 0.9 * len(values)


def test_per_severity_medians_p90s_and_sla_compliance_are_exact() -> None:
    report = compute_metrics(ROWS, NOW, severity_order=["P0", "P1"])
    p0, p1 = report.by_severity
    assert (p0.key, p0.incidents, p0.open) == ("P0", 3, 1)
    assert (p0.mttd.median, p0.mttd.p90) == (60, 120)
    assert (p0.mtta.count, p0.mtta.median, p0.mtta.p90) == (2, 480, 720)
    assert (p0.mttm.median, p0.mttm.p90) == (1200, 1500)
    assert (p0.mttr.median, p0.mttr.p90) == (2700, 3600)
    # a acked 3m after declaration (met); b 10m (breached); c never, still open (breached).
    assert (p0.ack_sla.met, p0.ack_sla.breached, p0.ack_sla.pending) == (1, 2, 0)
    assert p0.ack_sla.compliance == pytest.approx(1 / 3)
    assert (p1.mtta.median, p1.mttr.median, p1.ack_sla.met) == (1200, 7200, 1)
    assert report.overall.incidents == 4
    assert report.drills_excluded == 1
    assert (report.overall.mtta.median, report.overall.mtta.p90) == (720, 1200)


def test_groups_by_service_team_and_period() -> None:
    report = compute_metrics(ROWS, NOW, period="week")
    assert [(g.key, g.incidents) for g in report.by_service] == [("api", 4), ("web", 1)]
    assert [(g.key, g.incidents) for g in report.by_team] == [("(none)", 1), ("core", 3)]
    assert [(g.key, g.incidents) for g in report.by_period] == [("2026-W02", 3),
                                                                ("2026-W03", 1)]
    monthly = compute_metrics(ROWS, NOW, period="month")
    assert [(g.key, g.incidents) for g in monthly.by_period] == [("2026-01", 4)]


def test_unacked_open_incident_is_pending_until_its_sla_passes() -> None:
    fresh = [row("c", "P0", detected=30, ack=None, mitigated=None, resolved=None, sla=300)]
    before = compute_metrics(fresh, T + timedelta(seconds=300)).overall.ack_sla
    after = compute_metrics(fresh, T + timedelta(seconds=331)).overall.ack_sla
    assert (before.pending, before.breached, before.compliance) == (1, 0, None)
    assert (after.pending, after.breached, after.compliance) == (0, 1, 0.0)


def test_scripted_incident_gives_exact_mtta_and_mttr(
        story: tuple[FakeClock, list[Event], dict[str, bytes]]) -> None:
    _, events, _ = story
    incident = metrics_row(events, team="payments", ack_sla_seconds=300)
    assert incident is not None
    report = compute_metrics([incident], NOW)
    assert report.overall.mttd.median == 120        # 08:58 → 09:00
    assert report.overall.mtta.median == 300        # 08:58 → 09:03
    assert report.overall.mttm.median == 1260       # 08:58 → 09:19 rollback finished
    assert report.overall.mttr.median == 2520       # 08:58 → 09:40
    assert report.overall.ack_sla.compliance == 1.0


def test_report_renders_as_rich_tables_and_markdown() -> None:
    report = compute_metrics(ROWS, NOW, severity_order=["P0", "P1"])
    assert [t.title for t in metrics_tables(report)] == [
        "All incidents", "By severity", "By service", "By team", "By month"]
    text = metrics_markdown(report)
    assert "| P0 | 3 | 1 | 1m / 2m | 8m / 12m | 20m / 25m | 45m / 1h | 33.3% (1/3) |" in text


def _timeline(*steps: tuple[str, dom.Command]) -> list[Event]:
    """Events for (actor, command) steps, a minute apart."""
    vocab = dom.Vocabulary(scheme=DEFAULT_SCHEME)
    clock = FakeClock(T)
    state: dom.IncidentState | None = None
    events: list[Event] = []
    prev = GENESIS_HASH
    for actor, command in steps:
        for draft in dom.decide(state, command, vocab, clock.now()):
            if draft.kind == "declared":
                draft.data["human_id"] = "INC-2026-0009"
            event = seal("inc9", len(events) + 1, clock.now(), actor, draft.kind, draft.data,
                         prev)
            prev = event.hash
            events.append(event)
            state = dom.apply(state, event)
        clock.advance(60)
    return events


def test_mtta_and_mttm_ignore_system_moves_and_count_integration_acks() -> None:
    system = _timeline(("alice", dom.Declare("db down", "P1")),
                       ("warroom", dom.SetStatus("monitoring", "all alerts resolved",
                                                 system=True)),
                       ("warroom", dom.Resolve("all alerts resolved", system=True)))
    found = metrics_row(system, ack_sla_seconds=900)
    assert found is not None
    assert (found.acknowledged_at, found.mitigated_at) == (None, None)
    assert found.resolved_at == T + timedelta(minutes=2)
    acked = metrics_row(_timeline(("alice", dom.Declare("db down", "P1")),
                                  ("integration:zabbix", dom.Acknowledge())),
                        ack_sla_seconds=900)
    assert acked is not None and acked.acknowledged_at == T + timedelta(minutes=1)
