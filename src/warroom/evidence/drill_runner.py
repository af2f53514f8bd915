"""Running drills: inject a scenario's alerts through the real intake path, find the drill
incident they opened, score it, and remember when each runbook was last exercised."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
import sqlalchemy as sa

from warroom.domain.errors import InvalidCommand, NotFound
from warroom.evidence.drills import (
    DrillScenario,
    OverdueRunbook,
    Scorecard,
    runbooks_overdue,
    score,
)
from warroom.evidence.durations import DurationError, parse_duration
from warroom.runtime import Runtime
from warroom.services.incidents import IncidentService
from warroom.services.principal import Principal, require
from warroom.store import db
from warroom.store.evidence import runbook_tests

RUN_LABEL = "warroom_drill_run"
GENERIC_INTAKE = "/api/v1/intake/generic/{key}"


class DrillError(RuntimeError):
    """The drill could not be injected or found; the message says what to check."""


class Injector(Protocol):
    def inject(self, payload: Mapping[str, Any]) -> None:
        """Deliver one alert in the generic intake format; raise DrillError if refused."""
        ...


class HttpInjector:
    """Posts alerts to the generic intake webhook of a running warroom (or, in tests, to the
    ASGI app through a TestClient, which is an httpx.Client)."""

    def __init__(self, base_url: str, key: str, client: httpx.Client | None = None) -> None:
        self.url = base_url.rstrip("/") + GENERIC_INTAKE.format(key=key)
        self.client = client or httpx.Client(timeout=10)

    def inject(self, payload: Mapping[str, Any]) -> None:
        try:
            resp = self.client.post(self.url, json=dict(payload))
        except httpx.HTTPError as exc:
            raise DrillError(f"cannot reach the intake at {self.url}: {exc}") from exc
        if resp.status_code == 404:
            raise DrillError("the intake refused the key (404): pass the key of a generic "
                             "integration, from `warroom integration list`")
        if resp.status_code >= 300:
            raise DrillError(f"the intake answered {resp.status_code}: {resp.text[:300]}")


def drill_payloads(scenario: DrillScenario, run_id: str) -> list[dict[str, Any]]:
    """The scenario's alerts as generic-intake bodies, tagged with the run so a drill never
    deduplicates into an earlier run's alerts."""
    payloads = []
    for index, alert in enumerate(scenario.alerts):
        body = alert.intake_payload(scenario.name)
        body["labels"][RUN_LABEL] = run_id
        base = alert.dedup_key or f"drill:{scenario.name}:{index}"
        body["dedup_key"] = f"{base}:{run_id}"
        payloads.append(body)
    return payloads


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def inject_scenario(scenario: DrillScenario, injector: Injector,
                    run_id: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """Inject every alert; returns the run id and what was sent."""
    if not scenario.alerts:
        raise DrillError(f"scenario {scenario.name} has no alerts to inject (a tabletop "
                         "exercise: declare a drill incident by hand instead)")
    run = run_id or new_run_id()
    payloads = drill_payloads(scenario, run)
    for payload in payloads:
        injector.inject(payload)
    return run, payloads


def incident_of_run(alerts: Sequence[Mapping[str, Any]], run_id: str) -> str | None:
    """The incident id the run's alerts were attached to (from alert JSON as the API lists)."""
    for alert in alerts:
        labels = alert.get("labels") or {}
        if labels.get(RUN_LABEL) == run_id and alert.get("incident_id"):
            return str(alert["incident_id"])
    return None


# ------------------------------------------------------------------ scoring and last_tested


@dataclass(frozen=True)
class DrillResult:
    incident: str
    scorecard: Scorecard


def score_incident(runtime: Runtime, principal: Principal | None, ref: str,
                   scenario: DrillScenario) -> DrillResult:
    """Score the drill incident `ref` against the scenario, and record the expected runbook
    as tested when the drill exercised it (responder role and up)."""
    who = require(principal, "responder", "scoring a drill")
    state, events = IncidentService(runtime).timeline(who, ref)
    if not events:
        raise NotFound(f"{ref} has no events to score")
    card = score(scenario, events)
    tested = scenario.expected_runbook
    ran = any(e.kind == "runbook_step_started" and (
        str(e.data.get("runbook_id") or e.data.get("runbook") or "") in ("", tested))
        for e in events)
    if tested and (ran or scenario.mode == "tabletop"):
        record_tested(runtime, tested, runtime.clock.now(), state.id, scenario.name,
                      card.passed)
    return DrillResult(state.human_id, card)


def record_tested(runtime: Runtime, runbook_id: str, at: datetime, incident_id: str | None,
                  scenario: str | None, passed: bool | None) -> None:
    values = {"last_tested": at, "incident_id": incident_id, "scenario": scenario,
              "passed": passed}
    with runtime.engine.begin() as conn:
        updated = conn.execute(sa.update(runbook_tests)
                               .where(runbook_tests.c.runbook_id == runbook_id)
                               .values(**values)).rowcount
        if not updated:
            conn.execute(sa.insert(runbook_tests).values(runbook_id=runbook_id, **values))


def last_tested(runtime: Runtime) -> dict[str, datetime | None]:
    with db.read(runtime.engine) as conn:
        return {r.runbook_id: r.last_tested for r in conn.execute(sa.select(runbook_tests))}


def cadences(runtime: Runtime) -> dict[str, str | timedelta] | None:
    """Config `drills.cadence` (e.g. {P0: monthly, P1: quarterly, P2: 180d}); None = default."""
    raw = runtime.config.drills.get("cadence")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidCommand("drills.cadence must map severities to monthly, quarterly, "
                             "weekly, yearly or a duration like 60d")
    found: dict[str, str | timedelta] = {}
    for severity, value in raw.items():
        text = str(value)
        if text in ("weekly", "monthly", "quarterly", "yearly"):
            found[str(severity)] = text
            continue
        try:
            found[str(severity)] = parse_duration(text)
        except DurationError as exc:
            raise InvalidCommand(f"drills.cadence.{severity}: {exc}") from exc
    return found


def runbook_severities(runtime: Runtime) -> dict[str, list[str]]:
    """Each runbook's severities: its `applies_to.severities`, plus config
    `drills.runbooks: {runbook-id: P0}` for runbooks that do not say."""
    found: dict[str, list[str]] = {}
    try:
        from warroom.runbooks.registry import registry

        for book in registry(runtime).runbooks:
            found[book.id] = list(book.applies_to.severities)
    except ImportError:  # a build without the runbook engine
        pass
    extra = runtime.config.drills.get("runbooks") or {}
    if isinstance(extra, dict):
        for runbook_id, severity in extra.items():
            values = severity if isinstance(severity, list) else [severity]
            found.setdefault(str(runbook_id), []).extend(str(v) for v in values)
    return {k: v for k, v in found.items() if v}


def overdue(runtime: Runtime, principal: Principal | None) -> list[OverdueRunbook]:
    require(principal, "viewer", "listing runbooks overdue for a test")
    return runbooks_overdue(last_tested(runtime), cadences(runtime), runbook_severities(runtime),
                            runtime.clock.now())


def _seconds(value: timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def scorecard_json(card: Scorecard) -> dict[str, Any]:
    from warroom.clock import isoformat

    return {"scenario": card.scenario, "severity": card.severity,
            "started_at": isoformat(card.started_at), "passed": card.passed,
            "time_to_ack": _seconds(card.time_to_ack),
            "time_to_runbook_start": _seconds(card.time_to_runbook_start),
            "time_to_mitigation": _seconds(card.time_to_mitigation),
            "steps_done": list(card.steps_done), "steps_skipped": list(card.steps_skipped),
            "targets": [{"name": t.name, "target": t.target, "actual": t.actual, "met": t.met}
                        for t in card.targets]}


def overdue_json(items: Sequence[OverdueRunbook]) -> list[dict[str, Any]]:
    from warroom.clock import isoformat

    return [{"runbook_id": o.runbook_id, "severity": o.severity, "cadence": o.cadence,
             "last_tested": isoformat(o.last_tested) if o.last_tested else None,
             "due_at": isoformat(o.due_at) if o.due_at else None,
             "overdue_by": _seconds(o.overdue_by)} for o in items]
