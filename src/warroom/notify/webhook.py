"""Generic outbound webhooks: a JSON POST signed with HMAC-SHA256 over `timestamp.body`.

Headers: `X-Warroom-Timestamp` (unix seconds), `X-Warroom-Signature: v1=<hex>` and
`Idempotency-Key`. Receivers check them with `verify_signature` (see docs/notifications.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

import httpx

from warroom.clock import Clock, isoformat
from warroom.notify.base import DeliveryResult, Message
from warroom.notify.config import WebhookChannel
from warroom.notify.poster import HttpPoster

TIMESTAMP_HEADER = "X-Warroom-Timestamp"
SIGNATURE_HEADER = "X-Warroom-Signature"
SIGNATURE_VERSION = "v1"


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else secret


def sign(secret: str | bytes, timestamp: str, body: bytes) -> str:
    """The signature header value: `v1=` + hex HMAC-SHA256 of `timestamp + "." + body`."""
    digest = hmac.new(_key(secret), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={digest.hexdigest()}"


def verify_signature(secret: str | bytes, timestamp: str, body: bytes, header: str,
                     now: datetime, tolerance: float = 300.0) -> bool:
    """True if `header` holds a valid v1 signature of `body` made at `timestamp`, and the
    timestamp is within `tolerance` seconds of `now` (which stops replays).

    `header` may list several comma-separated signatures (e.g. during secret rotation); one
    match is enough. Comparison is constant-time.
    """
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now.timestamp() - sent_at) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(candidate.strip(), expected)
               for candidate in header.split(","))


def webhook_body(message: Message, sent_at: datetime,
                 destination: str | None = None) -> dict[str, Any]:
    data = message.to_dict()
    data["destination"] = destination
    data["incident"] = {"id": data.pop("incident_id"),
                        "human_id": data.pop("incident_human_id")}
    data["sent_at"] = isoformat(sent_at)
    data["version"] = 1
    return data


class WebhookNotifier:
    """Posts the message as JSON to the channel's URL; `destination` (e.g. a user id the
    receiver routes on) travels in the body."""

    def __init__(self, config: WebhookChannel, *, clock: Clock,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._config = config
        self._clock = clock
        self._poster = HttpPoster(clock=clock, timeout=config.timeout,
                                  secrets=config.secrets(), transport=transport)

    def __repr__(self) -> str:
        return f"WebhookNotifier(signed={self._config.secret is not None})"

    def send(self, message: Message, destination: str | None = None) -> DeliveryResult:
        now = self._clock.now()
        body = json.dumps(webhook_body(message, now, destination), separators=(",", ":"),
                          ensure_ascii=False).encode("utf-8")
        timestamp = str(int(now.timestamp()))
        headers = {name: value.get_secret_value()
                   for name, value in self._config.headers.items()}
        headers.update({"Content-Type": "application/json",
                        "Idempotency-Key": message.idempotency_key,
                        "X-Warroom-Event": message.kind,
                        TIMESTAMP_HEADER: timestamp})
        if self._config.secret is not None:
            headers[SIGNATURE_HEADER] = sign(self._config.secret.get_secret_value(),
                                             timestamp, body)
        return self._poster.post(self._config.url.get_secret_value(), content=body,
                                 headers=headers)

    def close(self) -> None:
        self._poster.close()
