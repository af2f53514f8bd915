"""Loading channels files: ${ENV} references, masked secrets and errors with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from warroom.notify.channels import ChannelConfigError, load_channels, parse_channels
from warroom.notify.config import EmailChannel, SlackChannel, WebhookChannel
from warroom.notify.secrets import MissingEnvironmentVariable, expand, redact
from warroom.yamlfile import loads

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "org" / "channels.yaml"


def parse(text: str, env: dict[str, str] | None = None) -> dict[str, object]:
    data, smap = loads(text, "channels.yaml")
    return dict(parse_channels(data, smap, env or {}))


def test_example_channels_load_without_any_secrets_set() -> None:
    channels = load_channels(EXAMPLE, env={})
    assert sorted(channels) == ["console", "exec-briefing", "ops-email", "sms-gateway",
                                "status-webhook", "team-chat"]
    assert [c.type for c in channels.values()] == [  # type: ignore[attr-defined]
        "slack", "slack", "email", "webhook", "sms", "console"]
    email = channels["ops-email"]
    assert isinstance(email, EmailChannel)
    assert (email.host, email.port) == ("127.0.0.1", 2525)


def test_environment_overrides_the_defaults() -> None:
    channels = load_channels(EXAMPLE, env={"SLACK_TEAM_CHAT_WEBHOOK": "https://hooks/x",
                                           "SMTP_PASSWORD": "prod-pass"})
    team = channels["team-chat"]
    assert isinstance(team, SlackChannel)
    assert team.url.get_secret_value() == "https://hooks/x"
    email = channels["ops-email"]
    assert isinstance(email, EmailChannel) and email.password is not None
    assert email.password.get_secret_value() == "prod-pass"


def test_secrets_are_masked_in_repr_and_dumps() -> None:
    channels = load_channels(EXAMPLE, env={"STATUS_WEBHOOK_SECRET": "s3cret-signing-key"})
    hook = channels["status-webhook"]
    assert isinstance(hook, WebhookChannel)
    assert "s3cret-signing-key" not in repr(hook)
    assert "s3cret-signing-key" not in str(hook.model_dump())
    assert "s3cret-signing-key" not in hook.model_dump_json()


def test_missing_variable_without_default_names_file_line_and_variable() -> None:
    text = "channels:\n  chat:\n    type: slack\n    url: ${CHAT_HOOK}\n"
    with pytest.raises(ChannelConfigError) as info:
        parse(text)
    [problem] = info.value.problems
    assert problem.startswith("channels.yaml:2: channels.chat:")
    assert "url: ${CHAT_HOOK} is not set in the environment; export CHAT_HOOK" in problem


def test_invalid_field_names_file_and_line() -> None:
    text = ("channels:\n  mail:\n    type: email\n    from_address: a@example.com\n"
            "    port: 99999\n    security: ssl\n")
    with pytest.raises(ChannelConfigError) as info:
        parse(text)
    problems = info.value.problems
    assert any(p.startswith("channels.yaml:5: channels.mail.port:") for p in problems)
    assert any(p.startswith("channels.yaml:6: channels.mail.security:") for p in problems)


def test_unknown_type_lists_the_known_ones() -> None:
    with pytest.raises(ChannelConfigError) as info:
        parse("channels:\n  x:\n    type: pigeon\n")
    [problem] = info.value.problems
    assert problem.startswith("channels.yaml:3:")
    assert "'pigeon'" in problem and "slack" in problem and "webhook" in problem


def test_bad_channel_name_and_missing_top_level() -> None:
    with pytest.raises(ChannelConfigError, match="must be lowercase"):
        parse("channels:\n  Team Chat:\n    type: console\n")
    with pytest.raises(ChannelConfigError, match="top-level `channels:`"):
        parse("team-chat:\n  type: console\n")


def test_email_auth_needs_both_username_and_password() -> None:
    with pytest.raises(ChannelConfigError, match="both username and password"):
        parse("channels:\n  m:\n    type: email\n    from_address: a@b.c\n    username: u\n")


def test_expand_forms() -> None:
    env = {"A": "1", "EMPTY": ""}
    assert expand("x${A}y", env) == "x1y"
    assert expand("${B:-fallback}", env) == "fallback"
    assert expand("${EMPTY:-fallback}", env) == "fallback"
    assert expand("$${A} stays", env) == "${A} stays"
    with pytest.raises(MissingEnvironmentVariable):
        expand("${B}", env)


def test_redact_masks_longest_secrets_first() -> None:
    text = "token abcd1234 and abcd1234xyz and ab"
    assert redact(text, [SecretStr("abcd1234"), "abcd1234xyz", "ab", None]) == \
        "token *** and *** and ab"
