"""Properties of the engine under any mix of waiting, escalate-now and severity changes:
within a pass no step fires twice and escalation never goes backwards; after an ack nothing
more is escalated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warroom.clock import FakeClock
from warroom.testing.paging import PagingRig, paging_rig

P1_MATRIX = [{"at": "immediately", "targets": [{"schedule": "primary"}]},
             {"at": "+15 min", "targets": [{"schedule": "secondary"}]}]
POLICY = {"escalation_policies": [{"name": "sre", "repeat": 1, "repeat_after": "5m", "steps": [
    {"at": "immediately", "targets": [{"schedule": "primary"}]},
    {"at": "+5 min", "targets": [{"schedule": "secondary"}]},
    {"at": "+10 min", "targets": [{"channel": "team-chat"}]}], "by_severity": {
    "P1": P1_MATRIX}}]}

Action = tuple[str, int]
actions = st.lists(st.one_of(
    st.tuples(st.just("wait"), st.integers(1, 12)),
    st.tuples(st.just("escalate"), st.just(0)),
    st.tuples(st.just("severity"), st.sampled_from([0, 1])),
    st.tuples(st.just("ack"), st.just(0))), min_size=1, max_size=7)


@pytest.fixture
def rig(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[PagingRig]:
    with paging_rig(db_url, tmp_path, clock, extra=POLICY) as found:
        yield found


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=actions)
def test_steps_never_repeat_or_go_back_and_ack_ends_escalation(
        rig: PagingRig, steps: list[Action]) -> None:
    ref = rig.declare("P1")
    rig.run()
    acked_after: int | None = None
    severity = "P1"
    for kind, arg in steps:
        if kind == "wait":
            rig.clock.advance(timedelta(minutes=arg))
        elif kind == "escalate" and acked_after is None:
            assert rig.post(f"/api/v1/incidents/{ref}/escalate").status_code == 200
        elif kind == "severity":
            wanted = f"P{arg}"
            if wanted != severity:
                assert rig.post(f"/api/v1/incidents/{ref}/severity",
                                {"severity": wanted}).status_code == 200
                severity = wanted
        elif kind == "ack" and acked_after is None:
            assert rig.post(f"/api/v1/incidents/{ref}/acknowledge").status_code == 200
            acked_after = len(rig.events(ref, "escalated"))
        rig.run()
    escalated = [(e["data"]["attempt"], e["data"]["step"]) for e in rig.events(ref, "escalated")]
    for attempt in {a for a, _ in escalated}:
        indexes = [s for a, s in escalated if a == attempt]
        assert indexes == sorted(set(indexes)), escalated
    assert [a for a, _ in escalated] == sorted(a for a, _ in escalated)
    if acked_after is not None:
        assert len(escalated) == acked_after
