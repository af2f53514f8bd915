"""Which severity an alert gets, and why: one precedence for declaring, joining and explaining.

1. an explicit rule severity (`declare: {severity: ...}`, else `set_severity`);
2. the route's `severity_map` (the alert's severity label looked up);
3. the label-derived default: a hint naming a scheme key (`P1`, `p0`: case-insensitive) is that
   severity, else the built-in map (critical -> P1, warning -> P3, ...);
4. the route's `default_severity`;
5. the scheme's default: its lowest severity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

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
    match = on_scheme(match, severities)
    if match.severity in severities and match.severity is not None:
        return SeverityDecision(match.severity, match.severity_source, match.route)
    return SeverityDecision(severities[-1], "scheme default", match.route)


def scheme_key(hint: str | None, severities: Sequence[str]) -> str | None:
    """The scheme key a severity hint names (`P1`, `p1`, ` P1 `), if it names one."""
    if not hint:
        return None
    wanted = hint.strip().casefold()
    return next((key for key in severities if key.casefold() == wanted), None)


def on_scheme(match: RouteMatch, severities: Sequence[str]) -> RouteMatch:
    """The route's match with step 3 made exact: unless the route's `severity_map` mapped the
    hint, a hint naming a scheme key is that severity (what rules see as `severity` too)."""
    if match.severity_source == "severity_map":
        return match
    named = scheme_key(match.severity_hint, severities)
    if named is None:
        return match
    return replace(match, severity=named, severity_source="label default")


def more_severe(candidate: str, current: str, severities: Sequence[str]) -> bool:
    """Whether `candidate` ranks above `current` (schemes list the most severe first)."""
    if candidate not in severities or current not in severities:
        return False
    return severities.index(candidate) < severities.index(current)
