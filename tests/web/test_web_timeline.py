"""Timeline sentences and chart geometry the console renders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from warroom.domain.events import GENESIS_HASH, Event, seal
from warroom.web.charts import line_chart
from warroom.web.timeline import describe, timeline_rows

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _chain(*items: tuple[int, str, str, dict[str, Any]]) -> list[Event]:
    """(minute, actor, kind, data) -> sealed events."""
    events, prev = [], GENESIS_HASH
    for seq, (minute, actor, kind, data) in enumerate(items, start=1):
        event = seal("inc", seq, AT + timedelta(minutes=minute), actor, kind, data, prev)
        events.append(event)
        prev = event.hash
    return events


def test_runbook_steps_read_as_sentences_with_the_command_in_a_code_block() -> None:
    command = "kubectl -n web rollout restart deployment/frontend"
    [row] = timeline_rows(_chain((0, "rita", "runbook_step_finished", {
        "title": "Restart the frontend", "step_id": "restart", "outcome": "ok",
        "mode": "dry-run", "rendered": command})))
    assert row["text"] == "Step \u201cRestart the frontend\u201d succeeded (dry-run)"
    assert row["code"] == command  # whole, never cut mid-value


def test_notes_render_as_markdown_with_raw_html_as_text() -> None:
    [row] = timeline_rows(_chain((0, "rita", "note_added",
                                  {"text": "**bold** <script>x</script>"})))
    assert "<strong>bold</strong>" in row["html"] and "<script>" not in row["html"]


def test_alerts_attached_together_are_one_row_that_lists_them() -> None:
    alert = {"summary": "Frontend down"}
    rows = timeline_rows(_chain(
        (0, "integration:am", "declared", {"title": "t", "severity": "P1", "type": "x"}),
        *((1, "integration:am", "alert_attached", {"alert": {**alert, "summary": f"a{n}"}})
          for n in range(3)),
        (2, "integration:am", "alert_attached", {"alert": alert})))
    assert [r["text"] for r in rows] == ["Alert attached: Frontend down", "3 alerts attached",
                                         "Declared P1 x: t"]
    assert rows[1]["batch"] == [f"Alert attached: a{n}" for n in range(3)]


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
