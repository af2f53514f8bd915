"""Remembered rule decisions: a condition's outcome is reused only for alerts that agree on
every value the condition reads, so the answers equal evaluating each alert afresh."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import celpy
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.routing.rules import RuleConfig, _activation, compile_rules, reads_of
from warroom.yamlfile import load

REPO = Path(__file__).resolve().parents[2]

CONDITIONS = [
    'labels.alertname in ["ServiceDown", "CompleteOutage"] || labels.impact == "outage"',
    '"error_ratio" in values && values.error_ratio > 0.5',
    'labels["job"] == "a" && has(annotations.summary)',
    'labels.exists(k, k == "team" && labels[k] == "b")',
    'labels[alert.service] == "x"',
    'size(labels) > 2',
    'labels["a" + "b"] == "x"',
    'incident.severity == "P1" || alert.severity == "P1"',
    'true',
]
WORDS = st.sampled_from(["a", "b", "x", "ab", "job", "team", "outage", "ServiceDown", "P1"])
CONTEXTS = st.fixed_dictionaries({
    "labels": st.dictionaries(WORDS, WORDS, max_size=4),
    "annotations": st.dictionaries(st.sampled_from(["summary", "x"]), WORDS, max_size=2),
    "values": st.dictionaries(st.sampled_from(["error_ratio", "p95_seconds"]),
                              st.floats(0, 1), max_size=2),
    "alert": st.fixed_dictionaries({"service": WORDS, "severity": WORDS}),
    "incident": st.one_of(st.just({}), st.fixed_dictionaries({"severity": WORDS})),
})


def _rules() -> list[RuleConfig]:
    shipped = load(REPO / "examples" / "org" / "rules.yaml")[0]["rules"]
    mine = [{"name": f"c{i}", "triggers": ["alert_firing"], "when": when,
             "actions": [{"add_note": "n"}]} for i, when in enumerate(CONDITIONS)]
    return [RuleConfig.model_validate(rule) for rule in [*shipped, *mine]]


RULES = compile_rules(_rules())


@settings(max_examples=300, deadline=None)
@given(st.lists(CONTEXTS, min_size=1, max_size=8))
def test_remembered_decisions_equal_fresh_evaluation(contexts: list[dict[str, Any]]) -> None:
    for context in contexts:
        for rule in RULES._rules:
            fresh = rule.run(_activation(context))
            remembered = rule.decide(context, partial(_activation, context))
            assert type(remembered) is type(fresh) and str(remembered) == str(fresh), (
                rule.config.name, context)


def test_reads_name_the_fields_a_condition_can_see() -> None:
    env = celpy.Environment()
    assert reads_of(env.compile(CONDITIONS[0])) == (("labels", "alertname"),
                                                    ("labels", "impact"))
    assert reads_of(env.compile(CONDITIONS[1])) == (("values", None),)
    assert ("labels", None) in reads_of(env.compile(CONDITIONS[4]))
    assert reads_of(env.compile(CONDITIONS[6])) == (("labels", None),)


def test_a_storm_differing_only_in_unread_labels_is_evaluated_once() -> None:
    rules = compile_rules(_rules())
    rule = next(r for r in rules._rules if r.config.name == "c0")
    calls = 0

    def activation(context: dict[str, Any]) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        return _activation(context)

    for n in range(500):
        context = {"labels": {"alertname": "TargetDown", "instance": f"i{n}"}}
        assert not rule.decide(context, partial(activation, context))
    assert calls == 1
