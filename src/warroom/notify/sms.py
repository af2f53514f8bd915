"""SMS and voice calls through a configurable HTTP gateway, Twilio-style (To/From/Body as a
form or JSON post, HTTP basic auth). Voice is the same post with a TwiML body by default."""

from __future__ import annotations

from xml.sax.saxutils import escape

import httpx

from warroom.clock import Clock
from warroom.notify.base import DeliveryResult, Message
from warroom.notify.config import SmsChannel, VoiceChannel
from warroom.notify.poster import HttpPoster


def short_text(message: Message, max_length: int) -> str:
    """One line that fits a text message: the subject, then the first link."""
    text = " ".join(message.subject.split())
    if message.links:
        text = f"{text} {message.links[0].url}"
    if len(text) > max_length:
        text = text[: max_length - 1] + "…"
    return text


def gateway_fields(message: Message, config: SmsChannel | VoiceChannel,
                   to: str) -> dict[str, str]:
    text = short_text(message, config.max_length)
    if config.escape == "xml":
        text = escape(text)
    # str.replace rather than str.format: message text must never be read as a format spec.
    body = config.body_template.replace("{text}", text)
    return {config.to_field: to, config.from_field: config.from_number,
            config.body_field: body}


class GatewayNotifier:
    """Sends one SMS or call per recipient; `destination` is the phone number."""

    def __init__(self, config: SmsChannel | VoiceChannel, *, clock: Clock,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._config = config
        self._poster = HttpPoster(clock=clock, timeout=config.timeout,
                                  secrets=config.secrets(), transport=transport)

    def __repr__(self) -> str:
        return f"GatewayNotifier(type={self._config.type!r})"

    def send(self, message: Message, destination: str | None = None) -> DeliveryResult:
        recipients = [destination] if destination else list(self._config.to)
        if not recipients:
            return DeliveryResult.failure(
                "no-recipient", f"{self._config.type} needs a phone number: give the user a "
                "contact method or set `to:` on the channel", retryable=False)
        auth: tuple[str | bytes, str | bytes] | None = None
        if self._config.username is not None:
            password = self._config.password.get_secret_value() if self._config.password else ""
            auth = (self._config.username, password)
        result = DeliveryResult.success("no-op")
        for number in recipients:
            fields = gateway_fields(message, self._config, number)
            if self._config.format == "json":
                result = self._poster.post(self._config.url, json=fields, auth=auth)
            else:
                result = self._poster.post(self._config.url, data=fields, auth=auth)
            if not result.ok:
                return result
        return result

    def close(self) -> None:
        self._poster.close()
