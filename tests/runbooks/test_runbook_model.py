"""The runbook YAML format and its JSON Schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from warroom.runbooks.model import Runbook, json_schema, parse_matcher

FULL = {
    "id": "frontend-down", "title": "Frontend down", "owner": "web-team", "tags": ["web"],
    "applies_to": {"services": ["frontend"], "alerts": ["alertname=FrontendDown",
                                                        "severity=~crit.*"],
                   "incident_types": ["service_outage"], "severities": ["P0", "P1"]},
    "schedule": "0 2 * * *", "test_cadence": "quarterly", "capture_evidence_first": True,
    "parameters": [{"name": "namespace", "source": "label:namespace", "default": "web"}],
    "steps": [
        {"id": "logs", "title": "Grab logs", "phase": "evidence", "captures_evidence": True,
         "executor": {"type": "shell", "command": "kubectl -n {{namespace}} logs deploy/web"}},
        {"id": "probe", "title": "Probe", "phase": "diagnose",
         "executor": {"type": "http", "url": "https://example.test/health", "expect_status": 200,
                      "expect_body": "ok"}},
        {"id": "rate", "title": "Error rate", "phase": "diagnose",
         "executor": {"type": "promql", "query": "sum(rate(errors[5m]))",
                      "threshold": {"op": "<", "value": 0.01}}},
        {"id": "restart", "title": "Restart", "phase": "mitigate", "option": "A",
         "dangerous": True, "requires_approval": {"roles": ["commander", "security"], "count": 2},
         "revert": {"within": "1h", "step": "undo"}, "timeout": "5m",
         "executor": {"type": "shell", "command": "kubectl -n {{namespace}} rollout restart "
                                                  "deploy/web"}},
        {"id": "undo", "title": "Undo", "phase": "recover", "executor": {"type": "manual"}},
        {"id": "settle", "title": "Let it settle", "executor": {"type": "wait",
                                                                 "duration": "2m"}},
        {"id": "check", "title": "Check", "phase": "verify", "auto": True,
         "executor": {"type": "promql", "query": "up"}},
        {"id": "tell", "title": "Tell people", "phase": "communicate",
         "executor": {"type": "notify", "template": "resolved", "audience": "stakeholders"}},
    ],
}


def test_a_full_runbook_validates_and_durations_become_timedeltas() -> None:
    runbook = Runbook.model_validate(FULL)
    restart = runbook.step("restart")
    assert restart is not None and restart.revert is not None
    assert restart.revert.within == timedelta(hours=1)
    assert restart.timeout == timedelta(minutes=5)
    dumped = runbook.model_dump(mode="json", exclude_defaults=True)
    assert dumped["steps"][3]["revert"] == {"within": "1h", "step": "undo"}
    assert Runbook.model_validate(dumped) == runbook


def test_an_executor_without_type_is_manual() -> None:
    runbook = Runbook.model_validate({"id": "x", "title": "x", "steps": [
        {"id": "a", "title": "a", "executor": {"instructions": "look"}}]})
    assert runbook.steps[0].executor.type == "manual"


@pytest.mark.parametrize(("patch", "message"), [
    ({"schedule": "every day"}, "cron"),
    ({"test_cadence": "sometimes"}, "duration"),
    ({"applies_to": {"alerts": ["no operator"]}}, "label matcher"),
    ({"parameters": [{"name": "Bad-Name"}]}, "pattern"),
    ({"unknown": 1}, "Extra inputs"),
])
def test_invalid_fields_are_rejected(patch: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Runbook.model_validate({**FULL, **patch})


def test_matchers_support_the_four_operators() -> None:
    labels = {"alertname": "Foo", "severity": "critical"}
    assert parse_matcher("alertname=Foo").matches(labels)
    assert parse_matcher('severity=~"crit.*"').matches(labels)
    assert not parse_matcher("severity!~crit.*").matches(labels)
    assert parse_matcher("team!=db").matches(labels)


def test_json_schema_describes_every_executor() -> None:
    schema = json_schema()
    assert schema["title"] == "warroom runbook"
    text = str(schema)
    for kind in ("ManualExecutor", "ShellExecutor", "HttpExecutor", "PromqlExecutor",
                 "WaitExecutor", "NotifyExecutor"):
        assert kind in schema["$defs"], kind
    assert "post-incident" in text and "requires_approval" in text
