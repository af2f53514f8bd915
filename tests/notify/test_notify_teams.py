"""Microsoft Teams webhooks: Adaptive Card and MessageCard payloads at a real receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from warroom.notify.config import CHANNEL_CONFIG_ADAPTER
from warroom.notify.registry import build_notifier
from warroom.testing.messages import sample_message
from warroom.testing.receivers import HttpReceiver


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as server:
        yield server


def send(receiver: HttpReceiver, fmt: str, **changes: object) -> dict[str, object]:
    config = CHANNEL_CONFIG_ADAPTER.validate_python(
        {"type": "teams", "url": receiver.url_for("/webhook/x"), "format": fmt},
        context={"env": {}})
    result = build_notifier(config).send(sample_message(**changes))
    assert result.ok, result.detail
    payload = receiver.requests[-1].json()
    assert isinstance(payload, dict)
    return payload


def test_adaptive_card_is_wrapped_in_a_message_attachment(receiver: HttpReceiver) -> None:
    payload = send(receiver, "adaptive_card")
    assert payload["type"] == "message"
    attachments = payload["attachments"]
    assert isinstance(attachments, list) and len(attachments) == 1
    attachment = attachments[0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["body"][0]["text"].startswith("INCIDENT DECLARED")
    assert [a["url"] for a in card["actions"]][1] == "https://meet.example.com/inc-2026-0042"


def test_message_card_has_title_colour_and_open_uri_actions(receiver: HttpReceiver) -> None:
    payload = send(receiver, "message_card")
    assert payload["@type"] == "MessageCard"
    assert payload["themeColor"] == "D00000"
    assert payload["title"] == sample_message().subject
    assert "  \nSeverity: P0 (Critical)" in str(payload["text"])
    actions = payload["potentialAction"]
    assert isinstance(actions, list)
    assert actions[0]["targets"][0]["uri"].endswith("/incidents/INC-2026-0042")


def test_resolved_message_card_is_green(receiver: HttpReceiver) -> None:
    payload = send(receiver, "message_card", kind="resolved")
    assert payload["themeColor"] == "2EB67D"
