"""Alertmanager and Grafana webhooks become one Signal per alert."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from warroom.domain.alerts import alertmanager_fingerprint
from warroom.intake import alertmanager
from warroom.intake.errors import IntakeError

AM_BODY: dict[str, Any] = {
    "version": "4",
    "groupKey": '{}:{alertname="ServiceDown"}',
    "truncatedAlerts": 2,
    "status": "firing",
    "receiver": "warroom",
    "groupLabels": {"alertname": "ServiceDown"},
    "commonLabels": {"alertname": "ServiceDown", "severity": "critical"},
    "commonAnnotations": {},
    "externalURL": "http://alertmanager:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "ServiceDown", "job": "shieldx-api", "severity": "critical"},
            "annotations": {"summary": "shieldx-api is down",
                            "runbook_url": "https://wiki/runbooks/service-down"},
            "startsAt": "2026-01-05T09:00:00.123456789Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
            "fingerprint": "c6f4e4d8a1b2c3d4",
        },
        {
            "status": "resolved",
            "labels": {"alertname": "ServiceDown", "job": "shieldx-web", "severity": "critical"},
            "annotations": {},
            "startsAt": "2026-01-05T08:00:00Z",
            "endsAt": "2026-01-05T08:30:00+01:00",
            "generatorURL": "",
            "fingerprint": "",
        },
    ],
}

GRAFANA_BODY: dict[str, Any] = {
    "receiver": "warroom", "status": "firing", "orgId": 1, "version": "1",
    "groupKey": "{}:{alertname=\"HighErrorRate\"}", "truncatedAlerts": 0,
    "groupLabels": {"alertname": "HighErrorRate"}, "commonLabels": {},
    "commonAnnotations": {}, "externalURL": "https://grafana/",
    "title": "[FIRING:1] HighErrorRate", "state": "alerting", "message": "**Firing**",
    "alerts": [{
        "status": "firing",
        "labels": {"alertname": "HighErrorRate", "service": "checkout"},
        "annotations": {"description": "5xx ratio high"},
        "startsAt": "2026-01-05T09:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "https://grafana/alerting/grafana/abc/view",
        "fingerprint": "57c6d9296de2ad39",
        "silenceURL": "https://grafana/alerting/silence/new",
        "dashboardURL": "https://grafana/d/xyz", "panelURL": "https://grafana/d/xyz?viewPanel=2",
        "values": {"B": 0.62, "C": 1}, "valueString": "[ var='B' value=0.62 ]",
    }],
}


def test_each_alert_becomes_a_signal_keyed_by_its_fingerprint() -> None:
    signals = alertmanager.parse(AM_BODY, "prod-am")
    assert [s.status for s in signals] == ["firing", "resolved"]
    first = signals[0]
    assert first.dedup_key == "c6f4e4d8a1b2c3d4"
    assert first.source == "alertmanager" and first.integration == "prod-am"
    assert first.summary == "shieldx-api is down"
    assert first.severity_hint == "critical"
    assert first.starts_at == datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=UTC)
    assert first.ends_at is None  # Go's zero time means "no end"
    assert first.links == [
        {"href": "http://prometheus:9090/graph?g0.expr=up", "text": "Source"},
        {"href": "https://wiki/runbooks/service-down", "text": "Runbook"},
    ]


def test_missing_fingerprint_is_computed_like_alertmanager() -> None:
    second = alertmanager.parse(AM_BODY, "prod-am")[1]
    assert second.dedup_key == alertmanager_fingerprint(
        {"alertname": "ServiceDown", "job": "shieldx-web", "severity": "critical"})
    assert second.ends_at == datetime(2026, 1, 5, 7, 30, tzinfo=UTC)
    assert second.summary == "ServiceDown"


def test_batch_keeps_group_key_and_truncation() -> None:
    batch = alertmanager.parse_batch(AM_BODY, "prod-am")
    assert batch.group_key == '{}:{alertname="ServiceDown"}'
    assert batch.truncated_alerts == 2
    assert batch.receiver == "warroom"


def test_grafana_webhook_parses_and_keeps_its_links_and_values() -> None:
    [signal] = alertmanager.parse(GRAFANA_BODY, "grafana")
    assert signal.dedup_key == "57c6d9296de2ad39"
    assert signal.summary == "5xx ratio high"
    assert [link["text"] for link in signal.links] == ["Source", "Dashboard", "Panel", "Silence"]
    assert signal.raw["values"] == {"B": 0.62, "C": 1}


def _broken(path: list[str | int], value: Any, body: dict[str, Any] = AM_BODY) -> Any:
    clone = copy.deepcopy(body)
    target: Any = clone
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return clone


@pytest.mark.parametrize(("path", "value", "field", "fragment"), [
    (["alerts", 1, "labels"], {"job": 3}, "alerts[1].labels.job", "must be a string"),
    (["alerts", 0, "labels"], ["x"], "alerts[0].labels", "must be an object of strings"),
    (["alerts", 1, "status"], "pending", "alerts[1].status", "firing"),
    (["alerts", 0, "startsAt"], "yesterday", "alerts[0].startsAt", "RFC 3339"),
    (["alerts"], None, "alerts", "must be an array"),
    (["version"], "3", "version", "unsupported webhook version"),
    (["truncatedAlerts"], -1, "truncatedAlerts", ">= 0"),
    (["status"], None, "status", "firing"),
    (["commonLabels"], "x", "commonLabels", "object of strings"),
])
def test_bad_fields_are_named_exactly(path: list[str | int], value: Any, field: str,
                                      fragment: str) -> None:
    with pytest.raises(IntakeError) as caught:
        alertmanager.parse(_broken(path, value), "prod-am")
    assert caught.value.field == field
    assert fragment in caught.value.message
    assert str(caught.value).startswith(f"{field}: ")


def test_grafana_values_must_be_numbers() -> None:
    body = _broken(["alerts", 0, "values"], {"B": "high"}, GRAFANA_BODY)
    with pytest.raises(IntakeError, match=r"alerts\[0\]\.values\.B: must be a number"):
        alertmanager.parse(body, "grafana")


def test_body_must_be_an_object() -> None:
    with pytest.raises(IntakeError, match="body: must be an object"):
        alertmanager.parse([AM_BODY], "prod-am")
