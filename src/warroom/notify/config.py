"""Channel configuration: one Pydantic model per channel type, joined in `ChannelConfig`.

String values may reference the environment as `${VAR}` or `${VAR:-default}`; they are
expanded when the model is validated (pass `context={"env": {...}}` to choose the mapping,
otherwise `os.environ`). Secret fields are `SecretStr`, so repr and JSON dumps mask them.
"""

from __future__ import annotations

import os
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

from warroom.notify.base import Audience
from warroom.notify.secrets import expand_all


class RateLimit(BaseModel):
    """A token bucket per destination: `per_second` sustained, `burst` at once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_second: float = Field(default=1.0, gt=0)
    burst: int = Field(default=5, ge=1)


class ChannelBase(BaseModel):
    """Fields every channel has. Subclasses add `type` and their own settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout: float = Field(default=10.0, gt=0, description="seconds per attempt")
    rate_limit: RateLimit = Field(default_factory=RateLimit)
    audiences: tuple[Audience, ...] = Field(
        default=("internal",), description="which audiences' messages this channel carries")

    @model_validator(mode="before")
    @classmethod
    def _expand_environment(cls, data: Any, info: ValidationInfo) -> Any:
        context = info.context if isinstance(info.context, dict) else {}
        env = context.get("env", os.environ)
        return expand_all(data, env) if isinstance(data, dict) else data

    def secrets(self) -> list[SecretStr]:
        """Every secret value set on this channel, for scrubbing output."""
        found: list[SecretStr] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                found.append(value)
            elif isinstance(value, dict):
                found.extend(item for item in value.values() if isinstance(item, SecretStr))
        return found


class _ChatWebhook(ChannelBase):
    url: SecretStr = Field(description="incoming webhook URL (it is a credential)")
    channel: str | None = Field(default=None, description="channel override, e.g. #incidents")
    username: str | None = None
    icon_emoji: str | None = None


class SlackChannel(_ChatWebhook):
    type: Literal["slack"]
    blocks: bool = Field(default=True, description="send Block Kit blocks as well as text")
    bot_token: SecretStr | None = Field(
        default=None, description="xoxb- token; enables per-incident channels")
    api_url: str = Field(default="https://slack.com/api",
                         description="Slack Web API base URL (for conversations.create)")


class MattermostChannel(_ChatWebhook):
    type: Literal["mattermost"]
    blocks: bool = False


class RocketChatChannel(_ChatWebhook):
    type: Literal["rocketchat"]
    blocks: bool = False


class TeamsChannel(ChannelBase):
    type: Literal["teams"]
    url: SecretStr
    format: Literal["adaptive_card", "message_card"] = "adaptive_card"


class DiscordChannel(ChannelBase):
    type: Literal["discord"]
    url: SecretStr
    username: str | None = None
    avatar_url: str | None = None
    rate_limit: RateLimit = Field(default_factory=lambda: RateLimit(per_second=0.5, burst=5))


class EmailChannel(ChannelBase):
    type: Literal["email"]
    host: str = "localhost"
    port: int = Field(default=25, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "none"
    username: str | None = None
    password: SecretStr | None = None
    from_address: str
    to: tuple[str, ...] = Field(default=(), description="recipients when none is given")
    verify_tls: bool = True
    ca_file: str | None = Field(default=None, description="PEM bundle to trust for TLS")
    rate_limit: RateLimit = Field(default_factory=lambda: RateLimit(per_second=5, burst=20))

    @model_validator(mode="after")
    def _auth_pairs(self) -> EmailChannel:
        if (self.username is None) != (self.password is None):
            raise ValueError("set both username and password for SMTP AUTH, or neither")
        return self


class WebhookChannel(ChannelBase):
    type: Literal["webhook"]
    url: SecretStr = Field(description="receiver URL; secret, since URLs often carry tokens")
    secret: SecretStr | None = Field(default=None, description="HMAC-SHA256 signing secret")
    headers: dict[str, SecretStr] = Field(default_factory=dict,
                                          description="extra request headers (treated as secret)")
    rate_limit: RateLimit = Field(default_factory=lambda: RateLimit(per_second=10, burst=50))


PagerDutySeverity = Literal["critical", "error", "warning", "info"]


def _default_pd_severities() -> dict[str, PagerDutySeverity]:
    return {"P0": "critical", "P1": "error", "P2": "warning", "P3": "info"}


class PagerDutyChannel(ChannelBase):
    type: Literal["pagerduty"]
    routing_key: SecretStr
    url: str = "https://events.pagerduty.com/v2/enqueue"
    source: str = "warroom"
    severity_map: dict[str, PagerDutySeverity] = Field(default_factory=_default_pd_severities)
    default_severity: PagerDutySeverity = "error"


class _Gateway(ChannelBase):
    url: str = Field(description="gateway endpoint, e.g. .../Accounts/AC.../Messages.json")
    format: Literal["form", "json"] = "form"
    username: str | None = None
    password: SecretStr | None = None
    from_number: str
    to: tuple[str, ...] = Field(default=(), description="numbers when none is given")
    to_field: str = "To"
    from_field: str = "From"
    body_field: str = "Body"
    body_template: str = Field(default="{text}", description="`{text}` is the message")
    escape: Literal["none", "xml"] = "none"
    max_length: int = Field(default=1600, ge=20)

    @field_validator("body_template")
    @classmethod
    def _has_placeholder(cls, value: str) -> str:
        if "{text}" not in value:
            raise ValueError("body_template must contain {text} where the message goes")
        return value


class SmsChannel(_Gateway):
    type: Literal["sms"]


class VoiceChannel(_Gateway):
    type: Literal["voice"]
    body_field: str = "Twiml"
    body_template: str = "<Response><Say>{text}</Say></Response>"
    escape: Literal["none", "xml"] = "xml"
    max_length: int = Field(default=4000, ge=20)


class ConsoleChannel(ChannelBase):
    type: Literal["console"]
    stream: Literal["log", "stdout", "stderr"] = "log"
    level: Literal["debug", "info", "warning", "error"] = "info"
    rate_limit: RateLimit = Field(default_factory=lambda: RateLimit(per_second=1000, burst=1000))


ChannelConfig = Annotated[
    SlackChannel | MattermostChannel | RocketChatChannel | TeamsChannel | DiscordChannel
    | EmailChannel | WebhookChannel | PagerDutyChannel | SmsChannel | VoiceChannel
    | ConsoleChannel,
    Field(discriminator="type"),
]
CHANNEL_CONFIG_ADAPTER: TypeAdapter[ChannelConfig] = TypeAdapter(ChannelConfig)
