"""Discord webhooks: `{content, embeds}` and Discord's 429 with retry_after in body and
header."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from warroom.clock import FakeClock
from warroom.notify.base import Notifier
from warroom.notify.config import CHANNEL_CONFIG_ADAPTER
from warroom.notify.registry import NotifierDeps, build_notifier
from warroom.testing.messages import sample_message
from warroom.testing.receivers import HttpReceiver, ScriptedResponse


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as server:
        yield server


def discord(receiver: HttpReceiver) -> Notifier:
    config = CHANNEL_CONFIG_ADAPTER.validate_python(
        {"type": "discord", "url": receiver.url_for("/api/webhooks/1/tok"),
         "username": "warroom"}, context={"env": {}})
    return build_notifier(config, NotifierDeps(clock=FakeClock()))


def test_discord_payload_has_content_and_embed(receiver: HttpReceiver) -> None:
    assert discord(receiver).send(sample_message()).ok
    payload = receiver.requests[0].json()
    assert payload["content"] == sample_message().subject
    [embed] = payload["embeds"]
    assert embed["description"] == sample_message().body
    assert embed["color"] == 0xD00000
    assert embed["fields"][0]["value"].endswith("/incidents/INC-2026-0042")
    assert payload["allowed_mentions"] == {"parse": []}
    assert payload["username"] == "warroom"


def test_discord_429_prefers_retry_after_from_the_body(receiver: HttpReceiver) -> None:
    receiver.respond(ScriptedResponse(
        429, {"message": "You are being rate limited.", "retry_after": 1.5, "global": False},
        headers={"Retry-After": "2"}))
    result = discord(receiver).send(sample_message())
    assert (result.ok, result.retryable, result.retry_after) == (False, True, 1.5)


def test_discord_429_falls_back_to_the_header(receiver: HttpReceiver) -> None:
    receiver.respond(ScriptedResponse(429, "rate limited", headers={"Retry-After": "4"}))
    result = discord(receiver).send(sample_message())
    assert (result.retryable, result.retry_after) == (True, 4.0)
