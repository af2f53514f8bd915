"""The shared field readers: fast Signal construction and timestamp parsing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from warroom.intake.errors import IntakeError
from warroom.intake.fields import instant, make_signal
from warroom.intake.signal import Signal


def test_make_signal_equals_the_normal_constructor() -> None:
    fields = dict(source="prometheus", integration="p", dedup_key="k", status="firing",
                  summary="s", severity_hint="warning", labels={"a": "b"},
                  annotations={"c": "d"}, starts_at=datetime(2026, 1, 5, tzinfo=UTC),
                  ends_at=None, links=[{"href": "h", "text": "t"}], raw={"x": 1})
    fast = make_signal(**fields)  # type: ignore[arg-type]
    normal = Signal(**fields)  # type: ignore[arg-type]
    assert fast == normal
    assert repr(fast) == repr(normal)
    with pytest.raises(AttributeError):
        fast.summary = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-01-05T09:00:00Z", datetime(2026, 1, 5, 9, tzinfo=UTC)),
    ("2026-01-05T09:00:00.123456789Z", datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=UTC)),
    ("2026-01-05T10:00:00+01:00", datetime(2026, 1, 5, 9, tzinfo=UTC)),
    ("2015-07-17T08:42:58.315+0000", datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)),
    ("0001-01-01T00:00:00Z", None),
    ("", None),
    (None, None),
])
def test_instant_reads_rfc3339_and_go_zero_time(text: str | None,
                                                expected: datetime | None) -> None:
    assert instant(text, "startsAt") == expected


def test_instant_rejects_non_timestamps_with_the_field_name() -> None:
    with pytest.raises(IntakeError, match=r"^startsAt: must be an RFC 3339 timestamp"):
        instant("next tuesday", "startsAt")
