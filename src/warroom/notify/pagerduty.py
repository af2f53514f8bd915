"""PagerDuty Events API v2, outbound: trigger, acknowledge and resolve with dedup_key = the
incident id, so teams can keep PagerDuty in the loop while they migrate."""

from __future__ import annotations

from typing import Any, Literal

import httpx

from warroom.clock import Clock, isoformat
from warroom.notify.base import DeliveryResult, Message
from warroom.notify.config import PagerDutyChannel
from warroom.notify.poster import HttpPoster

EventAction = Literal["trigger", "acknowledge", "resolve"]


def event_action(message: Message) -> EventAction:
    if message.kind == "resolved":
        return "resolve"
    if message.kind == "acknowledged":
        return "acknowledge"
    return "trigger"


def events_v2_payload(message: Message, config: PagerDutyChannel,
                      timestamp: str) -> dict[str, Any]:
    action = event_action(message)
    event: dict[str, Any] = {
        "routing_key": config.routing_key.get_secret_value(),
        "event_action": action,
        "dedup_key": message.incident_id,
    }
    if action == "trigger":
        event["payload"] = {
            "summary": message.subject[:1024],
            "source": config.source,
            "severity": config.severity_map.get(message.severity, config.default_severity),
            "timestamp": timestamp,
            "component": message.incident_human_id,
            "class": message.kind,
            "custom_details": {"body": message.body, "severity": message.severity,
                               "incident": message.incident_human_id,
                               "drill": message.drill, **dict(message.extra)},
        }
        event["client"] = "warroom"
        if message.links:
            event["links"] = [{"href": link.url, "text": link.label} for link in message.links]
    return event


class PagerDutyNotifier:
    def __init__(self, config: PagerDutyChannel, *, clock: Clock,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._config = config
        self._clock = clock
        self._poster = HttpPoster(clock=clock, timeout=config.timeout,
                                  secrets=config.secrets(), transport=transport)

    def __repr__(self) -> str:
        return "PagerDutyNotifier()"

    def send(self, message: Message, destination: str | None = None) -> DeliveryResult:
        payload = events_v2_payload(message, self._config, isoformat(self._clock.now()))
        return self._poster.post(self._config.url, json=payload)

    def close(self) -> None:
        self._poster.close()
