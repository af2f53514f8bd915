"""Secrets (webhook URLs, tokens, passwords) never show in results, reprs or logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from warroom.clock import FakeClock
from warroom.notify.base import DeliveryResult
from warroom.notify.config import CHANNEL_CONFIG_ADAPTER
from warroom.notify.registry import NotifierDeps, build_notifier
from warroom.testing.messages import sample_message
from warroom.testing.receivers import HttpReceiver, ScriptedResponse, SmtpReceiver, free_port

SECRET = "T0PSECRET-c0ffee-9876"

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as server:
        yield server


def http_channels(base: str) -> list[dict[str, Any]]:
    """Every HTTP channel type, with the secret in the places users put secrets."""
    return [
        {"type": "slack", "url": f"{base}/services/{SECRET}"},
        {"type": "mattermost", "url": f"{base}/hooks/{SECRET}"},
        {"type": "teams", "url": f"{base}/webhookb2/{SECRET}"},
        {"type": "discord", "url": f"{base}/api/webhooks/1/{SECRET}"},
        {"type": "webhook", "url": f"{base}/hook?token={SECRET}", "secret": SECRET,
         "headers": {"Authorization": f"Bearer {SECRET}"}},
        {"type": "pagerduty", "routing_key": SECRET, "url": f"{base}/v2/enqueue"},
        {"type": "sms", "url": f"{base}/sms", "from_number": "+1", "username": "AC",
         "password": SECRET},
        {"type": "voice", "url": f"{base}/calls", "from_number": "+1", "username": "AC",
         "password": SECRET},
    ]


def exercise(settings: dict[str, Any]) -> list[DeliveryResult]:
    config = CHANNEL_CONFIG_ADAPTER.validate_python(settings, context={"env": {}})
    notifier = build_notifier(config, NotifierDeps(clock=FakeClock()))
    assert SECRET not in repr(config)
    assert SECRET not in repr(notifier)
    return [notifier.send(sample_message(), "+15550001111")]


@pytest.mark.parametrize("index", range(8))
def test_http_channels_keep_secrets_out_of_results_and_logs(
        receiver: HttpReceiver, caplog: pytest.LogCaptureFixture, index: int) -> None:
    settings = http_channels(receiver.url)[index]
    # A receiver that echoes what it was sent, as some error pages do.
    receiver.responder = lambda request: ScriptedResponse(
        400, f"bad request to {request.path}?{request.query} {request.body.decode()[:200]} "
             f"auth={request.header('Authorization')}")
    with caplog.at_level(logging.DEBUG):
        results = exercise(settings)
        receiver.responder = None
        receiver.respond(ScriptedResponse(500, "oops"), ScriptedResponse(200))
        results += exercise(settings) + exercise(settings)
        refused = dict(settings)
        for key in ("url",):
            if key in refused:
                refused[key] = refused[key].replace(receiver.url,
                                                    f"http://127.0.0.1:{free_port()}")
        results += exercise(refused)
    assert [r.ok for r in results] == [False, False, True, False]
    assert receiver.requests, "the channel must actually have talked to the receiver"
    for result in results:
        assert SECRET not in result.detail
        assert SECRET not in repr(result)
    assert "HTTP Request" in caplog.text  # httpx did log the requests...
    assert SECRET not in caplog.text       # ...but not the secret parts


def test_email_password_stays_out_of_results_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG), SmtpReceiver(auth=("warroom", "other")) as smtp:
        results = exercise({"type": "email", "host": "127.0.0.1", "port": smtp.port,
                            "from_address": "a@example.com", "username": "warroom",
                            "password": SECRET})
    assert results[0].status == "smtp-535"
    assert SECRET not in results[0].detail
    assert SECRET not in caplog.text
