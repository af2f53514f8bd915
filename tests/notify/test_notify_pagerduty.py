"""PagerDuty Events v2 outbound: trigger, acknowledge and resolve at a local events URL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from warroom.clock import FakeClock
from warroom.notify.config import CHANNEL_CONFIG_ADAPTER
from warroom.notify.registry import NotifierDeps, build_notifier
from warroom.testing.messages import sample_message
from warroom.testing.receivers import HttpReceiver, ScriptedResponse


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver(default=ScriptedResponse(
            202, {"status": "success", "message": "Event processed", "dedup_key": "x"})) as s:
        yield s


def send(receiver: HttpReceiver, **changes: Any) -> dict[str, Any]:
    config = CHANNEL_CONFIG_ADAPTER.validate_python(
        {"type": "pagerduty", "routing_key": "R0UT1NGKEY0123456789012345678901",
         "url": receiver.url_for("/v2/enqueue")}, context={"env": {}})
    result = build_notifier(config, NotifierDeps(clock=FakeClock())).send(
        sample_message(**changes))
    assert result.ok and result.status == "202", result.detail
    payload = receiver.requests[-1].json()
    assert isinstance(payload, dict)
    return payload


def test_page_triggers_with_incident_id_as_dedup_key(receiver: HttpReceiver) -> None:
    event = send(receiver)
    assert event["event_action"] == "trigger"
    assert event["routing_key"] == "R0UT1NGKEY0123456789012345678901"
    assert event["dedup_key"] == "01JH0000000000000000000042"
    payload = event["payload"]
    assert payload["summary"] == sample_message().subject
    assert payload["severity"] == "critical"
    assert payload["source"] == "warroom"
    assert payload["timestamp"] == "2026-01-05T09:00:00.000000Z"
    assert event["links"][0]["href"].endswith("/incidents/INC-2026-0042")


def test_unknown_severity_uses_the_default(receiver: HttpReceiver) -> None:
    assert send(receiver, severity="SEV9")["payload"]["severity"] == "error"


def test_resolution_resolves_the_same_dedup_key(receiver: HttpReceiver) -> None:
    event = send(receiver, kind="resolved")
    assert event["event_action"] == "resolve"
    assert event["dedup_key"] == "01JH0000000000000000000042"
    assert "payload" not in event


def test_acknowledgement_acknowledges(receiver: HttpReceiver) -> None:
    assert send(receiver, kind="acknowledged")["event_action"] == "acknowledge"
