"""The registry: every built-in type builds, and a plugin registers the same way."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import pytest
from pydantic import BaseModel

from warroom.notify.base import DeliveryResult, Message, Notifier
from warroom.notify.channels import parse_channels
from warroom.notify.config import CHANNEL_CONFIG_ADAPTER
from warroom.notify.registry import (
    CHANNEL_TYPES,
    ChannelType,
    NotifierDeps,
    build_notifier,
    channel_type,
    register,
)
from warroom.testing.messages import sample_message
from warroom.yamlfile import loads

BUILT_IN = {"slack", "mattermost", "rocketchat", "teams", "discord", "email", "webhook",
            "pagerduty", "sms", "voice", "console"}


def test_every_built_in_type_is_registered_with_a_summary() -> None:
    assert set(CHANNEL_TYPES) >= BUILT_IN
    assert all(CHANNEL_TYPES[name].summary for name in BUILT_IN)


def test_every_discriminated_union_member_is_registered() -> None:
    schema = CHANNEL_CONFIG_ADAPTER.json_schema()
    assert set(schema["discriminator"]["mapping"]) == BUILT_IN


MINIMAL: dict[str, dict[str, object]] = {
    "slack": {"url": "http://127.0.0.1:1/x"},
    "mattermost": {"url": "http://127.0.0.1:1/x"},
    "rocketchat": {"url": "http://127.0.0.1:1/x"},
    "teams": {"url": "http://127.0.0.1:1/x"},
    "discord": {"url": "http://127.0.0.1:1/x"},
    "email": {"from_address": "a@example.com"},
    "webhook": {"url": "http://127.0.0.1:1/x"},
    "pagerduty": {"routing_key": "k" * 32},
    "sms": {"url": "http://127.0.0.1:1/x", "from_number": "+1"},
    "voice": {"url": "http://127.0.0.1:1/x", "from_number": "+1"},
    "console": {},
}


@pytest.mark.parametrize("kind", sorted(BUILT_IN))
def test_build_notifier_for_each_type(kind: str) -> None:
    config = CHANNEL_CONFIG_ADAPTER.validate_python({"type": kind, **MINIMAL[kind]},
                                                    context={"env": {}})
    notifier = build_notifier(config)
    assert callable(notifier.send)
    notifier.close()


class PigeonChannel(BaseModel):
    type: Literal["pigeon"]
    loft: str


class PigeonNotifier:
    def __init__(self, config: PigeonChannel) -> None:
        self.config = config
        self.sent: list[tuple[Message, str | None]] = []

    def send(self, message: Message, destination: str | None = None) -> DeliveryResult:
        self.sent.append((message, destination))
        return DeliveryResult.success("coo", f"flown from {self.config.loft}")

    def close(self) -> None:
        pass


@pytest.fixture
def pigeon() -> Iterator[ChannelType]:
    kind = ChannelType("pigeon", PigeonChannel,
                       lambda config, deps: PigeonNotifier(config), "Carrier pigeon")
    register(kind)
    yield kind
    del CHANNEL_TYPES["pigeon"]


def test_a_plugin_channel_loads_and_sends_like_a_built_in(pigeon: ChannelType) -> None:
    data, smap = loads("channels:\n  roof:\n    type: pigeon\n    loft: north\n", "c.yaml")
    channels = parse_channels(data, smap, {})
    notifier: Notifier = build_notifier(channels["roof"], NotifierDeps())
    result = notifier.send(sample_message(), "south")
    assert (result.ok, result.detail) == (True, "flown from north")


def test_registering_a_taken_name_needs_replace(pigeon: ChannelType) -> None:
    with pytest.raises(ValueError, match="already registered"):
        register(pigeon)
    register(pigeon, replace=True)


def test_unknown_type_error_lists_known_types() -> None:
    with pytest.raises(KeyError, match="known types: console, discord"):
        channel_type("smoke-signal")
