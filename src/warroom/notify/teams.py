"""Microsoft Teams webhooks: an Adaptive Card (Workflows webhooks) or a legacy MessageCard
(Office 365 connectors)."""

from __future__ import annotations

from typing import Any

import httpx

from warroom.clock import Clock
from warroom.notify.base import DeliveryResult, Message, severity_rank
from warroom.notify.config import TeamsChannel
from warroom.notify.poster import HttpPoster


def _theme(message: Message) -> str:
    if message.kind == "resolved":
        return "2EB67D"
    return {0: "D00000", 1: "E8590C", 2: "F2C744"}.get(severity_rank(message.severity), "6C757D")


def message_card(message: Message) -> dict[str, Any]:
    card: dict[str, Any] = {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": message.subject,
        "themeColor": _theme(message),
        "title": message.subject,
        # MessageCard text is Markdown: two trailing spaces keep our line breaks.
        "text": "  \n".join(message.body.splitlines()),
    }
    if message.links:
        card["potentialAction"] = [
            {"@type": "OpenUri", "name": link.label,
             "targets": [{"os": "default", "uri": link.url}]} for link in message.links]
    return card


def adaptive_card(message: Message) -> dict[str, Any]:
    content: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": message.subject, "weight": "Bolder",
             "size": "Medium", "wrap": True,
             "color": "Good" if message.kind == "resolved" else "Attention"},
            {"type": "TextBlock", "text": message.body, "wrap": True},
        ],
    }
    if message.links:
        content["actions"] = [{"type": "Action.OpenUrl", "title": link.label, "url": link.url}
                              for link in message.links]
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
         "content": content}]}


class TeamsNotifier:
    def __init__(self, config: TeamsChannel, *, clock: Clock,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._config = config
        self._poster = HttpPoster(clock=clock, timeout=config.timeout,
                                  secrets=config.secrets(), transport=transport)

    def __repr__(self) -> str:
        return f"TeamsNotifier(format={self._config.format!r})"

    def send(self, message: Message, destination: str | None = None) -> DeliveryResult:
        payload = (adaptive_card(message) if self._config.format == "adaptive_card"
                   else message_card(message))
        return self._poster.post(self._config.url.get_secret_value(), json=payload,
                                 headers={"Idempotency-Key": message.idempotency_key})

    def close(self) -> None:
        self._poster.close()
