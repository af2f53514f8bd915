"""Durations printed for people in reports ("1h 5m 3s"); parsing is warroom's one grammar."""

from __future__ import annotations

from datetime import timedelta

from warroom.domain.durations import DurationError, parse_duration

__all__ = ["DurationError", "format_duration", "parse_duration"]

def format_duration(delta: timedelta | float | None) -> str:
    """Short human form: "1h 5m 3s", "2d 4h", "0s"; "—" for None."""
    if delta is None:
        return "—"
    seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
    sign = "-" if seconds < 0 else ""
    remaining = round(abs(seconds))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return sign + (" ".join(parts[:3]) if parts else "0s")
