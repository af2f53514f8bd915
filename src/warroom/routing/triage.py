"""Which severity an alert gets, and why: one precedence for declaring, joining and explaining.

1. an explicit rule severity (`declare: {severity: ...}`, else `set_severity`);
2. the route's `severity_map` (the alert's severity label looked up);
3. the label-derived default (the built-in map: critical -> P1, warning -> P3, ...);
4. the route's `default_severity`;
5. the scheme's default: its lowest severity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from warroom.routing.routes import RouteMatch
from warroom.routing.rules import RuleAction


@dataclass(frozen=True)
class SeverityDecision:
    """The severity chosen for an alert, with the rule or map that produced it."""

    severity: str
    source: str  # "rule", "severity_map", "label default", "default_severity", "scheme default"
    route: str
    rule: str | None = None

    @property
    def reason(self) -> str:
        """One line for the timeline and `warroom rules explain`."""
        if self.source == "rule":
            return f"{self.severity} from rule {self.rule!r}"
        if self.source == "scheme default":
            return f"{self.severity}, the severity scheme's default (nothing else applied)"
        return f"{self.severity} from the {self.source} of route {self.route!r}"


def decide_severity(actions: Sequence[RuleAction], match: RouteMatch,
                    severities: Sequence[str]) -> SeverityDecision:
    """Apply the precedence; a severity the scheme does not define is passed over."""
    for kind in ("declare", "set_severity"):
        for action in actions:
            if action.kind == kind and action.severity is not None and \
                    action.severity in severities:
                return SeverityDecision(action.severity, "rule", match.route, action.rule)
    if match.severity in severities and match.severity is not None:
        return SeverityDecision(match.severity, match.severity_source, match.route)
    return SeverityDecision(severities[-1], "scheme default", match.route)


def more_severe(candidate: str, current: str, severities: Sequence[str]) -> bool:
    """Whether `candidate` ranks above `current` (schemes list the most severe first)."""
    if candidate not in severities or current not in severities:
        return False
    return severities.index(candidate) < severities.index(current)
