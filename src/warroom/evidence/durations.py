"""Durations printed for people in reports ("1h 5m 3s"); parsing is warroom's one grammar."""

from __future__ import annotations

from datetime import timedelta

from warroom.domain.durations import DurationError, humanize_duration, parse_duration

__all__ = ["DurationError", "format_duration", "parse_duration"]


def format_duration(delta: timedelta | float | None) -> str:
    """Short human form with up to three units: "1h 5m 3s", "2d 4h", "0s"; "—" for None."""
    return "—" if delta is None else humanize_duration(delta, units=3)
