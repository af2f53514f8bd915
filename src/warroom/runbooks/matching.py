"""Ranking runbooks for an incident by `applies_to`: alert labels, services, type, severity."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from warroom.runbooks.model import Runbook

ALERTNAME_IS_ID = 100
ALL_MATCHERS = 60
PER_MATCHER = 10
SERVICE = 30
INCIDENT_TYPE = 20
SEVERITY = 10


@dataclass(frozen=True)
class IncidentFacts:
    services: Sequence[str] = ()
    alerts: Sequence[Mapping[str, str]] = ()      # one label set per alert
    incident_type: str | None = None
    severity: str | None = None


@dataclass(frozen=True)
class RunbookSuggestion:
    runbook_id: str
    score: int
    reasons: tuple[str, ...] = field(default=())


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def score_runbook(runbook: Runbook, facts: IncidentFacts) -> RunbookSuggestion:
    """How well one runbook fits the incident, with a reason for every point scored."""
    score, reasons = 0, []
    alertnames = {labels.get("alertname", "") for labels in facts.alerts} - {""}
    if any(_norm(name) == _norm(runbook.id) for name in alertnames):
        score += ALERTNAME_IS_ID
        reasons.append(f"alertname equals runbook id {runbook.id!r}")
    matchers = runbook.applies_to.matchers()
    if matchers and facts.alerts:
        best, best_labels = 0, None
        for labels in facts.alerts:
            held = [m for m in matchers if m.matches(dict(labels))]
            points = (ALL_MATCHERS + PER_MATCHER * len(matchers) if len(held) == len(matchers)
                      else PER_MATCHER * len(held))
            if points > best:
                best, best_labels = points, held
        if best and best_labels is not None:
            score += best
            shown = ", ".join(f"{m.name}{m.op}{m.value}" for m in best_labels)
            reasons.append(("all alert matchers hold: " if len(best_labels) == len(matchers)
                            else "some alert matchers hold: ") + shown)
    services = {s.lower() for s in runbook.applies_to.services}
    for service in facts.services:
        if service.lower() in services:
            score += SERVICE
            reasons.append(f"service {service!r}")
    if facts.incident_type and facts.incident_type.lower() in {
            t.lower() for t in runbook.applies_to.incident_types}:
        score += INCIDENT_TYPE
        reasons.append(f"incident type {facts.incident_type!r}")
    if facts.severity and facts.severity.upper() in {
            s.upper() for s in runbook.applies_to.severities}:
        score += SEVERITY
        reasons.append(f"severity {facts.severity!r}")
    return RunbookSuggestion(runbook.id, score, tuple(reasons))


def rank_runbooks(runbooks: Sequence[Runbook], facts: IncidentFacts,
                  limit: int | None = None) -> list[RunbookSuggestion]:
    """Runbooks that fit the incident at all, best first (ties by id)."""
    scored = [score_runbook(rb, facts) for rb in runbooks]
    ranked = sorted((s for s in scored if s.score > 0), key=lambda s: (-s.score, s.runbook_id))
    return ranked[:limit] if limit else ranked
