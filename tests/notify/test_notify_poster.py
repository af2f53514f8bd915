"""HTTP outcome mapping against a real local receiver: ok, 5xx, 4xx, 429, slow, refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.utils import format_datetime

import pytest

from warroom.clock import FakeClock
from warroom.notify.poster import HttpPoster, origin, parse_retry_after
from warroom.testing.receivers import HttpReceiver, ScriptedResponse, free_port


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def poster(clock: FakeClock, timeout: float = 5.0) -> HttpPoster:
    return HttpPoster(clock=clock, timeout=timeout)


def test_2xx_is_delivered(receiver: HttpReceiver, clock: FakeClock) -> None:
    receiver.respond(ScriptedResponse(204, b""))
    result = poster(clock).post(receiver.url_for("/hook"), json={"a": 1})
    assert (result.ok, result.retryable, result.status) == (True, False, "204")
    [request] = receiver.requests
    assert request.json() == {"a": 1}


def test_5xx_is_retryable(receiver: HttpReceiver, clock: FakeClock) -> None:
    receiver.respond(ScriptedResponse(503, "maintenance"))
    result = poster(clock).post(receiver.url_for("/hook"), json={})
    assert not result.ok and result.retryable
    assert result.status == "503"
    assert "maintenance" in result.detail


@pytest.mark.parametrize("code", [400, 401, 403, 404, 410, 422])
def test_other_4xx_is_final(receiver: HttpReceiver, clock: FakeClock, code: int) -> None:
    receiver.respond(ScriptedResponse(code, "no_service"))
    result = poster(clock).post(receiver.url_for("/hook"), json={})
    assert (result.ok, result.retryable, result.status) == (False, False, str(code))


def test_429_honours_retry_after_seconds(receiver: HttpReceiver, clock: FakeClock) -> None:
    receiver.respond(ScriptedResponse(429, "slow down", headers={"Retry-After": "17"}))
    result = poster(clock).post(receiver.url_for("/hook"), json={})
    assert (result.ok, result.retryable, result.retry_after) == (False, True, 17.0)


def test_429_honours_retry_after_http_date(receiver: HttpReceiver, clock: FakeClock) -> None:
    when = clock.now() + timedelta(seconds=120)
    receiver.respond(ScriptedResponse(429, headers={"Retry-After": format_datetime(when,
                                                                                   usegmt=True)}))
    result = poster(clock).post(receiver.url_for("/hook"), json={})
    assert result.retryable
    assert result.retry_after == pytest.approx(120.0)


def test_429_without_header_is_retryable_with_no_hint(receiver: HttpReceiver,
                                                       clock: FakeClock) -> None:
    receiver.respond(ScriptedResponse(429))
    result = poster(clock).post(receiver.url_for("/hook"), json={})
    assert result.retryable and result.retry_after is None


def test_slow_receiver_times_out_as_retryable(receiver: HttpReceiver, clock: FakeClock) -> None:
    receiver.respond(ScriptedResponse(200, delay=10.0))
    result = poster(clock, timeout=0.3).post(receiver.url_for("/hook"), json={})
    assert (result.ok, result.retryable, result.status) == (False, True, "timeout")


def test_refused_connection_is_retryable(clock: FakeClock) -> None:
    result = poster(clock).post(f"http://127.0.0.1:{free_port()}/hook", json={})
    assert (result.ok, result.retryable, result.status) == (False, True, "connection-error")


def test_bad_url_is_final(clock: FakeClock) -> None:
    result = poster(clock).post("ftp://example.invalid/hook", json={})
    assert (result.ok, result.retryable, result.status) == (False, False, "bad-url")


def test_retry_after_parsing() -> None:
    now = FakeClock().now()
    assert parse_retry_after("5", now) == 5.0
    assert parse_retry_after("0.5", now) == 0.5
    assert parse_retry_after("-3", now) == 0.0
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("soon", now) is None
    past = format_datetime(now - timedelta(minutes=1), usegmt=True)
    assert parse_retry_after(past, now) == 0.0


def test_origin_hides_path_and_query() -> None:
    assert origin("https://hooks.slack.com/services/T0/B0/secret?x=1") == \
        "https://hooks.slack.com"
    assert origin("http://127.0.0.1:8080/a/b") == "http://127.0.0.1:8080"
