"""Slack, Mattermost and Rocket.Chat incoming webhooks, posted to a real local receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from warroom.clock import FakeClock
from warroom.notify.base import Notifier
from warroom.notify.config import CHANNEL_CONFIG_ADAPTER
from warroom.notify.registry import NotifierDeps, build_notifier
from warroom.notify.slack import escape_mrkdwn
from warroom.testing.messages import sample_message
from warroom.testing.receivers import HttpReceiver, ScriptedResponse


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as server:
        yield server


def notifier_for(receiver: HttpReceiver, **settings: object) -> Notifier:
    config = CHANNEL_CONFIG_ADAPTER.validate_python(
        {"type": "slack", "url": receiver.url_for("/services/T1/B2/sekrit-token"), **settings},
        context={"env": {}})
    return build_notifier(config, NotifierDeps(clock=FakeClock()))


def test_slack_post_has_text_and_blocks(receiver: HttpReceiver) -> None:
    result = notifier_for(receiver).send(sample_message())
    assert result.ok
    [request] = receiver.requests
    assert request.path == "/services/T1/B2/sekrit-token"
    payload = request.json()
    assert payload["text"].startswith("INCIDENT DECLARED — [P0] Checkout API")
    kinds = [block["type"] for block in payload["blocks"]]
    assert kinds == ["header", "section", "actions", "context"]
    buttons = payload["blocks"][2]["elements"]
    assert [b["url"] for b in buttons] == [
        "https://warroom.example.com/incidents/INC-2026-0042",
        "https://meet.example.com/inc-2026-0042"]
    assert request.header("Idempotency-Key") == "inc-0042:page:1"


def test_slack_text_escapes_control_characters(receiver: HttpReceiver) -> None:
    notifier_for(receiver).send(sample_message())
    text = receiver.requests[0].json()["text"]
    assert "Checkout fails &lt;50%&gt; &amp; more" in text
    assert escape_mrkdwn("<!channel>") == "&lt;!channel&gt;"


def test_destination_overrides_configured_channel(receiver: HttpReceiver) -> None:
    notifier = notifier_for(receiver, channel="#incidents", username="warroom")
    notifier.send(sample_message())
    notifier.send(sample_message(), "#inc-2026-0042")
    first, second = (r.json() for r in receiver.requests)
    assert (first["channel"], first["username"]) == ("#incidents", "warroom")
    assert second["channel"] == "#inc-2026-0042"


@pytest.mark.parametrize("kind", ["mattermost", "rocketchat"])
def test_mattermost_and_rocketchat_get_the_same_json_without_blocks(
        receiver: HttpReceiver, kind: str) -> None:
    config = CHANNEL_CONFIG_ADAPTER.validate_python(
        {"type": kind, "url": receiver.url_for("/hooks/abc")}, context={"env": {}})
    result = build_notifier(config).send(sample_message())
    assert result.ok
    payload = receiver.requests[0].json()
    assert "blocks" not in payload
    assert payload["text"].startswith("INCIDENT DECLARED")


def test_slack_error_reply_is_reported_without_the_webhook_path(receiver: HttpReceiver) -> None:
    receiver.respond(ScriptedResponse(404, "no_service"))
    result = notifier_for(receiver).send(sample_message())
    assert (result.ok, result.retryable, result.status) == (False, False, "404")
    assert "no_service" in result.detail
    assert "sekrit-token" not in result.detail
