"""Routes: ordered Alertmanager-style label matching that picks service, grouping, severity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
)

from warroom.domain.alerts import Matcher, matches_all, parse_matcher
from warroom.intake.signal import Signal
from warroom.routing.duration import Duration
from warroom.yamlfile import SourceMap, format_pydantic_errors

# Used when a route's severity_map has no entry; the route's own map wins. Keys are compared
# lower-cased, and cover PagerDuty's severities and the usual Prometheus `severity` labels.
DEFAULT_SEVERITY_MAP: dict[str, str] = {
    "critical": "P1",
    "page": "P1",
    "high": "P1",
    "error": "P2",
    "major": "P2",
    "warning": "P3",
    "minor": "P3",
    "info": "P3",
    "low": "P3",
}


def _to_matcher(value: Any) -> Matcher:
    if isinstance(value, Matcher):
        return value
    if not isinstance(value, str):
        raise ValueError("a matcher is a string like severity=\"critical\" or team=~\"db|infra\"")
    return parse_matcher(value)


MatcherField = Annotated[
    Matcher,
    PlainValidator(_to_matcher),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "examples": ['severity="critical"', 'job=~"api-.*"']}),
]


class RouteConfig(BaseModel):
    """One route. `matchers` all have to match; `continue: true` keeps looking after a match."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str | None = None
    matchers: list[MatcherField] = Field(default_factory=list)
    service: str | None = None
    group_by: list[str] = Field(default_factory=lambda: ["alertname"])
    group_wait: Duration = timedelta(seconds=30)
    group_window: Duration = timedelta(hours=1)
    severity_label: str = "severity"
    severity_map: dict[str, str] = Field(default_factory=dict)
    default_severity: str | None = None
    continue_: bool = Field(False, alias="continue")


class RoutingConfig(BaseModel):
    """The routes file: `routes` in order, then `default` for anything no route matched."""

    model_config = ConfigDict(extra="forbid")

    routes: list[RouteConfig] = Field(default_factory=list)
    default: RouteConfig = Field(default_factory=lambda: RouteConfig(name="default"))


@dataclass(frozen=True)
class RouteMatch:
    """Where a signal goes: its service, how it groups, and the severity the route gives it."""

    route: str
    index: int  # position in `routes`; -1 for the default route
    service: str | None
    group_by: tuple[str, ...]
    group_wait: timedelta
    group_window: timedelta
    severity: str | None
    # Where `severity` came from: "severity_map", "label default", "default_severity" or "".
    severity_source: str = ""
    # The alert's severity label (or the payload's hint), as sent: it may name a scheme key.
    severity_hint: str | None = None


def route_severity(signal: Signal, config: RouteConfig) -> tuple[str | None, str]:
    """The severity the route gives the signal and where it came from: the route's
    `severity_map`, then the built-in label map ("label default"), then the route's
    `default_severity`; (None, "") when none applies."""
    hint = severity_hint(signal, config)
    if hint:
        key = hint.lower()
        for mapping, source in ((config.severity_map, "severity_map"),
                                (DEFAULT_SEVERITY_MAP, "label default")):
            if hint in mapping:
                return mapping[hint], source
            if key in mapping:
                return mapping[key], source
    if config.default_severity:
        return config.default_severity, "default_severity"
    return None, ""


def severity_hint(signal: Signal, config: RouteConfig) -> str | None:
    """The severity the alert itself claims: its severity label, else the payload's hint."""
    return signal.labels.get(config.severity_label) or signal.severity_hint


def severity_for(signal: Signal, config: RouteConfig) -> str | None:
    """The warroom severity key the route maps this signal to, or the route's default."""
    return route_severity(signal, config)[0]


def _match(signal: Signal, config: RouteConfig, index: int,
           default_service: str | None) -> RouteMatch:
    severity, source = route_severity(signal, config)
    return RouteMatch(
        route=config.name or (f"routes[{index}]" if index >= 0 else "default"),
        index=index,
        service=config.service or default_service,
        group_by=tuple(config.group_by),
        group_wait=config.group_wait,
        group_window=config.group_window,
        severity=severity,
        severity_source=source,
        severity_hint=severity_hint(signal, config),
    )


def route(signal: Signal, routing: RoutingConfig,
          default_service: str | None = None) -> list[RouteMatch]:
    """Every route the signal takes, in order; the default route when none matched.

    `default_service` (the integration's service) fills routes that name no service, and wins
    over the default route's service.
    """
    labels: Mapping[str, str] = signal.labels
    out: list[RouteMatch] = []
    for index, config in enumerate(routing.routes):
        if matches_all(config.matchers, labels):
            out.append(_match(signal, config, index, default_service))
            if not config.continue_:
                break
    if not out:
        fallback = _match(signal, routing.default, -1, None)
        out.append(replace(fallback, service=default_service or fallback.service))
    return out


class RoutingConfigError(ValueError):
    """A routes file that does not validate; one `file:line: field: problem` per line."""


def load_routing(data: Any, smap: SourceMap | None = None) -> RoutingConfig:
    """Validate a parsed routes document (from warroom.yamlfile.load), naming file and line."""
    try:
        return RoutingConfig.model_validate(data)
    except ValidationError as exc:
        where = smap or SourceMap(file="<routes>")
        raise RoutingConfigError("\n".join(format_pydantic_errors(exc.errors(), where))) from None
