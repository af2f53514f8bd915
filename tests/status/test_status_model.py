"""The status model's pure rules: severity to component status, public updates, uptime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from warroom.domain.events import GENESIS_HASH, Event, seal
from warroom.status.model import (
    IncidentRow,
    component_status_for,
    impact_for,
    public_updates,
    uptime,
)

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


def _events(*kinds: tuple[str, dict[str, object]]) -> list[Event]:
    events, prev = [], GENESIS_HASH
    for seq, (kind, data) in enumerate(kinds, start=1):
        event = seal("inc", seq, NOW + timedelta(minutes=seq), "rita", kind, data, prev)
        events.append(event)
        prev = event.hash
    return events


def _row(severity_rank: int, start: datetime, end: datetime | None) -> IncidentRow:
    return IncidentRow("i", "INC-1", "t", severity_rank, "resolved" if end else "triggered",
                       ("web",), start, start, end or start, end)


def test_severity_ranks_map_to_statuspage_statuses() -> None:
    assert [component_status_for(r) for r in range(4)] == [
        "major_outage", "partial_outage", "degraded_performance", "degraded_performance"]
    assert [impact_for(r) for r in range(4)] == ["critical", "major", "minor", "minor"]


def test_nothing_before_the_first_publication_and_only_public_text_after() -> None:
    events = _events(
        ("declared", {"title": "x"}),
        ("update_posted", {"audience": "public", "body": "too early", "status":
                           "investigating"}),
        ("published", {"title": "Errors on the website", "components": {"web": "partial_outage"},
                       "impact": "major", "body": "We are looking into errors"}),
        ("note_added", {"text": "secret note"}),
        ("update_posted", {"audience": "internal", "body": "internal only"}),
        ("update_posted", {"audience": "public", "body": "We are on it", "status":
                           "investigating"}),
        ("status_changed", {"from": "triggered", "to": "mitigating", "note": "hidden"}),
        ("update_posted", {"audience": "public", "body": "Fix rolling out",
                           "status": "monitoring"}),
        ("resolved", {"summary": "secret summary"}))
    updates = public_updates("INC-1", events, ("web",))
    assert [(u.status, u.body) for u in updates] == [
        ("resolved", "This incident has been resolved."),
        ("monitoring", "Fix rolling out"),
        ("identified", "The cause has been identified and a fix is being worked on."),
        ("investigating", "We are on it"),
        ("investigating", "We are looking into errors")]
    assert [[(c.component, c.old_status, c.new_status) for c in u.changes]
            for u in updates] == [[("web", "partial_outage", "operational")], [], [], [],
                                  [("web", "operational", "partial_outage")]]
    assert public_updates("INC-1", events[:2], ("web",)) == ()


def test_a_public_update_with_a_status_change_is_one_update() -> None:
    published = seal("inc", 1, NOW, "rita", "published", {
        "title": "t", "components": {"web": "major_outage"}, "impact": "critical"},
        GENESIS_HASH)
    later = NOW + timedelta(minutes=5)
    moved = seal("inc", 2, later, "rita", "status_changed", {"from": "triggered",
                                                              "to": "monitoring"}, published.hash)
    posted = seal("inc", 3, later, "rita", "update_posted", {
        "audience": "public", "status": "monitoring", "body": "Fixed, watching"}, moved.hash)
    updates = public_updates("INC-1", [published, moved, posted], ("web",))
    assert [(u.status, u.body, u.at) for u in updates] == [
        ("monitoring", "Fixed, watching", later),
        ("investigating", "We are investigating this issue.", NOW)]


def test_a_full_day_major_outage_is_a_red_day() -> None:
    start = datetime(2026, 3, 30, 0, 0, tzinfo=UTC)
    up = uptime([_row(0, start, start + timedelta(days=1))], "web", NOW)
    assert len(up.days) == 90 and up.days[-1].day == NOW.date()
    assert up.days[-2].status == "major_outage" and up.days[-2].downtime_seconds == 86400
    assert up.days[-1].status == "operational"
    elapsed = (NOW - datetime(2026, 1, 1, tzinfo=UTC)).total_seconds()
    assert abs(up.percent - 100 * (1 - 86400 / elapsed)) < 1e-9


def test_partial_outages_count_thirty_percent_and_degradation_nothing() -> None:
    start = datetime(2026, 3, 30, 0, 0, tzinfo=UTC)
    partial = uptime([_row(1, start, start + timedelta(hours=10))], "web", NOW)
    assert partial.days[-2].downtime_seconds == 3 * 3600
    degraded = uptime([_row(2, start, start + timedelta(hours=10))], "web", NOW)
    assert degraded.days[-2].status == "degraded_performance"
    assert degraded.percent == 100.0


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-200 * 24, 0),
                          st.one_of(st.none(), st.integers(0, 24 * 30))), max_size=20))
def test_uptime_stays_within_bounds(spans: list[tuple[int, int, int | None]]) -> None:
    rows = [_row(rank, NOW + timedelta(hours=offset),
                 None if length is None else NOW + timedelta(hours=offset + length))
            for rank, offset, length in spans]
    up = uptime(rows, "web", NOW)
    assert 0.0 <= up.percent <= 100.0
    assert all(0 <= d.downtime_seconds <= 86400 for d in up.days)
    assert len(up.days) == 90


def test_maintenance_entries_merge_across_services_and_errors_name_the_line() -> None:
    import pytest

    from warroom.config.loader import Origins
    from warroom.config.models import OrgConfig
    from warroom.status.maintenance import MaintenanceConfigError, maintenances

    window = {"comment": "DB upgrade", "starts_at": "2026-01-10T02:00:00Z",
              "ends_at": "2026-01-10T03:00:00Z"}
    config = OrgConfig.model_validate({"services": [
        {"name": "web", "public": True, "maintenance": [
            window, {"title": "CDN", "starts": "2026-01-11T00:00:00Z",
                     "ends": "2026-01-11T01:00:00Z", "description": "edge swap"}]},
        {"name": "api", "public": True, "maintenance": [window]},
        {"name": "db", "maintenance": [window]}]})
    found = maintenances(config, Origins())
    assert [(m.name, m.components, m.description) for m in found] == [
        ("DB upgrade", ("web", "api"), ""), ("CDN", ("web",), "edge swap")]
    broken = OrgConfig.model_validate({"services": [
        {"name": "web", "public": True, "maintenance": [
            {"comment": "x", "starts_at": "2026-01-10T03:00:00Z",
             "ends_at": "2026-01-10T02:00:00Z"}]}]})
    origins = Origins(places={("services", 0, "maintenance", 0): "org.yaml:7"})
    with pytest.raises(MaintenanceConfigError, match=r"^org.yaml:7: ends .* must be after"):
        maintenances(broken, origins)
