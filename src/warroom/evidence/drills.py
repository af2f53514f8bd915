"""Drill scenarios (YAML), their scorecards, and which runbooks are overdue for a test."""

from __future__ import annotations

import calendar
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from rich.table import Table

from warroom import yamlfile
from warroom.domain.events import Event
from warroom.evidence.durations import DurationError, format_duration, parse_duration
from warroom.evidence.milestones import milestones, step_succeeded


def _duration(value: Any) -> Any:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            return parse_duration(value)
        except DurationError as exc:
            raise ValueError(str(exc)) from exc
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]
Cadence = Literal["weekly", "monthly", "quarterly", "yearly"]
CADENCE_MONTHS: dict[str, int] = {"monthly": 1, "quarterly": 3, "yearly": 12}
DRILL_LABEL = "warroom_drill"


class DrillAlert(BaseModel):
    """One alert to inject, in the generic intake format."""

    model_config = ConfigDict(extra="forbid")

    summary: str = Field(min_length=1)
    service: str = Field(min_length=1)
    severity: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    dedup_key: str | None = None

    def intake_payload(self, scenario: str) -> dict[str, Any]:
        """The generic-intake body; the `warroom_drill` label marks the incident as a drill."""
        payload: dict[str, Any] = {
            "summary": self.summary, "service": self.service, "status": "firing",
            "labels": {**self.labels, DRILL_LABEL: scenario},
            "annotations": dict(self.annotations),
        }
        if self.severity:
            payload["severity"] = self.severity
        if self.dedup_key:
            payload["dedup_key"] = self.dedup_key
        return payload


