"""SMS and voice through a Twilio-style HTTP gateway at a local receiver."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from warroom.clock import FakeClock
from warroom.notify.base import DeliveryResult
from warroom.notify.config import CHANNEL_CONFIG_ADAPTER
from warroom.notify.registry import NotifierDeps, build_notifier
from warroom.testing.messages import sample_message
from warroom.testing.receivers import HttpReceiver, ScriptedResponse


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver(default=ScriptedResponse(201, {"sid": "SM123"})) as server:
        yield server


def send(receiver: HttpReceiver, settings: dict[str, Any], destination: str | None,
         **changes: Any) -> DeliveryResult:
    config = CHANNEL_CONFIG_ADAPTER.validate_python(
        {"url": receiver.url_for("/2010-04-01/Accounts/AC1/Messages.json"),
         "from_number": "+15550001111", **settings}, context={"env": {}})
    return build_notifier(config, NotifierDeps(clock=FakeClock())).send(
        sample_message(**changes), destination)


def test_sms_is_a_form_post_with_twilio_fields_and_basic_auth(receiver: HttpReceiver) -> None:
    result = send(receiver, {"type": "sms", "username": "AC1", "password": "auth-token-xyz"},
                  "+15552223333")
    assert result.ok, result.detail
    [request] = receiver.requests
    assert request.header("Content-Type") == "application/x-www-form-urlencoded"
    form = request.form()
    assert form["To"] == "+15552223333"
    assert form["From"] == "+15550001111"
    assert form["Body"] == ("INCIDENT DECLARED — [P0] Checkout API returning 502s "
                            "https://warroom.example.com/incidents/INC-2026-0042")
    assert request.header("Authorization") == "Basic " + base64.b64encode(
        b"AC1:auth-token-xyz").decode()


def test_sms_json_format_and_custom_field_names(receiver: HttpReceiver) -> None:
    send(receiver, {"type": "sms", "format": "json", "to_field": "to", "from_field": "from",
                    "body_field": "text", "body_template": "warroom: {text}"}, "+1555")
    payload = receiver.requests[0].json()
    assert payload["to"] == "+1555" and payload["from"] == "+15550001111"
    assert payload["text"].startswith("warroom: INCIDENT DECLARED")


def test_long_sms_text_is_cut_to_max_length(receiver: HttpReceiver) -> None:
    send(receiver, {"type": "sms", "max_length": 40}, "+1555", subject="x" * 500)
    body = receiver.requests[0].form()["Body"]
    assert len(body) == 40 and body.endswith("…")


def test_voice_posts_escaped_twiml(receiver: HttpReceiver) -> None:
    result = send(receiver, {"type": "voice", "url": receiver.url_for("/Calls.json")},
                  "+15552223333", subject="DB <primary> & replica down", links=())
    assert result.ok
    form = receiver.requests[0].form()
    assert form["Twiml"] == ("<Response><Say>DB &lt;primary&gt; &amp; replica down"
                             "</Say></Response>")


def test_missing_recipient_is_a_final_failure(receiver: HttpReceiver) -> None:
    result = send(receiver, {"type": "sms"}, None)
    assert (result.ok, result.retryable, result.status) == (False, False, "no-recipient")
    assert receiver.requests == []


def test_gateway_failure_stops_at_the_first_failed_recipient(receiver: HttpReceiver) -> None:
    receiver.respond(ScriptedResponse(201), ScriptedResponse(500, "boom"))
    result = send(receiver, {"type": "sms", "to": ["+1", "+2", "+3"]}, None)
    assert (result.ok, result.retryable) == (False, True)
    assert [r.form()["To"] for r in receiver.requests] == ["+1", "+2"]
