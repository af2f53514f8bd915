"""Slack incoming webhooks (`{text, blocks}`); Mattermost and Rocket.Chat take the same JSON."""

from __future__ import annotations

from typing import Any

import httpx

from warroom.clock import Clock
from warroom.notify.base import DeliveryResult, Message, links_not_in_body
from warroom.notify.config import MattermostChannel, RocketChatChannel, SlackChannel
from warroom.notify.poster import HttpPoster

_SEVERITY_EMOJI = {"page": ":rotating_light:", "escalation": ":rotating_light:",
                   "sla_breach": ":alarm_clock:", "reminder": ":memo:",
                   "update": ":clipboard:", "approval_request": ":raising_hand:",
                   "acknowledged": ":eyes:", "resolved": ":white_check_mark:"}
_SECTION_LIMIT = 3000  # Slack rejects section text longer than this


def escape_mrkdwn(text: str) -> str:
    """Slack treats &, < and > as control characters in message text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(message: Message, *, blocks: bool, channel: str | None = None,
                  username: str | None = None, icon_emoji: str | None = None) -> dict[str, Any]:
    """The webhook JSON: `text` is the full fallback; `blocks` lay it out when supported."""
    emoji = _SEVERITY_EMOJI.get(message.kind, ":rotating_light:")
    text = escape_mrkdwn(message.body)
    payload: dict[str, Any] = {"text": text}
    if not blocks:  # plain text only: the links go in it, as <url|label>
        extra = links_not_in_body(message)
        if extra:
            payload["text"] = text + "\n" + "\n".join(
                f"<{link.url}|{escape_mrkdwn(link.label)}>" for link in extra)
    if blocks:
        body_blocks: list[dict[str, Any]] = [
            {"type": "header",
             "text": {"type": "plain_text", "text": message.subject[:150], "emoji": True}},
            {"type": "section", "text": {"type": "mrkdwn", "text": text[:_SECTION_LIMIT]}},
        ]
        if message.links:
            body_blocks.append({"type": "actions", "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": link.label[:75]},
                 "url": link.url} for link in message.links[:25]]})
        body_blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn",
             "text": f"{emoji} {escape_mrkdwn(message.incident_human_id)} · "
                     f"{escape_mrkdwn(message.severity)} · {message.kind}"}]})
        payload["blocks"] = body_blocks
    if channel:
        payload["channel"] = channel
    if username:
        payload["username"] = username
    if icon_emoji:
        payload["icon_emoji"] = icon_emoji
    return payload


class SlackNotifier:
    """Posts to one Slack-compatible incoming webhook. `destination` overrides the channel."""

    def __init__(self, config: SlackChannel | MattermostChannel | RocketChatChannel, *,
                 clock: Clock, transport: httpx.BaseTransport | None = None) -> None:
        self._config = config
        self._poster = HttpPoster(clock=clock, timeout=config.timeout,
                                  secrets=config.secrets(), transport=transport)

    def __repr__(self) -> str:
        return f"SlackNotifier(type={self._config.type!r})"

    def send(self, message: Message, destination: str | None = None) -> DeliveryResult:
        payload = slack_payload(message, blocks=self._config.blocks,
                                channel=destination or self._config.channel,
                                username=self._config.username,
                                icon_emoji=self._config.icon_emoji)
        return self._poster.post(self._config.url.get_secret_value(), json=payload,
                                 headers={"Idempotency-Key": message.idempotency_key})

    def close(self) -> None:
        self._poster.close()