class DrillTargets(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ack_within: Duration | None = None
    runbook_started_within: Duration | None = None
    mitigated_within: Duration | None = None
    steps_required: list[str] = Field(default_factory=list)


class DrillScenario(BaseModel):
    """A rehearsal: what to inject, which runbook should be used, and the targets to meet.

    `live` drills run the runbook's steps for real; `tabletop` exercises walk them by hand.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    description: str = ""
    severity: str = Field(min_length=1)
    mode: Literal["live", "tabletop"] = "live"
    cadence: Literal["monthly", "quarterly"]
    alerts: list[DrillAlert] = Field(default_factory=list)
    expected_runbook: str | None = None
    targets: DrillTargets = Field(default_factory=DrillTargets)

    @model_validator(mode="after")
    def _live_drills_inject_alerts(self) -> DrillScenario:
        if self.mode == "live" and not self.alerts:
            raise ValueError("a live drill needs at least one alert under `alerts`")
        return self


class ScenarioError(ValueError):
    """A scenario file that does not validate; one 'file:line: field: problem' per line."""


def parse_scenario(text: str, file: str = "<scenario>") -> DrillScenario:
    try:
        data, smap = yamlfile.loads(text, file)
    except yamlfile.YamlError as exc:
        raise ScenarioError(str(exc)) from exc
    if not isinstance(data, dict):
        raise ScenarioError(f"{file}: a drill scenario is a mapping with name, severity, "
                            "cadence, alerts and targets")
    try:
        return DrillScenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError("\n".join(yamlfile.format_pydantic_errors(exc.errors(), smap))) \
            from exc


def load_scenario(path: Path) -> DrillScenario:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ScenarioError(f"{path}: no such scenario file") from exc
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    return parse_scenario(text, str(path))


def runbook_problems(scenario: DrillScenario,
                     step_ids: Mapping[str, Sequence[str]]) -> list[str]:
    """What the scenario names that the runbooks (id -> step ids) do not hold: an unknown
    `expected_runbook`, or `steps_required` that are not steps of it."""
    wanted = scenario.expected_runbook
    if not wanted:
        if scenario.targets.steps_required:
            return ["targets.steps_required names steps but the scenario has no "
                    "expected_runbook to find them in"]
        return []
    if wanted not in step_ids:
        near = difflib.get_close_matches(wanted, list(step_ids), n=3)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        return [f"expected_runbook: no runbook {wanted!r}{hint}"]
    steps = step_ids[wanted]
    return [f"targets.steps_required: {step!r} is not a step of runbook {wanted} "
            f"(its steps: {', '.join(steps)})"
            for step in scenario.targets.steps_required if step not in steps]


@dataclass(frozen=True)
class DrillTimings:
    """When the drill reached each point, and which runbook steps were done or skipped."""

    started_at: datetime
    acknowledged_at: datetime | None
    runbook_started_at: datetime | None
    mitigated_at: datetime | None
    steps_done: tuple[str, ...] = ()
    steps_skipped: tuple[str, ...] = ()
    runbook_used: str | None = None


def _runbook_of(event: Event) -> str | None:
    value = event.data.get("runbook_id") or event.data.get("runbook")
    return str(value) if value else None


def drill_timings(events: Sequence[Event], started_at: datetime | None = None,
                  expected_runbook: str | None = None) -> DrillTimings:
    """Timings from the drill incident's events; the start defaults to its detection time.

    Step events naming another runbook than `expected_runbook` are ignored; step events that
    name none are counted.
    """
    ms = milestones(events)
    start = started_at or ms.detected or (events[0].at if events else None)
    if start is None:
        raise ValueError("a drill with no events and no start time cannot be scored")
    runbook_started: Event | None = None
    done: list[str] = []
    skipped: list[str] = []
    for event in events:
        named = _runbook_of(event)
        if expected_runbook and named and named != expected_runbook:
            continue
        step = str(event.data.get("step_id", ""))
        if event.kind == "runbook_step_started" and runbook_started is None:
            runbook_started = event
        elif event.kind == "runbook_step_skipped" or (
                event.kind == "runbook_step_finished"
                and str(event.data.get("outcome", "")).lower() == "skipped"):
            skipped.append(step)
        elif step_succeeded(event):
            done.append(step)
    return DrillTimings(
        started_at=start, acknowledged_at=ms.acknowledged,
        runbook_started_at=runbook_started.at if runbook_started else None,
        mitigated_at=ms.mitigated, steps_done=tuple(dict.fromkeys(done)),
        steps_skipped=tuple(dict.fromkeys(s for s in skipped if s not in done)),
        runbook_used=_runbook_of(runbook_started) if runbook_started else None)


@dataclass(frozen=True)
class TargetResult:
    name: str
    target: str
    actual: str
    met: bool


@dataclass(frozen=True)
class Scorecard:
    scenario: str
    severity: str
    started_at: datetime
    time_to_ack: timedelta | None
    time_to_runbook_start: timedelta | None
    time_to_mitigation: timedelta | None
    steps_done: tuple[str, ...]
    steps_skipped: tuple[str, ...]
    targets: tuple[TargetResult, ...]

    @property
    def passed(self) -> bool:
        return all(t.met for t in self.targets)


def _since(start: datetime, end: datetime | None) -> timedelta | None:
    return None if end is None else end - start


def _timed(name: str, target: timedelta | None, actual: timedelta | None) -> TargetResult | None:
    if target is None:
        return None
    met = actual is not None and actual <= target
    shown = format_duration(actual) if actual is not None else "never happened"
    return TargetResult(name, f"within {format_duration(target)}", shown, met)


def score(scenario: DrillScenario, drill: DrillTimings | Sequence[Event]) -> Scorecard:
    """Compare what happened in the drill with the scenario's targets."""
    timings = (drill if isinstance(drill, DrillTimings)
               else drill_timings(drill, expected_runbook=scenario.expected_runbook))
    start = timings.started_at
    to_ack = _since(start, timings.acknowledged_at)
    to_runbook = _since(start, timings.runbook_started_at)
    to_mitigation = _since(start, timings.mitigated_at)
    targets = scenario.targets
    results = [r for r in (
        _timed("Acknowledged", targets.ack_within, to_ack),
        _timed("Runbook started", targets.runbook_started_within, to_runbook),
        _timed("Mitigated", targets.mitigated_within, to_mitigation),
    ) if r is not None]
    if targets.steps_required:
        missing = [s for s in targets.steps_required if s not in timings.steps_done]
        actual = (f"{len(targets.steps_required) - len(missing)}/{len(targets.steps_required)}"
                  " done" + (f"; missing {', '.join(missing)}" if missing else ""))
        results.append(TargetResult("Required steps", ", ".join(targets.steps_required),
                                    actual, not missing))
    if scenario.expected_runbook and timings.runbook_used:
        used = timings.runbook_used
        results.append(TargetResult("Expected runbook", scenario.expected_runbook, used,
                                    used == scenario.expected_runbook))
    return Scorecard(scenario=scenario.name, severity=scenario.severity, started_at=start,
                     time_to_ack=to_ack, time_to_runbook_start=to_runbook,
                     time_to_mitigation=to_mitigation, steps_done=timings.steps_done,
                     steps_skipped=timings.steps_skipped, targets=tuple(results))


def _measurements(card: Scorecard) -> list[tuple[str, str]]:
    return [("Time to acknowledge", format_duration(card.time_to_ack)),
            ("Time to runbook start", format_duration(card.time_to_runbook_start)),
            ("Time to mitigation", format_duration(card.time_to_mitigation)),
            ("Steps done", ", ".join(card.steps_done) or "none"),
            ("Steps skipped", ", ".join(card.steps_skipped) or "none")]


def scorecard_table(card: Scorecard) -> Table:
    verdict = "[green]PASSED[/green]" if card.passed else "[red]MISSED TARGETS[/red]"
    table = Table(title=f"Drill {card.scenario} ({card.severity}) — {verdict}",
                  title_justify="left")
    for column in ("Measure", "Target", "Actual", "Result"):
        table.add_column(column)
    for name, actual in _measurements(card):
        table.add_row(name, "", actual, "")
    for result in card.targets:
        table.add_row(result.name, result.target, result.actual,
                      "[green]met[/green]" if result.met else "[red]missed[/red]")
    return table


def scorecard_markdown(card: Scorecard) -> str:
    verdict = "passed" if card.passed else "missed targets"
    lines = [f"# Drill scorecard — {card.scenario} ({card.severity}): {verdict}", "",
             "| Measure | Value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in _measurements(card)]
    lines += ["", "| Target | Goal | Actual | Result |", "|---|---|---|---|"]
    lines += [f"| {r.name} | {r.target} | {r.actual} | {'met' if r.met else 'missed'} |"
              for r in card.targets]
    return "\n".join(lines) + "\n"


DEFAULT_TEST_CADENCE: dict[str, str | timedelta] = {"P0": "monthly", "P1": "quarterly"}


def add_months(instant: datetime, months: int) -> datetime:
    """Same day and time `months` later, clamped to the month's last day (31 Jan → 28 Feb)."""
    index = instant.month - 1 + months
    year, month = instant.year + index // 12, index % 12 + 1
    day = min(instant.day, calendar.monthrange(year, month)[1])
    return instant.replace(year=year, month=month, day=day)


def next_test_due(last_tested: datetime, cadence: str | timedelta) -> datetime:
    if isinstance(cadence, timedelta):
        return last_tested + cadence
    if cadence == "weekly":
        return last_tested + timedelta(weeks=1)
    if cadence not in CADENCE_MONTHS:
        raise ValueError(f"unknown test cadence {cadence!r} — use weekly, monthly, quarterly, "
                         "yearly or a duration")
    return add_months(last_tested, CADENCE_MONTHS[cadence])


@dataclass(frozen=True)
class OverdueRunbook:
    runbook_id: str
    severity: str
    cadence: str
    last_tested: datetime | None
    due_at: datetime | None
    overdue_by: timedelta | None


def runbooks_overdue(last_tested: Mapping[str, datetime | None],
                     cadence_by_severity: Mapping[str, str | timedelta] | None,
                     runbook_severities: Mapping[str, str | Sequence[str]],
                     now: datetime) -> list[OverdueRunbook]:
    """Runbooks whose test cadence has lapsed, never-tested ones first, then most overdue.

    A runbook for several severities follows the tightest cadence among them; a runbook whose
    severities have no cadence is not tracked. None for the cadences means P0 monthly and P1
    quarterly.
    """
    cadences = DEFAULT_TEST_CADENCE if cadence_by_severity is None else cadence_by_severity
    overdue = []
    for runbook_id in sorted(set(runbook_severities)):
        severities = runbook_severities[runbook_id]
        keys = [severities] if isinstance(severities, str) else list(severities)
        tracked = [k for k in keys if k in cadences]
        if not tracked:
            continue
        tested = last_tested.get(runbook_id)
        if tested is None:
            severity = min(tracked, key=lambda k: next_test_due(now, cadences[k]))
            overdue.append(OverdueRunbook(runbook_id, severity, _cadence_name(cadences[severity]),
                                          None, None, None))
            continue
        severity = min(tracked, key=lambda k: next_test_due(tested, cadences[k]))
        due = next_test_due(tested, cadences[severity])
        if now > due:
            overdue.append(OverdueRunbook(runbook_id, severity,
                                          _cadence_name(cadences[severity]), tested, due,
                                          now - due))
    return sorted(overdue, key=lambda o: (o.overdue_by is not None,
                                          -(o.overdue_by or timedelta()).total_seconds(),
                                          o.runbook_id))


def _cadence_name(cadence: str | timedelta) -> str:
    return cadence if isinstance(cadence, str) else f"every {format_duration(cadence)}"


def overdue_table(overdue: Sequence[OverdueRunbook]) -> Table:
    table = Table(title="Runbooks overdue for a test", title_justify="left")
    for column in ("Runbook", "Severity", "Cadence", "Last tested", "Overdue by"):
        table.add_column(column)
    for item in overdue:
        table.add_row(item.runbook_id, item.severity, item.cadence,
                      item.last_tested.strftime("%Y-%m-%d") if item.last_tested else "never",
                      format_duration(item.overdue_by) if item.overdue_by else "never tested")
    return table
