"""Silences and maintenance windows apply in [starts, ends) and no longer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from warroom.domain.alerts import parse_matchers
from warroom.routing.silences import MaintenanceWindow, Silence, SilenceSpec, is_silenced

START = datetime(2026, 1, 5, 9, tzinfo=UTC)
END = START + timedelta(hours=2)
LABELS = {"alertname": "DiskFull", "host": "db-1"}


def _silence(**overrides: object) -> Silence:
    fields: dict[str, object] = dict(
        id="s1", matchers=tuple(parse_matchers('alertname="DiskFull", host=~"db-.*"')),
        starts_at=START, ends_at=END, created_by="alice", comment="resizing disks")
    fields.update(overrides)
    return Silence(**fields)  # type: ignore[arg-type]


@given(st.integers(min_value=-10_000, max_value=20_000))
def test_silence_is_active_iff_starts_le_now_lt_ends(offset: int) -> None:
    now = START + timedelta(seconds=offset)
    match = is_silenced(LABELS, None, now, [_silence()])
    assert (match is not None) == (START <= now < END)


def test_expired_silence_stops_exactly_at_its_end() -> None:
    just_before = END - timedelta(microseconds=1)
    assert is_silenced(LABELS, None, just_before, [_silence()]) is not None
    assert is_silenced(LABELS, None, END, [_silence()]) is None


def test_silence_needs_every_matcher() -> None:
    assert is_silenced({"alertname": "DiskFull", "host": "web-1"}, None, START,
                       [_silence()]) is None


def test_longest_silence_is_reported() -> None:
    later = _silence(id="s2", ends_at=END + timedelta(hours=1))
    match = is_silenced(LABELS, None, START, [_silence(), later])
    assert match is not None and match.id == "s2" and match.kind == "silence"


def test_maintenance_window_silences_its_service_only() -> None:
    window = MaintenanceWindow("w1", "billing", START, END, "bob", "db upgrade")
    match = is_silenced({"alertname": "X"}, "billing", START, [], [window])
    assert match is not None and (match.kind, match.comment) == ("maintenance", "db upgrade")
    assert is_silenced({"alertname": "X"}, "checkout", START, [], [window]) is None
    assert is_silenced({"alertname": "X"}, "billing", END, [], [window]) is None


def test_silence_spec_validates_input() -> None:
    spec = SilenceSpec.model_validate({
        "matchers": ['alertname="DiskFull"'], "starts_at": "2026-01-05T09:00:00Z",
        "ends_at": "2026-01-05T11:00:00Z", "created_by": "alice", "comment": "disks"})
    silence = spec.to_silence("s9")
    assert silence.active_at(START) and not silence.active_at(END)
    with pytest.raises(ValidationError, match="ends_at must be after starts_at"):
        SilenceSpec.model_validate({
            "matchers": ['alertname="DiskFull"'], "starts_at": "2026-01-05T09:00:00Z",
            "ends_at": "2026-01-05T09:00:00Z", "created_by": "alice", "comment": "disks"})
    with pytest.raises(ValidationError, match="matchers"):
        SilenceSpec.model_validate({
            "matchers": [], "starts_at": "2026-01-05T09:00:00Z",
            "ends_at": "2026-01-05T10:00:00Z", "created_by": "alice", "comment": "x"})
