"""Field readers shared by the intake formats: cheap checks that name the exact bad field."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from warroom.intake.errors import IntakeError
from warroom.intake.signal import Signal, SignalStatus

# Go's zero time.Time, which Alertmanager sends for "no end yet".
_GO_ZERO_YEAR = 1


def obj(value: Any, path: str) -> dict[str, Any]:
    if type(value) is not dict:
        raise IntakeError(path, f"must be an object, got {kind(value)}")
    return value


def opt_obj(value: Any, path: str) -> dict[str, Any]:
    if value is None:
        return {}
    return obj(value, path)


def string_map(value: Any, path: str) -> dict[str, str]:
    """An object whose values are all strings (labels, annotations); None reads as empty."""
    if value is None:
        return {}
    if type(value) is not dict:
        raise IntakeError(path, f"must be an object of strings, got {kind(value)}")
    for key, item in value.items():
        if type(item) is not str:
            raise IntakeError(f"{path}.{key}", f"must be a string, got {kind(item)}")
    return value


def number_map(value: Any, path: str) -> dict[str, float | int | None]:
    """An object of numbers (Grafana's `values`); null entries mean "no data"."""
    if value is None:
        return {}
    if type(value) is not dict:
        raise IntakeError(path, f"must be an object of numbers, got {kind(value)}")
    for key, item in value.items():
        if item is not None and (type(item) not in (int, float)):
            raise IntakeError(f"{path}.{key}", f"must be a number, got {kind(item)}")
    return value


def opt_str(value: Any, path: str) -> str | None:
    if value is None or type(value) is str:
        return value
    raise IntakeError(path, f"must be a string, got {kind(value)}")


def req_str(value: Any, path: str) -> str:
    if type(value) is not str or not value.strip():
        raise IntakeError(path, "is required and must be a non-empty string"
                          if value is None or type(value) is str
                          else f"must be a string, got {kind(value)}")
    return value


def instant(value: Any, path: str) -> datetime | None:
    """An RFC 3339 timestamp as aware UTC; absent, empty or Go's zero time read as None."""
    if value is None or value == "":
        return None
    if type(value) is not str:
        raise IntakeError(path, f"must be an RFC 3339 timestamp string, got {kind(value)}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise IntakeError(
            path, f"must be an RFC 3339 timestamp like 2026-01-05T09:00:00Z, got {value!r}"
        ) from None
    if parsed.year == _GO_ZERO_YEAR:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def kind(value: Any) -> str:
    """JSON type name of a decoded value, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def link(href: str, text: str) -> dict[str, str]:
    return {"href": href, "text": text}


_SIGNAL_FIELDS = ("source", "integration", "dedup_key", "status", "summary", "severity_hint",
                  "labels", "annotations", "starts_at", "ends_at", "links", "raw")
# The frozen dataclass __init__ costs ~3 µs (one object.__setattr__ per field), a third of the
# per-alert budget on the batch hot path. Filling __dict__ directly gives an equal Signal;
# tests/intake/test_intake_fields.py checks that, and the fallback keeps this correct if
# Signal ever gains fields or __slots__.
_FAST_SIGNAL = (tuple(f.name for f in dataclasses.fields(Signal)) == _SIGNAL_FIELDS
                and not hasattr(Signal, "__slots__"))


_new = object.__new__


def make_signal(source: str, integration: str, dedup_key: str, status: SignalStatus,
                summary: str, severity_hint: str | None, labels: dict[str, str],
                annotations: dict[str, str], starts_at: datetime | None,
                ends_at: datetime | None, links: list[dict[str, str]],
                raw: dict[str, Any]) -> Signal:
    """Signal(...) for the intake hot path; every field must be given."""
    if not _FAST_SIGNAL:
        return Signal(source, integration, dedup_key, status, summary, severity_hint, labels,
                      annotations, starts_at, ends_at, links, raw)
    signal = _new(Signal)
    signal.__dict__.update(
        source=source, integration=integration, dedup_key=dedup_key, status=status,
        summary=summary, severity_hint=severity_hint, labels=labels, annotations=annotations,
        starts_at=starts_at, ends_at=ends_at, links=links, raw=raw)
    return signal
