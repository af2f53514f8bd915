"""`warroom rules explain`: for one alert, the route, the rules and the map behind its severity.

Runs the same route, rule and severity code as intake (warroom.intake.pipeline), without
storing anything and without looking at silences or open incidents.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from warroom.intake.pipeline import Plan
from warroom.intake.signal import Signal
from warroom.routing.routes import route
from warroom.routing.rules import signal_context, signal_values
from warroom.routing.triage import decide_severity, on_scheme


class ExplainRequest(BaseModel):
    """An alert as a generic webhook would carry it."""

    model_config = ConfigDict(extra="forbid")

    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    values: dict[str, float] = Field(default_factory=dict,
                                     description="Grafana-style numeric values")
    summary: str = ""
    severity: str | None = Field(None, description="severity hint, e.g. PagerDuty's")
    service: str | None = Field(None, description="the integration's default service")


def explain(plan: Plan, request: ExplainRequest) -> dict[str, Any]:
    raw: dict[str, Any] = {"values": dict(request.values)} if request.values else {}
    signal = Signal("explain", "explain", "explain", "firing",
                    request.summary or request.labels.get("alertname", ""),
                    request.severity, dict(request.labels), dict(request.annotations), raw=raw)
    primary = on_scheme(route(signal, plan.routing, request.service)[0], plan.severities)
    service = primary.service or signal.labels.get("service") or None
    context = signal_context(signal, service, primary.severity)
    matched: list[str] = []
    errors: list[str] = []
    actions = []
    if plan.rules is not None:
        evaluation = plan.rules.evaluate_detailed("alert_firing", context)
        actions, matched, errors = evaluation.actions, evaluation.matched, evaluation.errors
    decision = decide_severity(actions, primary, plan.severities)
    suppress = next((a for a in actions if a.kind == "suppress"), None)
    return {
        "route": primary.route, "service": service,
        "route_severity": primary.severity, "route_severity_source": primary.severity_source,
        "severity": decision.severity, "source": decision.source, "rule": decision.rule,
        "reason": decision.reason, "values": signal_values(signal),
        "matched_rules": matched, "actions": [{"rule": a.rule, "kind": a.kind}
                                              for a in actions],
        "declares": plan.rules is None or any(a.kind == "declare" for a in actions),
        "suppressed_by": f"rule:{suppress.rule}" if suppress else None,
        "errors": errors,
    }
