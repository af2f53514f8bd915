"""The generic webhook: one object or a batch, with clear errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from warroom.intake import generic
from warroom.intake.errors import IntakeError


def test_single_object_with_explicit_key() -> None:
    [signal] = generic.parse({
        "dedup_key": "backup-nightly", "status": "firing", "title": "Nightly backup failed",
        "severity": "warning", "service": "billing", "labels": {"host": "db-1"},
        "annotations": {"log": "exit 2"}, "starts_at": "2026-01-05T02:00:00Z",
        "links": ["https://ci/job/1", {"href": "https://wiki/backup", "text": "Runbook"}],
    }, "cron")
    assert signal.dedup_key == "backup-nightly"
    assert signal.summary == "Nightly backup failed"
    assert signal.labels == {"host": "db-1", "service": "billing", "severity": "warning"}
    assert signal.severity_hint == "warning"
    assert signal.starts_at == datetime(2026, 1, 5, 2, tzinfo=UTC)
    assert signal.links == [{"href": "https://ci/job/1", "text": "https://ci/job/1"},
                            {"href": "https://wiki/backup", "text": "Runbook"}]


def test_batch_and_computed_keys_are_stable_across_resends() -> None:
    body = {"alerts": [{"summary": "Queue backlog", "labels": {"queue": "mail"}},
                       {"id": 17, "summary": "Disk full", "status": "resolved"}]}
    first, second = generic.parse(body, "ops")
    assert first.dedup_key == generic.parse(body, "ops")[0].dedup_key
    assert first.status == "firing"
    assert (second.dedup_key, second.status) == ("17", "resolved")


@pytest.mark.parametrize(("body", "field", "fragment"), [
    ({"labels": {}}, "summary", "is required"),
    ({"alerts": [{"summary": "a"}, {"summary": "b", "status": "exploded"}]},
     "alerts[1].status", "must be one of"),
    ({"summary": "a", "labels": {"n": 1}}, "labels.n", "must be a string"),
    ({"summary": "a", "links": [{"text": "no href"}]}, "links[0]", "href"),
    ({"summary": "a", "ends_at": 5}, "ends_at", "timestamp"),
    ({"alerts": {}}, "alerts", "array"),
    ([], "body", "JSON object"),
])
def test_errors_name_the_field(body: Any, field: str, fragment: str) -> None:
    with pytest.raises(IntakeError) as caught:
        generic.parse(body, "ops")
    assert caught.value.field == field
    assert fragment in caught.value.message
