"""Durations read from config and printed in reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.evidence.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [
    ("90s", 90), ("5m", 300), ("1h30m", 5400), ("90d", 7776000), ("2w", 1209600),
    ("120", 120), (" 1h 5m ", 3900),
])
def test_durations_are_read_with_units(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "m5", "1h30", "-5m", "5 fortnights"])
def test_unreadable_durations_say_how_to_write_one(text: str) -> None:
    with pytest.raises(DurationError, match=r"e\.g\. 30s, 5m|use ms, s, m, h, d or w"):
        parse_duration(text)


def test_unit_words_are_read_as_teams_write_them() -> None:
    assert parse_duration("5 minutes") == timedelta(minutes=5)
    assert parse_duration("1 hour 30 min") == timedelta(minutes=90)


@given(st.integers(min_value=0, max_value=86399))
def test_formatted_durations_under_a_day_read_back_exactly(seconds: int) -> None:
    text = format_duration(timedelta(seconds=seconds)).replace(" ", "")
    assert parse_duration(text) == timedelta(seconds=seconds)
