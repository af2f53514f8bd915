"""Routes: first match wins unless `continue`, default catches the rest, severities map."""

from __future__ import annotations

from datetime import timedelta

import pytest

from warroom.intake.signal import Signal
from warroom.routing.duration import format_duration, parse_duration
from warroom.routing.routes import RoutingConfigError, load_routing, route
from warroom.yamlfile import loads

ROUTES_YAML = """
routes:
  - name: shieldx
    matchers: ['job=~"shieldx-.*"']
    service: shieldx
    group_by: [alertname, env]
    group_window: 2h
    severity_map: {critical: P0, warning: P2}
    continue: true
  - name: shieldx-audit
    matchers: ['job=~"shieldx-.*"', 'env="prod"']
    service: audit
  - name: never-reached
    matchers: ['env="prod"']
    service: other
default:
  service: ops
  default_severity: P3
"""


def _signal(**labels: str) -> Signal:
    return Signal("alertmanager", "am", "k", "firing", "s", severity_hint=labels.get("severity"),
                  labels=labels)


def test_continue_collects_the_next_match_and_stops_after_a_final_one() -> None:
    data, smap = loads(ROUTES_YAML, "routes.yaml")
    routing = load_routing(data, smap)
    matches = route(_signal(job="shieldx-api", env="prod", severity="critical"), routing)
    assert [m.route for m in matches] == ["shieldx", "shieldx-audit"]
    first = matches[0]
    assert (first.service, first.severity, first.group_by) == ("shieldx", "P0",
                                                               ("alertname", "env"))
    assert first.group_window == timedelta(hours=2)
    assert matches[1].severity == "P1"  # built-in map: critical -> P1


def test_unmatched_signal_takes_the_default_route() -> None:
    data, smap = loads(ROUTES_YAML, "routes.yaml")
    routing = load_routing(data, smap)
    [match] = route(_signal(job="billing"), routing)
    assert (match.route, match.index, match.service, match.severity) == ("default", -1, "ops",
                                                                         "P3")
    [match] = route(_signal(job="billing"), routing, default_service="billing")
    assert match.service == "billing"


def test_pagerduty_severity_hint_maps_without_a_label() -> None:
    data, smap = loads(ROUTES_YAML, "routes.yaml")
    routing = load_routing(data, smap)
    signal = Signal("pagerduty", "pd", "k", "firing", "s", severity_hint="warning")
    assert route(signal, routing)[0].severity == "P3"


def test_bad_matcher_in_routes_file_names_file_and_line() -> None:
    text = "routes:\n  - service: api\n    matchers:\n      - 'job=~\"(\"'\n"
    data, smap = loads(text, "routes.yaml")
    with pytest.raises(RoutingConfigError) as caught:
        load_routing(data, smap)
    message = str(caught.value)
    assert message.startswith("routes.yaml:4: routes.0.matchers.0:")
    assert "invalid regular expression" in message


def test_bad_duration_is_explained() -> None:
    data, smap = loads("default:\n  group_window: soon\n", "routes.yaml")
    with pytest.raises(RoutingConfigError, match=r"routes.yaml:2: .*e.g. 30s, 5m"):
        load_routing(data, smap)


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("1h30m", 5400),
                                               ("2d", 172800), ("500ms", 0.5)])
def test_durations_parse_and_format_back(text: str, seconds: float) -> None:
    value = parse_duration(text)
    assert value.total_seconds() == seconds
    assert parse_duration(format_duration(value)) == value
