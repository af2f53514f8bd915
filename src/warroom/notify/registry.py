"""The notifier registry: the one hook point that maps a channel `type` to its config model
and its factory. Built-in channels are registered exactly as a plugin would register one:

    from warroom.notify.registry import ChannelType, NotifierDeps, register

    register(ChannelType("matrix", MatrixChannel, lambda cfg, deps: MatrixNotifier(cfg)))
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

import httpx
from pydantic import BaseModel

from warroom.clock import Clock, SystemClock
from warroom.notify import config as cfg
from warroom.notify.base import Notifier
from warroom.notify.console import ConsoleNotifier
from warroom.notify.discord import DiscordNotifier
from warroom.notify.email import EmailNotifier
from warroom.notify.pagerduty import PagerDutyNotifier
from warroom.notify.slack import SlackNotifier
from warroom.notify.sms import GatewayNotifier
from warroom.notify.teams import TeamsNotifier
from warroom.notify.webhook import WebhookNotifier


@dataclass(frozen=True)
class NotifierDeps:
    """What a factory may need besides its config; tests swap in fakes here."""

    clock: Clock = field(default_factory=SystemClock)
    transport: httpx.BaseTransport | None = None
    stream: TextIO | None = None


NotifierFactory = Callable[[Any, NotifierDeps], Notifier]


@dataclass(frozen=True)
class ChannelType:
    """A channel type: its `type:` key, its Pydantic config model and its factory."""

    name: str
    config_model: type[BaseModel]
    factory: NotifierFactory
    summary: str = ""


CHANNEL_TYPES: dict[str, ChannelType] = {}
_LOCK = threading.Lock()


def register(channel_type: ChannelType, *, replace: bool = False) -> None:
    """Add a channel type. Registering a taken name is an error unless `replace` is set."""
    with _LOCK:
        if channel_type.name in CHANNEL_TYPES and not replace:
            raise ValueError(f"channel type {channel_type.name!r} is already registered; "
                             "pass replace=True to override it")
        CHANNEL_TYPES[channel_type.name] = channel_type


def channel_type(name: str) -> ChannelType:
    found = CHANNEL_TYPES.get(name)
    if found is None:
        raise KeyError(f"unknown channel type {name!r}; known types: "
                       f"{', '.join(sorted(CHANNEL_TYPES))}")
    return found


def build_notifier(config: BaseModel, deps: NotifierDeps | None = None) -> Notifier:
    """A ready notifier for one validated channel config."""
    name = getattr(config, "type", None)
    if not isinstance(name, str):
        raise TypeError(f"{type(config).__name__} has no `type`; is it a channel config?")
    return channel_type(name).factory(config, deps or NotifierDeps())


def _http(notifier: Callable[..., Notifier]) -> NotifierFactory:
    """The factory of a notifier that posts over HTTP: it takes the clock and transport."""
    return lambda c, d: notifier(c, clock=d.clock, transport=d.transport)


def _register_builtins() -> None:
    builtins = [
        ChannelType("slack", cfg.SlackChannel, _http(SlackNotifier), "Slack incoming webhook"),
        ChannelType("mattermost", cfg.MattermostChannel, _http(SlackNotifier),
                    "Mattermost incoming webhook"),
        ChannelType("rocketchat", cfg.RocketChatChannel, _http(SlackNotifier),
                    "Rocket.Chat incoming webhook"),
        ChannelType("teams", cfg.TeamsChannel, _http(TeamsNotifier), "Microsoft Teams webhook"),
        ChannelType("discord", cfg.DiscordChannel, _http(DiscordNotifier), "Discord webhook"),
        ChannelType("email", cfg.EmailChannel, lambda c, d: EmailNotifier(c, clock=d.clock),
                    "Email over SMTP"),
        ChannelType("webhook", cfg.WebhookChannel, _http(WebhookNotifier), "Signed JSON webhook"),
        ChannelType("pagerduty", cfg.PagerDutyChannel, _http(PagerDutyNotifier),
                    "PagerDuty Events API v2"),
        ChannelType("sms", cfg.SmsChannel, _http(GatewayNotifier), "SMS via an HTTP gateway"),
        ChannelType("voice", cfg.VoiceChannel, _http(GatewayNotifier),
                    "Voice call via an HTTP gateway"),
        ChannelType("console", cfg.ConsoleChannel, lambda c, d: ConsoleNotifier(
            c, stream=d.stream), "Log or terminal output"),
    ]
    for item in builtins:
        register(item)


_register_builtins()
