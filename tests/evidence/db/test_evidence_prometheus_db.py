"""/metrics exposition: open incidents by severity, SLA breaches, outbox depth and the
notification-latency histogram, computed from the database at scrape time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from warroom.api.app import create_app
from warroom.domain import incident as dom
from warroom.engine.worker import Worker
from warroom.evidence.prometheus_metrics import Incremental
from warroom.services.incidents import IncidentService
from warroom.testing.evidence_db import ResolvedP0
from warroom.testing.receivers import HttpReceiver


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_expose_incidents_breaches_outbox_and_delivery_latency(
        resolved_p0: ResolvedP0, receiver: HttpReceiver) -> None:
    runtime, clock, users = resolved_p0.runtime, resolved_p0.clock, resolved_p0.users
    commander, story = resolved_p0.commander, resolved_p0.story
    svc = IncidentService(runtime)
    svc.declare(commander, dom.Declare(title="Replication lag", severity="P1"))
    svc.declare(commander, dom.Declare(title="Drill", severity="P1", drill=True))
    with TestClient(create_app(runtime)) as client:
        before = _samples(client.get("/metrics").text)
        client.post(f"/api/v1/incidents/{story.human_id}/action-items",
                    json={"title": "Add a canary stage"},
                    headers=users.headers("commander"))
        queued = _samples(client.get("/metrics").text)
        assert queued[("warroom_outbox_depth", (("status", "pending"),))] >= 1
        clock.advance(timedelta(seconds=2))
        Worker(runtime).run_once()
        clock.advance(timedelta(minutes=16))
        resp = client.get("/metrics")
    assert resp.headers["content-type"].startswith("text/plain")
    after = _samples(resp.text)
    assert after[("warroom_open_incidents", (("severity", "P1"),))] == 1
    assert after[("warroom_open_incidents", (("severity", "P0"),))] == 0
    # The P1, unacknowledged for 16 minutes, is past its 15-minute ack SLA; the drill is not
    # counted.
    assert after[("warroom_sla_breaches_total", (("severity", "P1"), ("sla", "ack")))] == 1
    assert after[("warroom_sla_breaches_total", (("severity", "P0"), ("sla", "ack")))] == 0
    assert after[("warroom_outbox_depth", (("status", "pending"),))] == 0
    count = ("warroom_notification_delivery_seconds_count", ())
    delivered = after[count] - before.get(count, 0)
    assert delivered >= 1
    le1 = ("warroom_notification_delivery_seconds_bucket", (("le", "1.0"),))
    le2_5 = ("warroom_notification_delivery_seconds_bucket", (("le", "2.5"),))
    assert after[le2_5] - after[le1] >= 1  # the tracker row took exactly 2 s
    assert ("warroom_escalation_lateness_seconds_count", ()) in after


def test_metrics_need_no_token(client: TestClient) -> None:
    resp = client.get("/metrics")
    assert resp.status_code == 200
    assert "warroom_open_incidents" in resp.text


@given(st.lists(st.integers(0, 20), min_size=1, max_size=40), st.data())
def test_incremental_histogram_counts_each_row_once_across_overlapping_scrapes(
        finish_offsets: list[int], data: st.DataObject) -> None:
    base = datetime(2026, 1, 5, tzinfo=UTC)
    rows = sorted(((i, base + timedelta(seconds=s), float(s % 7))
                   for i, s in enumerate(finish_offsets)), key=lambda r: (r[1], r[0]))
    hist = Incremental((1.0, 5.0))
    shown = 0
    while shown < len(rows):
        # Each scrape sees the rows finished so far that are at or after the watermark,
        # exactly as the `end >= watermark` query returns them.
        shown = data.draw(st.integers(shown + 1, len(rows)))
        visible = [r for r in rows[:shown]
                   if hist.watermark is None or r[1] >= hist.watermark]
        hist.feed(visible)
    assert sum(hist.counts) == len(rows)
    assert hist.total == sum(r[2] for r in rows)
