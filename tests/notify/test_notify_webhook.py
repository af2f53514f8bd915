"""Generic signed webhooks: what a receiver gets, and how it verifies the signature."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.clock import FakeClock
from warroom.notify.base import Notifier
from warroom.notify.config import CHANNEL_CONFIG_ADAPTER
from warroom.notify.registry import NotifierDeps, build_notifier
from warroom.notify.webhook import sign, verify_signature
from warroom.testing.messages import sample_message
from warroom.testing.receivers import HttpReceiver

SECRET = "whsec-test-0123456789"


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def webhook(receiver: HttpReceiver, clock: FakeClock, **settings: object) -> Notifier:
    config = CHANNEL_CONFIG_ADAPTER.validate_python(
        {"type": "webhook", "url": receiver.url_for("/warroom"), "secret": SECRET, **settings},
        context={"env": {}})
    return build_notifier(config, NotifierDeps(clock=clock))


def test_receiver_gets_signed_json_with_idempotency_key(receiver: HttpReceiver,
                                                        clock: FakeClock) -> None:
    assert webhook(receiver, clock).send(sample_message()).ok
    [request] = receiver.requests
    assert request.header("Content-Type") == "application/json"
    assert request.header("Idempotency-Key") == "inc-0042:page:1"
    assert request.header("X-Warroom-Event") == "page"
    timestamp = request.header("X-Warroom-Timestamp")
    assert timestamp == str(int(clock.now().timestamp()))
    signature = request.header("X-Warroom-Signature")
    assert signature is not None and timestamp is not None
    # Recompute independently of warroom's helper: HMAC-SHA256 over "timestamp.body".
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + request.body,
                        hashlib.sha256).hexdigest()
    assert signature == f"v1={expected}"
    assert verify_signature(SECRET, timestamp, request.body, signature, clock.now())
    body = request.json()
    assert body["incident"] == {"id": "01JH0000000000000000000042", "human_id": "INC-2026-0042"}
    assert body["kind"] == "page" and body["severity"] == "P0"
    assert body["links"][1] == {"label": "Bridge", "url": "https://meet.example.com/inc-2026-0042"}
    assert body["sent_at"] == "2026-01-05T09:00:00.000000Z"


def test_tampered_body_or_wrong_secret_fails_verification(receiver: HttpReceiver,
                                                          clock: FakeClock) -> None:
    webhook(receiver, clock).send(sample_message())
    request = receiver.requests[0]
    timestamp = request.header("X-Warroom-Timestamp") or ""
    signature = request.header("X-Warroom-Signature") or ""
    assert not verify_signature(SECRET, timestamp, request.body + b" ", signature, clock.now())
    assert not verify_signature("other-secret", timestamp, request.body, signature, clock.now())
    assert not verify_signature(SECRET, str(int(timestamp) + 1), request.body, signature,
                                clock.now())


def test_stale_timestamp_fails_verification(clock: FakeClock) -> None:
    body = b'{"a":1}'
    timestamp = str(int(clock.now().timestamp()))
    header = sign(SECRET, timestamp, body)
    assert verify_signature(SECRET, timestamp, body, header, clock.now() + timedelta(minutes=4))
    assert not verify_signature(SECRET, timestamp, body, header,
                                clock.now() + timedelta(minutes=6))
    assert not verify_signature(SECRET, "not-a-number", body, header, clock.now())


def test_any_of_several_signatures_may_match(clock: FakeClock) -> None:
    body = b"{}"
    timestamp = str(int(clock.now().timestamp()))
    header = f"{sign('old-secret', timestamp, body)}, {sign(SECRET, timestamp, body)}"
    assert verify_signature(SECRET, timestamp, body, header, clock.now())


def test_unsigned_webhook_has_no_signature_header(receiver: HttpReceiver,
                                                  clock: FakeClock) -> None:
    webhook(receiver, clock, secret=None, headers={"Authorization": "Bearer abc123"}).send(
        sample_message())
    request = receiver.requests[0]
    assert request.header("X-Warroom-Signature") is None
    assert request.header("Authorization") == "Bearer abc123"


@given(secret=st.text(min_size=1), body=st.binary(), stamp=st.integers(10**9, 2**32),
       skew=st.integers(-300, 300))
def test_sign_then_verify_round_trips(secret: str, body: bytes, stamp: int, skew: int) -> None:
    now = datetime.fromtimestamp(stamp + skew, UTC)
    header = sign(secret, str(stamp), body)
    assert verify_signature(secret, str(stamp), body, header, now, tolerance=300)
    assert not verify_signature(secret, str(stamp), body + b"x", header, now, tolerance=300)
