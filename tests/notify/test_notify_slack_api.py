"""conversations.create against a local server that answers like Slack's Web API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from warroom.clock import FakeClock
from warroom.notify.slack_api import SlackApi, SlackApiError, channel_name
from warroom.testing.receivers import HttpReceiver, ReceivedRequest, ScriptedResponse

TOKEN = "xoxb-1234-5678-abcdefabcdef"


class FakeSlack:
    """Answers conversations.create like Slack: names already in `taken` get name_taken."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken

    def __call__(self, request: ReceivedRequest) -> ScriptedResponse:
        if request.header("Authorization") != f"Bearer {TOKEN}":
            return ScriptedResponse(200, {"ok": False, "error": "invalid_auth"})
        name = request.json()["name"]
        if name in self.taken:
            return ScriptedResponse(200, {"ok": False, "error": "name_taken"})
        self.taken.add(name)
        return ScriptedResponse(200, {"ok": True, "channel": {"id": "C123", "name": name}})


@pytest.fixture
def slack() -> Iterator[HttpReceiver]:
    with HttpReceiver(responder=FakeSlack(set())) as server:
        yield server


def api(server: HttpReceiver, token: str = TOKEN) -> SlackApi:
    return SlackApi(SecretStr(token), clock=FakeClock(), base_url=server.url_for("/api"))


def test_creates_a_channel_named_after_the_incident(slack: HttpReceiver) -> None:
    channel = api(slack).create_channel("INC-2026-0042")
    assert (channel.id, channel.name) == ("C123", "inc-2026-0042")
    [request] = slack.requests
    assert request.path == "/api/conversations.create"
    assert request.json() == {"name": "inc-2026-0042", "is_private": False}


def test_name_taken_is_handled_by_suffixing(slack: HttpReceiver) -> None:
    slack.responder = FakeSlack({"inc-2026-0042", "inc-2026-0042-2"})
    channel = api(slack).create_channel("INC-2026-0042")
    assert channel.name == "inc-2026-0042-3"
    assert [r.json()["name"] for r in slack.requests] == [
        "inc-2026-0042", "inc-2026-0042-2", "inc-2026-0042-3"]


def test_all_names_taken_is_a_clear_error(slack: HttpReceiver) -> None:
    slack.responder = lambda request: ScriptedResponse(200, {"ok": False, "error": "name_taken"})
    with pytest.raises(SlackApiError, match="archive old incident channels") as info:
        api(slack).create_channel("inc-1", max_suffix=3)
    assert len(slack.requests) == 3 and not info.value.retryable


def test_bad_token_says_what_to_fix_and_hides_the_token(slack: HttpReceiver) -> None:
    with pytest.raises(SlackApiError) as info:
        api(slack, token="xoxb-wrong-token-000").create_channel("inc-1")
    assert info.value.error == "invalid_auth" and not info.value.retryable
    assert "bot_token" in str(info.value)
    assert "xoxb-wrong-token-000" not in str(info.value)
    assert "xoxb" not in repr(api(slack))


def test_rate_limit_is_retryable_with_retry_after(slack: HttpReceiver) -> None:
    slack.respond(ScriptedResponse(429, {"ok": False, "error": "ratelimited"},
                                   headers={"Retry-After": "30"}))
    with pytest.raises(SlackApiError) as info:
        api(slack).create_channel("inc-1")
    assert (info.value.retryable, info.value.retry_after) == (True, 30.0)


def test_channel_name_rules() -> None:
    assert channel_name("INC-2026-0042: DB Down!") == "inc-2026-0042-db-down"
    assert channel_name("  ") == "incident"
    assert channel_name("x" * 100, "-2") == "x" * 78 + "-2"


@given(text=st.text(), suffix=st.sampled_from(["", "-2", "-20"]))
def test_channel_names_are_always_valid(text: str, suffix: str) -> None:
    name = channel_name(text, suffix)
    assert 1 <= len(name) <= 80
    assert all(ch in "abcdefghijklmnopqrstuvwxyz0123456789-_" for ch in name)
    assert name.endswith(suffix)
