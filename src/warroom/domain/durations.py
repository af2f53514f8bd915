"""Human durations as teams write them: 30s, 5m, 1h30m, 2d, 1w, 500ms, "2 hours", or seconds.

The one parser every config section, runbook and CLI option uses, its canonical inverse
(`format_duration`, for config round-trips) and the one form printed for people
(`humanize_duration`: "2m 52s", "1h 25m")."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS: dict[str, float] = {
    "ms": 0.001,
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
_WHOLE = re.compile(r"^(?:\s*\d+(?:\.\d+)?\s*[a-z]+\s*)+$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
HINT = "write a number and a unit, e.g. 30s, 5m, 1h, 1h30m, 2d"
# Nothing warroom schedules is further away than this; longer values would overflow dates.
MAX_SECONDS = 100 * 366 * 86400


class DurationError(ValueError):
    """A duration warroom cannot read; the message says what a valid one looks like."""


def parse_duration(text: str | int | float | timedelta) -> timedelta:
    """Parse "90s", "5m", "1h30m", "1 hour", "2 days", "500ms" or a number of seconds."""
    if isinstance(text, timedelta):
        return text
    if isinstance(text, bool):
        raise DurationError(f"not a duration: {text!r}; {HINT}")
    if isinstance(text, int | float):
        if text < 0:
            raise DurationError(f"duration {text!r} is negative")
        return _bounded(float(text), text)
    value = str(text).strip().lower()
    if _NUMBER.match(value):
        return _bounded(float(value), text)
    if not value or not _WHOLE.match(value):
        raise DurationError(f"invalid duration {text!r}; {HINT}")
    total = 0.0
    for number, unit in _PART.findall(value):
        if unit not in _UNITS:
            raise DurationError(f"unknown unit {unit!r} in duration {text!r}; use ms, s, m, h, "
                                "d or w")
        total += float(number) * _UNITS[unit]
    return _bounded(total, text)


def _bounded(seconds: float, text: object) -> timedelta:
    if not seconds <= MAX_SECONDS:  # also refuses inf and nan
        raise DurationError(f"duration {text!r} is longer than the 100-year maximum")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """The canonical short form, the inverse of parse_duration: 5400s -> "1h30m"."""
    seconds = delta.total_seconds()
    if seconds < 0:
        raise DurationError("negative durations are not allowed")
    if seconds != int(seconds):
        return f"{round(seconds * 1000)}ms"
    rest = int(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts) or "0s"


def humanize_duration(delta: timedelta | float, units: int = 2) -> str:
    """How long, for people: the `units` largest whole units, rounded to the second —
    "2m 52s", "1h 25m", "2d 4h", "0s"; never milliseconds. Negative values get a "-"."""
    seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
    sign = "-" if seconds < 0 else ""
    remaining = round(abs(seconds))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return sign + (" ".join(parts[:units]) if parts else "0s")
