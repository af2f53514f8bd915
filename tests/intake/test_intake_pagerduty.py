"""PagerDuty Events API v2: alert events with dedup_key semantics, change events, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from warroom.intake import changes, pagerduty
from warroom.intake.errors import PagerDutyEventError

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
KEY = "short-key-not-32-chars"


def _trigger(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "routing_key": KEY,
        "event_action": "trigger",
        "payload": {
            "summary": "DB replica lag high", "source": "db-2.prod", "severity": "error",
            "timestamp": "2015-07-17T08:42:58.315+0000", "component": "postgres",
            "group": "prod-datapipe", "class": "replication",
            "custom_details": {"lag_seconds": 42.5, "note": "replica"},
        },
        "links": [{"href": "https://grafana/d/db", "text": "Dashboard"}],
        "images": [{"src": "https://grafana/render/db.png"}],
        "client": "Zabbix", "client_url": "https://zabbix",
    }
    body.update(extra)
    return body


def test_trigger_without_dedup_key_gets_a_fresh_one() -> None:
    [signal] = pagerduty.parse(_trigger(), "pd", NOW, new_dedup_key=lambda: "generated-1")
    assert signal.dedup_key == "generated-1"
    assert signal.status == "firing"
    assert pagerduty.success_body(signal.dedup_key) == {
        "status": "success", "message": "Event processed", "dedup_key": "generated-1"}


def test_generated_dedup_keys_are_unique_by_default() -> None:
    first = pagerduty.parse(_trigger(), "pd", NOW)[0].dedup_key
    second = pagerduty.parse(_trigger(), "pd", NOW)[0].dedup_key
    assert first != second


def test_trigger_maps_payload_to_labels_annotations_and_links() -> None:
    [signal] = pagerduty.parse(_trigger(dedup_key="db-lag"), "pd", NOW)
    assert signal.dedup_key == "db-lag"
    assert signal.summary == "DB replica lag high"
    assert signal.severity_hint == "error"
    assert signal.labels == {"source": "db-2.prod", "severity": "error", "component": "postgres",
                             "group": "prod-datapipe", "class": "replication"}
    assert signal.annotations == {"lag_seconds": "42.5", "note": "replica"}
    assert signal.starts_at == datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)
    assert [link["href"] for link in signal.links] == [
        "https://grafana/d/db", "https://grafana/render/db.png", "https://zabbix"]


def test_routing_key_is_readable_up_front_but_never_kept_in_raw() -> None:
    body = _trigger()
    assert pagerduty.routing_key(body) == KEY
    [signal] = pagerduty.parse(body, "pd", NOW)
    assert "routing_key" not in signal.raw
    assert KEY not in repr(signal)


@pytest.mark.parametrize(("action", "status"), [("acknowledge", "acknowledged"),
                                                ("resolve", "resolved")])
def test_acknowledge_and_resolve_need_only_the_dedup_key(action: str, status: str) -> None:
    body = {"routing_key": KEY, "event_action": action, "dedup_key": "db-lag"}
    [signal] = pagerduty.parse(body, "pd", NOW)
    assert (signal.status, signal.dedup_key) == (status, "db-lag")


def _errors(body: Any) -> list[str]:
    with pytest.raises(PagerDutyEventError) as caught:
        pagerduty.parse(body, "pd", NOW)
    response = caught.value.body()
    assert response["status"] == "invalid event"
    assert response["message"] == "Event object is invalid"
    errors: list[str] = response["errors"]
    return errors


def test_missing_trigger_fields_are_all_reported_like_pagerduty() -> None:
    errors = _errors({"routing_key": KEY, "event_action": "trigger", "payload": {}})
    assert errors == ["'payload.summary' is missing or blank",
                      "'payload.source' is missing or blank",
                      "'payload.severity' is missing or blank"]


@pytest.mark.parametrize(("body", "expected"), [
    (_trigger(routing_key=""), "'routing_key' is missing or blank"),
    (_trigger(event_action="explode"), "'event_action' is invalid"),
    ({"routing_key": KEY, "event_action": "resolve"}, "'dedup_key' is missing or blank"),
    (_trigger(dedup_key="k" * 256), "'dedup_key' is too long"),
    (_trigger(payload=None), "'payload' is missing or blank"),
    (_trigger(links=[{"text": "no href"}]), "'links[0].href' is missing or blank"),
    ("not an object", "Event must be a JSON object"),
])
def test_invalid_events_get_pagerduty_style_errors(body: Any, expected: str) -> None:
    assert any(error.startswith(expected) for error in _errors(body))


def test_summary_is_limited_to_1024_characters() -> None:
    ok = _trigger()
    ok["payload"]["summary"] = "x" * 1024
    assert pagerduty.parse(ok, "pd", NOW)[0].summary == "x" * 1024
    too_long = _trigger()
    too_long["payload"]["summary"] = "x" * 1025
    assert _errors(too_long)[0].startswith("'payload.summary' is too long (maximum is 1024")


def test_severity_must_be_one_of_pagerdutys_four() -> None:
    body = _trigger()
    body["payload"]["severity"] = "P1"
    assert _errors(body) == ["'payload.severity' is invalid (must be one of: critical, error, "
                             "warning, info; got 'P1')"]


def test_payload_limit_is_512_kb() -> None:
    assert pagerduty.MAX_PAYLOAD_BYTES == 512 * 1024


def test_change_event_parses_and_defaults_its_timestamp() -> None:
    body = {"routing_key": KEY,
            "payload": {"summary": "Deploy api v2.3.1", "source": "ci",
                        "custom_details": {"build": "2"}},
            "links": [{"href": "https://ci/build/2", "text": "Build"}]}
    change = changes.parse(body, "deploys", NOW)
    assert change == changes.ChangeEvent("deploys", "Deploy api v2.3.1", NOW, "ci",
                                         {"build": "2"},
                                         [{"href": "https://ci/build/2", "text": "Build"}])


def test_change_event_errors_name_the_fields() -> None:
    with pytest.raises(PagerDutyEventError) as caught:
        changes.parse({"payload": {"summary": " ", "timestamp": "soon"}}, "deploys", NOW)
    assert caught.value.body()["errors"] == [
        "'routing_key' is missing or blank",
        "'payload.summary' is missing or blank",
        "'payload.timestamp' is not a valid ISO 8601 timestamp",
    ]
