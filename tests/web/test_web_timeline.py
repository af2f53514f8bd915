"""Timeline sentences and chart geometry the console renders."""

from __future__ import annotations

import pytest

from warroom.web.charts import line_chart
from warroom.web.timeline import describe


def test_core_events_read_as_sentences() -> None:
    assert describe("severity_changed", {"from": "P2", "to": "P0", "reason": "spreading"}) \
        == "Severity P2 → P0 — spreading"
    assert describe("role_assigned", {"role": "tech_lead", "user": "bob"}) == \
        "bob is now tech lead"
    assert describe("note_added", {"text": "<b>raw</b>"}) == "<b>raw</b>"  # escaped at render


def test_unknown_events_show_their_scalar_fields_not_nested_data() -> None:
    text = describe("war_room_opened", {"bridge_url": "https://meet/x", "chat": None,
                                        "nested": {"a": 1}})
    assert text == "War room opened (bridge_url: https://meet/x)"


def test_chart_scales_to_the_largest_value_and_skips_gaps() -> None:
    chart = line_chart([60.0, None, 120.0], ["01", "02", "03"], width=120, height=60, pad=10)
    assert [(p.label, p.x, p.y) for p in chart.points] == [("01", 10, 30), ("03", 110, 10)]
    assert chart.polyline == "10.0,30.0 110.0,10.0"
    assert [x for x, _ in chart.labels] == [10, 60, 110]
    with pytest.raises(ValueError):
        line_chart([1.0], ["a", "b"])
