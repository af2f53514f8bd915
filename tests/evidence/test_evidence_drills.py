"""Drill scenarios, scorecards from fake-clock timings, and runbooks overdue for a test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from warroom.clock import FakeClock
from warroom.domain.events import Event
from warroom.evidence.drills import (
    DRILL_LABEL,
    DrillTimings,
    ScenarioError,
    add_months,
    drill_timings,
    load_scenario,
    overdue_table,
    parse_scenario,
    runbooks_overdue,
    score,
    scorecard_markdown,
    scorecard_table,
)
from warroom.testing.evidence_story import Story

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "drills"
START = datetime(2026, 4, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("name", ["p0-frontend-down.yaml", "p1-tabletop-db-latency.yaml"])
def test_shipped_scenarios_load(name: str) -> None:
    scenario = load_scenario(EXAMPLES / name)
    assert scenario.name == name.removesuffix(".yaml")
    assert scenario.alerts


def test_scenario_alerts_become_generic_intake_payloads_marked_as_drill() -> None:
    scenario = load_scenario(EXAMPLES / "p0-frontend-down.yaml")
    payload = scenario.alerts[0].intake_payload(scenario.name)
    assert payload["service"] == "frontend"
    assert payload["severity"] == "critical"
    assert payload["labels"] == {"alertname": "FrontendDown", "env": "production",
                                 "impact": "outage", DRILL_LABEL: "p0-frontend-down"}
    assert scenario.targets.ack_within == timedelta(minutes=5)


def test_scenario_errors_name_file_line_and_field() -> None:
    text = ("name: x\nseverity: P0\ncadence: monthly\nalerts:\n  - summary: s\n"
            "    service: web\ntargets:\n  ack_within: soon\n")
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "drills/x.yaml")
    assert "drills/x.yaml:8: targets.ack_within:" in str(info.value)
    assert "e.g. 30s, 5m" in str(info.value)


def test_live_drill_without_alerts_is_refused() -> None:
    with pytest.raises(ScenarioError, match="at least one alert"):
        parse_scenario("name: x\nseverity: P0\ncadence: monthly\n", "x.yaml")


def _drill_events(mitigate_after: timedelta) -> list[Event]:
    clock = FakeClock(START)
    s = Story(clock, chain="drill-1")
    s.emit("system", "declared", human_id="INC-2026-0101", title="[DRILL] frontend down",
           severity="P0", drill=True, detected_at="2026-04-01T10:00:00Z")
    clock.advance(timedelta(minutes=3, seconds=20))
    s.emit("dana", "acknowledged")
    clock.advance(timedelta(minutes=2))
    for step, phase, outcome in (("probe-frontend", "diagnose", "succeeded"),
                                 ("tell-stakeholders", "communicate", "skipped"),
                                 ("capture-logs", "mitigate", "succeeded")):
        s.emit("dana", "runbook_step_started", run_id="r", step_id=step, phase=phase,
               runbook_id="frontend-down")
        if phase == "mitigate":
            clock.set(START + mitigate_after)
        else:
            clock.advance(30)
        s.emit("dana", "runbook_step_finished", run_id="r", step_id=step, phase=phase,
               outcome=outcome, runbook_id="frontend-down")
    return s.events


def test_scorecard_matches_the_fake_clock_timings() -> None:
    scenario = load_scenario(EXAMPLES / "p0-frontend-down.yaml")
    card = score(scenario, _drill_events(mitigate_after=timedelta(minutes=25)))
    assert card.time_to_ack == timedelta(minutes=3, seconds=20)
    assert card.time_to_runbook_start == timedelta(minutes=5, seconds=20)
    assert card.time_to_mitigation == timedelta(minutes=25)
    assert card.steps_done == ("probe-frontend", "capture-logs")
    assert card.steps_skipped == ("tell-stakeholders",)
    results = {t.name: (t.actual, t.met) for t in card.targets}
    assert results == {
        "Acknowledged": ("3m 20s", True),
        "Runbook started": ("5m 20s", True),
        "Mitigated": ("25m", True),
        "Required steps": ("2/3 done; missing verify-frontend", False),
        "Expected runbook": ("frontend-down", True),
    }
    assert not card.passed


def test_late_mitigation_misses_its_target() -> None:
    scenario = load_scenario(EXAMPLES / "p0-frontend-down.yaml")
    card = score(scenario, _drill_events(mitigate_after=timedelta(minutes=31)))
    mitigated = next(t for t in card.targets if t.name == "Mitigated")
    assert (mitigated.actual, mitigated.met) == ("31m", False)


def test_targets_never_reached_are_missed() -> None:
    scenario = load_scenario(EXAMPLES / "p1-tabletop-db-latency.yaml")
    card = score(scenario, DrillTimings(START, None, None, None))
    assert [(t.name, t.actual, t.met) for t in card.targets[:3]] == [
        ("Acknowledged", "never happened", False),
        ("Runbook started", "never happened", False),
        ("Mitigated", "never happened", False)]


def test_steps_of_another_runbook_are_not_counted() -> None:
    events = _drill_events(timedelta(minutes=10))
    assert drill_timings(events, expected_runbook="other").runbook_started_at is None


def test_scorecard_renders_as_table_and_markdown() -> None:
    scenario = load_scenario(EXAMPLES / "p0-frontend-down.yaml")
    card = score(scenario, _drill_events(timedelta(minutes=25)))
    console = Console(record=True, width=120)
    console.print(scorecard_table(card))
    text = console.export_text()
    assert "MISSED TARGETS" in text and "3m 20s" in text
    assert "| Mitigated | within 30m | 25m | met |" in scorecard_markdown(card)


def test_add_months_clamps_to_the_end_of_shorter_months() -> None:
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 30, tzinfo=UTC), 3) == datetime(2027, 2, 28,
                                                                         tzinfo=UTC)


def test_overdue_runbooks_follow_p0_monthly_and_p1_quarterly() -> None:
    now = datetime(2026, 6, 15, tzinfo=UTC)
    overdue = runbooks_overdue(
        last_tested={"frontend": datetime(2026, 5, 10, tzinfo=UTC),    # due 06-10: 5d late
                     "db": datetime(2026, 4, 1, tzinfo=UTC),           # P1, due 07-01: fine
                     "dns": datetime(2026, 1, 15, tzinfo=UTC),         # P1, due 04-15: 61d
                     "cache": datetime(2026, 6, 1, tzinfo=UTC),        # P0, due 07-01: fine
                     "p3-only": None},
        cadence_by_severity=None,
        runbook_severities={"frontend": "P0", "db": "P1", "dns": ["P1", "P2"],
                            "cache": "P0", "p3-only": "P3", "new": ["P2", "P0"]},
        now=now)
    assert [(o.runbook_id, o.severity, o.overdue_by) for o in overdue] == [
        ("new", "P0", None),
        ("dns", "P1", timedelta(days=61)),
        ("frontend", "P0", timedelta(days=5)),
    ]
    console = Console(record=True, width=120)
    console.print(overdue_table(overdue))
    assert "never tested" in console.export_text()


def test_overdue_cadences_are_configurable() -> None:
    overdue = runbooks_overdue({"db": datetime(2026, 6, 1, tzinfo=UTC)},
                               {"P1": timedelta(days=7)}, {"db": "P1"},
                               datetime(2026, 6, 9, tzinfo=UTC))
    assert [(o.runbook_id, o.cadence, o.overdue_by) for o in overdue] == [
        ("db", "every 7d", timedelta(days=1))]
