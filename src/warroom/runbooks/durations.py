"""Runbook durations use warroom's one duration grammar (warroom.domain.durations)."""

from warroom.domain.durations import DurationError, format_duration, parse_duration

__all__ = ["DurationError", "format_duration", "parse_duration"]
