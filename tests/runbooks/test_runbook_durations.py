"""Duration strings in runbook files."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.runbooks.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(("text", "expected"), [
    ("30s", timedelta(seconds=30)), ("5m", timedelta(minutes=5)), ("1h", timedelta(hours=1)),
    ("1h30m", timedelta(minutes=90)), ("2 hours", timedelta(hours=2)),
    ("1 hour", timedelta(hours=1)), ("2d", timedelta(days=2)), (90, timedelta(seconds=90)),
    ("90", timedelta(seconds=90)),
])
def test_durations_parse(text: str | int, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "five minutes", "5 fortnights", "-5m", "5m 3"])
def test_bad_durations_say_how_to_write_one(text: str) -> None:
    with pytest.raises(DurationError, match=r"unit|duration"):
        parse_duration(text)


@given(st.integers(min_value=0, max_value=10**8))
def test_format_then_parse_round_trips(seconds: int) -> None:
    delta = timedelta(seconds=seconds)
    assert parse_duration(format_duration(delta)) == delta
