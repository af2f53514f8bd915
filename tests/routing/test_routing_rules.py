"""CEL rules: compiled once, errors name rule and line, the example decision tree triages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from celpy.celparser import CELParser

from warroom.intake.signal import Signal
from warroom.routing.routes import RouteMatch
from warroom.routing.rules import (
    RuleCompileError,
    RuleSet,
    load_cel_parser,
    load_rules,
    render_template,
    signal_context,
)
from warroom.routing.triage import decide_severity
from warroom.yamlfile import load, loads

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "org" / "rules.yaml"
SEVERITIES = ["P0", "P1", "P2", "P3"]


@pytest.fixture(scope="module")
def tree() -> RuleSet:
    data, smap = load(EXAMPLE)
    return load_rules(data, smap, SEVERITIES)


def _context(labels: dict[str, str], annotations: dict[str, str] | None = None,
             raw: dict[str, Any] | None = None) -> dict[str, Any]:
    signal = Signal("alertmanager", "am", "k", "firing", "something is wrong", labels=labels,
                    annotations=annotations or {}, raw=raw or {})
    return signal_context(signal, service="checkout")


def _severity(tree: RuleSet, context: dict[str, Any]) -> str | None:
    """The severity the tree gives on a route that maps nothing (the catch-all names none,
    so the scheme's default applies)."""
    result = tree.evaluate_detailed("alert_firing", context)
    assert result.errors == []
    [action] = result.actions
    assert action.kind == "declare"
    unmapped = RouteMatch("default", -1, "checkout", ("alertname",), timedelta(0),
                          timedelta(hours=1), None)
    return decide_severity(result.actions, unmapped, SEVERITIES).severity


@pytest.mark.parametrize(("labels", "annotations", "expected"), [
    ({"alertname": "ServiceDown", "job": "shieldx-api"}, {}, "P0"),
    ({"alertname": "HighErrorRate"}, {"error_ratio": "0.62"}, "P0"),
    ({"alertname": "LoginFailing"}, {}, "P0"),
    ({"alertname": "TokenErrors", "category": "authentication"}, {}, "P0"),
    ({"alertname": "HighErrorRate"}, {"error_ratio": "0.5"}, "P1"),  # not *above* 50%
    ({"alertname": "HighErrorRate"}, {"error_ratio": "0.11"}, "P1"),
    ({"alertname": "HighLatency"}, {"p95_seconds": "2.4"}, "P1"),
    ({"alertname": "HighLatency"}, {"p95_seconds": "1.9", "degradation_ratio": "0.7"}, "P2"),
    ({"alertname": "HighErrorRate"}, {"error_ratio": "0.1"}, "P3"),
    ({"alertname": "DiskAlmostFull"}, {}, "P3"),
])
def test_decision_tree_classifies_alerts(tree: RuleSet, labels: dict[str, str],
                                         annotations: dict[str, str], expected: str) -> None:
    assert _severity(tree, _context(labels, annotations)) == expected


@pytest.mark.parametrize("annotation", ["0.7", "7e-01", "70%", " 0.7 ", "70 %"])
def test_decision_tree_reads_prometheus_templated_annotations(tree: RuleSet,
                                                             annotation: str) -> None:
    # `error_ratio: "{{ $value }}"` or `"{{ $value | humanizePercentage }}"` in a rule.
    context = _context({"alertname": "HighErrorRatio"}, {"error_ratio": annotation})
    assert _severity(tree, context) == "P0"


def test_catch_all_defers_to_the_route_severity_map(tree: RuleSet) -> None:
    """The shipped `everything-else` names no severity, so a route mapping critical -> P1
    is not downgraded to P3 (issue 10, point 1)."""
    context = _context({"alertname": "DiskAlmostFull", "severity": "critical"})
    result = tree.evaluate_detailed("alert_firing", context)
    assert result.matched == ["everything-else"]
    mapped = RouteMatch("shieldx", 0, "api", ("alertname",), timedelta(0), timedelta(hours=1),
                        "P1", "severity_map")
    decision = decide_severity(result.actions, mapped, SEVERITIES)
    assert (decision.severity, decision.source, decision.rule) == ("P1", "severity_map", None)
    assert decision.reason == "P1 from the severity_map of route 'shieldx'"


def test_decision_tree_reads_grafana_values(tree: RuleSet) -> None:
    context = _context({"alertname": "Errors"}, raw={"values": {"error_ratio": 0.8}})
    assert _severity(tree, context) == "P0"


def test_decision_tree_renders_the_title(tree: RuleSet) -> None:
    [action] = tree.evaluate("alert_firing", _context({"alertname": "ServiceDown"}))
    assert action.title == "checkout: complete outage — something is wrong"
    assert action.incident_type == "service_outage"


def test_rules_only_run_for_their_triggers(tree: RuleSet) -> None:
    assert tree.evaluate("alert_resolved", _context({"alertname": "ServiceDown"})) == []


RULES = """
rules:
  - name: page-db-team
    triggers: [alert_firing, incident_changed]
    when: labels.team == "db" && incident.severity in ["P0", "P1"]
    actions:
      - add_responders: [team:db]
      - assign_role: {role: tech_lead, user: "{{ labels.owner }}"}
      - add_note: "DB on-call paged for {{ incident.id }}"
      - run_step: {runbook: db-failover, step: check-replication}
  - name: quiet-staging
    when: labels.env == "staging"
    actions:
      - suppress: {reason: "staging alerts never page"}
    stop: true
  - name: unreachable-after-stop
    when: labels.env == "staging"
    actions:
      - set_severity: P3
"""


def _rules() -> RuleSet:
    data, smap = loads(RULES, "rules.yaml")
    return load_rules(data, smap, SEVERITIES)


def test_all_matching_rules_contribute_until_stop() -> None:
    context = {"labels": {"team": "db", "owner": "alice", "env": "staging"},
               "incident": {"id": "INC-2026-0042", "severity": "P1"}}
    result = _rules().evaluate_detailed("alert_firing", context)
    assert result.matched == ["page-db-team", "quiet-staging"]
    kinds = [action.kind for action in result.actions]
    assert kinds == ["add_responders", "assign_role", "add_note", "run_step", "suppress"]
    assert result.actions[0].responders == ("team:db",)
    assert result.actions[1].user == "alice"
    assert result.actions[2].note == "DB on-call paged for INC-2026-0042"
    assert (result.actions[3].runbook, result.actions[3].step) == ("db-failover",
                                                                   "check-replication")
    assert result.actions[4].reason == "staging alerts never page"


def test_missing_labels_read_as_empty_and_in_tests_presence() -> None:
    data, smap = loads('rules:\n  - name: r\n    when: labels.team == "" && !("team" in labels)'
                       '\n    actions: [{attach: true}]\n', "r.yaml")
    rules = load_rules(data, smap)
    assert [a.kind for a in rules.evaluate("alert_firing", {"labels": {}})] == ["attach"]
    assert rules.evaluate("alert_firing", {"labels": {"team": "db"}}) == []


def test_has_macro_guards_missing_values() -> None:
    data, smap = loads("rules:\n  - name: r\n    when: has(values.x) && values.x > 1\n"
                       "    actions: [{attach: true}]\n", "r.yaml")
    rules = load_rules(data, smap)
    assert rules.evaluate_detailed("alert_firing", {"values": {}}).errors == []
    assert len(rules.evaluate("alert_firing", {"values": {"x": 2.0}})) == 1


def test_evaluation_error_skips_the_rule_and_is_reported() -> None:
    data, smap = loads("rules:\n  - name: r\n    when: values.missing > 1\n"
                       "    actions: [{attach: true}]\n", "r.yaml")
    result = load_rules(data, smap).evaluate_detailed("alert_firing", {"values": {}})
    assert result.actions == []
    assert result.errors == ["rule 'r': no such member in mapping: 'missing'"]


def test_syntax_error_names_rule_file_and_line() -> None:
    text = "rules:\n  - name: ok\n    actions: [{attach: true}]\n  - name: broken\n" \
           "    when: labels.x == \n    actions: [{attach: true}]\n"
    data, smap = loads(text, "rules.yaml")
    with pytest.raises(RuleCompileError) as caught:
        load_rules(data, smap)
    message = str(caught.value)
    assert message.startswith("rules.yaml:5: rules[1] 'broken': CEL syntax error in `when` "
                              "at line 1, column 10")


def test_unknown_severity_and_duplicate_names_are_reported_together() -> None:
    text = ("rules:\n  - name: a\n    actions: [{set_severity: P5}]\n"
            "  - name: a\n    actions: [{declare: {severity: P0}}]\n")
    data, smap = loads(text, "rules.yaml")
    with pytest.raises(RuleCompileError) as caught:
        load_rules(data, smap, SEVERITIES)
    assert caught.value.problems == [
        "rules.yaml:3: rules[0] 'a': unknown severity 'P5' — this organisation defines "
        "P0, P1, P2, P3",
        "rules.yaml:4: rules[1] 'a': duplicate rule name — rule names must be unique so the "
        "timeline can say which fired",
    ]


def test_action_must_have_exactly_one_kind() -> None:
    data, smap = loads("rules:\n  - name: a\n    actions:\n      - {set_severity: P1, "
                       "set_type: security}\n", "rules.yaml")
    with pytest.raises(RuleCompileError, match=r"rules.yaml:4: rules.0.actions.0: .*exactly one"):
        load_rules(data, smap)


def test_template_fills_dotted_fields_and_blanks_unknown_ones() -> None:
    assert render_template("{{ labels.service }}/{{labels.nope}}/{{ x.y.z }}",
                           {"labels": {"service": "api"}}) == "api//"


def test_the_cel_parser_built_from_its_cache_triages_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache" / "cel-grammar.lark"
    labels = {"alertname": "HighLatency"}
    annotations = {"p95_seconds": "1.9", "degradation_ratio": "0.7"}
    for _ in range(2):  # the first build writes the cache, the second loads it
        monkeypatch.setattr(CELParser, "CEL_PARSER", None)
        load_cel_parser(cache)
        assert cache.is_file()
        data, smap = load(EXAMPLE)
        assert _severity(load_rules(data, smap, SEVERITIES), _context(labels, annotations)) \
            == "P2"
