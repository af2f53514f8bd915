"""Discord webhooks (`{content, embeds}`), including Discord's 429 `retry_after` body."""

from __future__ import annotations

import json
from typing import Any

import httpx

from warroom.clock import Clock
from warroom.notify.base import DeliveryResult, Message, severity_rank
from warroom.notify.config import DiscordChannel
from warroom.notify.poster import HttpPoster

_CONTENT_LIMIT = 2000
_EMBED_DESCRIPTION_LIMIT = 4096


def discord_payload(message: Message, *, username: str | None = None,
                    avatar_url: str | None = None) -> dict[str, Any]:
    colour = 0x2EB67D if message.kind == "resolved" else {
        0: 0xD00000, 1: 0xE8590C, 2: 0xF2C744}.get(severity_rank(message.severity), 0x6C757D)
    embed: dict[str, Any] = {
        "title": message.subject[:256],
        "description": message.body[:_EMBED_DESCRIPTION_LIMIT],
        "color": colour,
        "footer": {"text": f"{message.incident_human_id} · {message.severity} · {message.kind}"},
    }
    if message.links:
        embed["fields"] = [{"name": link.label[:256], "value": link.url[:1024], "inline": True}
                           for link in message.links[:25]]
    payload: dict[str, Any] = {
        "content": message.subject[:_CONTENT_LIMIT],
        "embeds": [embed],
        # Never let incident text ping @everyone or roles.
        "allowed_mentions": {"parse": []},
    }
    if username:
        payload["username"] = username
    if avatar_url:
        payload["avatar_url"] = avatar_url
    return payload


def retry_after_from_body(response: httpx.Response) -> float | None:
    """Discord's 429 body says `{"retry_after": 1.5, ...}` in seconds (more precise than the
    header)."""
    try:
        data = json.loads(response.content)
    except ValueError:
        return None
    value = data.get("retry_after") if isinstance(data, dict) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


class DiscordNotifier:
    def __init__(self, config: DiscordChannel, *, clock: Clock,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._config = config
        self._poster = HttpPoster(clock=clock, timeout=config.timeout,
                                  secrets=config.secrets(), transport=transport)

    def __repr__(self) -> str:
        return "DiscordNotifier()"

    def send(self, message: Message, destination: str | None = None) -> DeliveryResult:
        payload = discord_payload(message, username=self._config.username,
                                  avatar_url=self._config.avatar_url)
        return self._poster.post(self._config.url.get_secret_value(), json=payload,
                                 retry_after_from_body=retry_after_from_body)

    def close(self) -> None:
        self._poster.close()
