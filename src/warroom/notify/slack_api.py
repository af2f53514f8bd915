"""Slack Web API client for the war room: `conversations.create` for a per-incident channel,
with Slack's naming rules and `name_taken` handled by suffixing."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from warroom.clock import Clock
from warroom.notify.poster import install_log_redaction, origin, parse_retry_after
from warroom.notify.secrets import redact

MAX_CHANNEL_NAME = 80
_INVALID = re.compile(r"[^a-z0-9_-]+")
_DASHES = re.compile(r"-{2,}")

_ERROR_HINTS = {
    "invalid_auth": "the bot token is not valid; check the channel's bot_token",
    "not_authed": "no bot token was sent; set bot_token on the Slack channel",
    "missing_scope": "the Slack app needs the channels:manage scope (groups:write for "
                     "private channels)",
    "restricted_action": "the workspace does not let this app create channels",
    "invalid_name_specials": "the channel name has characters Slack does not allow",
}


def channel_name(text: str, suffix: str = "") -> str:
    """A valid Slack channel name from free text: lowercase, only [a-z0-9-_], at most 80
    characters including `suffix`."""
    base = _DASHES.sub("-", _INVALID.sub("-", text.lower())).strip("-_")
    base = base[: MAX_CHANNEL_NAME - len(suffix)].rstrip("-_")
    name = f"{base}{suffix}" if base else f"incident{suffix}"
    return name[:MAX_CHANNEL_NAME]


@dataclass(frozen=True)
class SlackConversation:
    id: str
    name: str


class SlackApiError(Exception):
    """Slack said no. `retryable` and `retry_after` tell the engine whether to try later."""

    def __init__(self, error: str, detail: str, *, retryable: bool,
                 retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.error = error
        self.retryable = retryable
        self.retry_after = retry_after


class SlackApi:
    def __init__(self, token: SecretStr, *, clock: Clock,
                 base_url: str = "https://slack.com/api", timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        install_log_redaction()
        self._token = token
        self._clock = clock
        self._base_url = base_url.rstrip("/")
        self._client = httpx.Client(timeout=timeout, transport=transport)

    def __repr__(self) -> str:
        return f"SlackApi(base_url={origin(self._base_url)!r})"

    def _call(self, method: str, payload: dict[str, object]) -> dict[str, object]:
        url = f"{self._base_url}/{method}"
        headers = {"Authorization": f"Bearer {self._token.get_secret_value()}",
                   "Content-Type": "application/json; charset=utf-8"}
        try:
            response = self._client.post(url, json=payload, headers=headers)
        except httpx.TransportError as exc:
            raise SlackApiError("connection_error", redact(
                f"could not reach {origin(url)}: {type(exc).__name__}", [self._token]),
                retryable=True) from None
        if response.status_code == 429:
            wait = parse_retry_after(response.headers.get("Retry-After"), self._clock.now())
            raise SlackApiError("ratelimited", f"Slack rate-limited {method}", retryable=True,
                                retry_after=wait)
        if response.status_code >= 500:
            raise SlackApiError("server_error", f"Slack answered {response.status_code} to "
                                f"{method}", retryable=True)
        try:
            data = response.json()
        except ValueError:
            raise SlackApiError("invalid_response", f"{method} answered "
                                f"{response.status_code} without JSON", retryable=False) from None
        if not isinstance(data, dict):
            raise SlackApiError("invalid_response", f"{method} answered non-object JSON",
                                retryable=False)
        return data

    def create_channel(self, name: str, *, is_private: bool = False,
                       max_suffix: int = 20) -> SlackConversation:
        """Create a channel named after `name` (normalised by `channel_name`); if the name is
        taken, try `name-2`, `name-3`, ... up to `max_suffix`."""
        for attempt in range(1, max_suffix + 1):
            candidate = channel_name(name, "" if attempt == 1 else f"-{attempt}")
            data = self._call("conversations.create",
                              {"name": candidate, "is_private": is_private})
            if data.get("ok") is True:
                channel = data.get("channel")
                if not isinstance(channel, dict) or "id" not in channel:
                    raise SlackApiError("invalid_response", "conversations.create answered ok "
                                        "without a channel id", retryable=False)
                return SlackConversation(id=str(channel["id"]),
                                         name=str(channel.get("name", candidate)))
            error = str(data.get("error", "unknown_error"))
            if error == "name_taken":
                continue
            hint = _ERROR_HINTS.get(error, "see https://api.slack.com/methods/"
                                           "conversations.create#errors")
            raise SlackApiError(error, f"Slack refused to create #{candidate}: {error}; {hint}",
                                retryable=error in {"ratelimited", "fatal_error",
                                                    "internal_error", "service_unavailable"})
        raise SlackApiError("name_taken", f"every name from #{channel_name(name)} to "
                            f"-{max_suffix} is taken; archive old incident channels or change "
                            "the chat_channel template", retryable=False)

    def close(self) -> None:
        self._client.close()
