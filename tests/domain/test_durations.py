"""Durations for people: one humanizing function, two units by default, never milliseconds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from warroom.domain.durations import format_duration, humanize_duration
from warroom.evidence.durations import format_duration as report_duration


@pytest.mark.parametrize(("delta", "shown"), [
    (timedelta(milliseconds=13706), "14s"),
    (timedelta(minutes=2, seconds=52, milliseconds=300), "2m 52s"),
    (timedelta(hours=1, minutes=25, seconds=40), "1h 25m"),
    (timedelta(days=2, hours=4, minutes=1), "2d 4h"),
    (timedelta(milliseconds=400), "0s"),
    (timedelta(seconds=-90), "-1m 30s"),
    (3600.0, "1h"),
])
def test_humanize_duration_reads_as_people_write(delta: timedelta | float, shown: str) -> None:
    assert humanize_duration(delta) == shown


def test_reports_use_the_same_function_with_three_units() -> None:
    delta = timedelta(hours=1, minutes=5, seconds=3)
    assert report_duration(delta) == humanize_duration(delta, units=3) == "1h 5m 3s"
    assert report_duration(None) == "—"


def test_the_config_form_stays_exact_for_round_trips() -> None:
    # format_duration is parse_duration's inverse for config files, not a display form.
    assert format_duration(timedelta(milliseconds=13706)) == "13706ms"
    assert format_duration(timedelta(hours=1, minutes=30)) == "1h30m"
