"""The `Duration` type for Pydantic config models, on warroom's one duration grammar."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from warroom.domain.durations import format_duration, parse_duration

__all__ = ["Duration", "format_duration", "parse_duration"]

def _coerce(value: Any) -> Any:
    if isinstance(value, str) and not value.startswith("P"):
        return parse_duration(value)
    return value


Duration = Annotated[
    timedelta,
    BeforeValidator(_coerce),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^(\d+(\.\d+)?(ms|s|m|h|d|w))+$",
                    "examples": ["30s", "5m", "1h30m"]}),
]
