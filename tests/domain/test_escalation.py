"""Escalation planning: the P0 matrix, repeats, severity changes, escalate-now, targets."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from warroom.domain.escalation import (
    EscalationPolicy,
    ResolvedTarget,
    Step,
    Target,
    TargetKind,
    Team,
    escalate_now,
    next_pass_at,
    plan,
    replan_on_severity_change,
    resolve_targets,
    retrigger_at,
    skip_for_step,
)
from warroom.domain.schedules import Layer, Rotation, Schedule, ShiftLength, ShiftUnit

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
ON_CALL = Target(TargetKind.SCHEDULE, "sre-primary")
CHAT = Target(TargetKind.CHANNEL, "team-chat")
MANAGER = Target(TargetKind.USER, "mgr-maya", via="email")
DIRECTOR = Target(TargetKind.USER, "dir-dan", via="voice")
EXEC = Target(TargetKind.CHANNEL, "exec-briefing")


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


P0 = (Step(minutes(0), (ON_CALL,)), Step(minutes(5), (CHAT,)), Step(minutes(10), (MANAGER,)),
      Step(minutes(20), (DIRECTOR,)), Step(minutes(30), (EXEC,)))
P1 = (Step(minutes(0), (ON_CALL,)), Step(minutes(15), (CHAT,)), Step(minutes(30), (MANAGER,)))
DEFAULT = (Step(minutes(0), (ON_CALL,)), Step(minutes(30), (CHAT,)))
POLICY = EscalationPolicy("sre", DEFAULT, {"P0": P0, "P1": P1}, repeat=1,
                          repeat_after=minutes(15), retrigger_after=minutes(30))


def test_p0_matrix_pages_on_call_then_chat_manager_director_and_exec_briefing() -> None:
    steps = plan(POLICY, "P0", T0)
    assert [(s.index, s.due_at - T0, s.targets) for s in steps] == [
        (0, minutes(0), (ON_CALL,)), (1, minutes(5), (CHAT,)), (2, minutes(10), (MANAGER,)),
        (3, minutes(20), (DIRECTOR,)), (4, minutes(30), (EXEC,))]
    assert {s.key for s in steps} == {"0:0", "0:1", "0:2", "0:3", "0:4"}


def test_severity_without_its_own_matrix_uses_the_default_steps() -> None:
    assert [s.targets for s in plan(POLICY, "P3", T0)] == [(ON_CALL,), (CHAT,)]


def test_repeat_runs_another_pass_after_the_last_step_then_stops() -> None:
    first = plan(POLICY, "P1", T0)
    second_start = next_pass_at(POLICY, first)
    assert second_start == T0 + minutes(45)
    second = plan(POLICY, "P1", second_start, attempt=1)
    assert [s.due_at - T0 for s in second] == [minutes(45), minutes(60), minutes(75)]
    assert next_pass_at(POLICY, second) is None
    assert plan(POLICY, "P1", T0, attempt=2) == []


def test_upgrade_to_p0_fires_overdue_steps_now_and_keeps_later_offsets() -> None:
    old = plan(POLICY, "P1", T0)
    now = T0 + minutes(12)
    new = replan_on_severity_change(POLICY, old, {0}, "P0", now)
    assert [(s.index, s.due_at, s.severity) for s in new] == [
        (1, now, "P0"), (2, now, "P0"), (3, T0 + minutes(20), "P0"), (4, T0 + minutes(30), "P0")]


def test_downgrade_keeps_the_escalation_level_already_reached() -> None:
    old = plan(POLICY, "P0", T0)
    new = replan_on_severity_change(POLICY, old, {0, 1, 2}, "P1", T0 + minutes(11))
    assert new == []
    fewer = replan_on_severity_change(POLICY, old, {0}, "P1", T0 + minutes(11))
    assert [(s.index, s.due_at) for s in fewer] == [(1, T0 + minutes(15)),
                                                   (2, T0 + minutes(30))]


def test_escalate_now_makes_the_next_step_due_immediately() -> None:
    current = plan(POLICY, "P0", T0)
    now = T0 + minutes(2)
    after = escalate_now(POLICY, current, {0}, now)
    assert [(s.index, s.due_at) for s in after] == [
        (1, now), (2, T0 + minutes(10)), (3, T0 + minutes(20)), (4, T0 + minutes(30))]


def test_escalate_now_after_the_last_step_starts_the_next_pass() -> None:
    current = plan(POLICY, "P1", T0)
    now = T0 + minutes(31)
    after = escalate_now(POLICY, current, {0, 1, 2}, now)
    assert (after[0].index, after[0].attempt, after[0].due_at) == (0, 1, now)
    assert escalate_now(POLICY, after, {0, 1, 2}, now) == []


def test_ack_timeout_retriggers_paging_only_when_configured() -> None:
    assert retrigger_at(POLICY, T0 + minutes(3)) == T0 + minutes(33)
    assert retrigger_at(EscalationPolicy("quiet", DEFAULT), T0) is None


def test_steps_out_of_time_order_are_rejected_with_a_hint() -> None:
    with pytest.raises(ValueError, match="one step"):
        EscalationPolicy("bad", (Step(minutes(5), (CHAT,)), Step(minutes(5), (EXEC,))))


def primary() -> Schedule:
    rotation = Rotation(("alice", "bob"), ShiftLength(ShiftUnit.WEEKS), time(9),
                        "Europe/London", date(2026, 3, 2))
    return Schedule("sre-primary", (Layer("weekly", rotation),))


def test_schedule_targets_resolve_to_whoever_is_on_call_then() -> None:
    schedules = {"sre-primary": primary()}
    first = resolve_targets((ON_CALL, CHAT), schedules, {}, T0)
    assert [(r.kind, r.id) for r in first.resolved] == [("user", "alice"), ("channel", "team-chat")]
    week_two = resolve_targets((ON_CALL,), schedules, {}, T0 + timedelta(days=7))
    assert [(r.kind, r.id) for r in week_two.resolved] == [("user", "bob")]


def test_team_targets_expand_to_members_without_duplicates() -> None:
    teams = {"sre": Team("sre", ("alice", "carol"))}
    result = resolve_targets((ON_CALL, Target(TargetKind.TEAM, "sre")),
                             {"sre-primary": primary()}, teams, T0)
    assert [r.id for r in result.resolved] == ["alice", "carol"]


def test_via_is_carried_to_the_resolved_user() -> None:
    result = resolve_targets((DIRECTOR,), {}, {}, T0)
    assert result.resolved == (ResolvedTarget("user", "dir-dan", "voice", "user 'dir-dan'"),)


def test_empty_schedule_and_unreachable_user_are_skipped_with_reasons() -> None:
    before_start = T0 - timedelta(days=30)
    result = resolve_targets((ON_CALL, MANAGER), {"sre-primary": primary()}, {}, before_start,
                             users_with_contacts={"alice"})
    assert result.resolved == ()
    assert [s.reason for s in result.skipped] == [
        "schedule 'sre-primary' has nobody on call", "user 'mgr-maya' has no contact methods"]
    step = plan(POLICY, "P0", before_start)[0]
    skip = skip_for_step(step, result)
    assert skip is not None
    assert skip.as_event_data() == {
        "step": 0, "attempt": 0, "due_at": "2026-01-31T14:00:00.000000Z",
        "reasons": ["schedule 'sre-primary' has nobody on call",
                    "user 'mgr-maya' has no contact methods"]}


def test_a_step_that_reaches_someone_is_not_skipped() -> None:
    result = resolve_targets((Target(TargetKind.SCHEDULE, "missing"), CHAT), {}, {}, T0)
    assert [s.reason for s in result.skipped] == ["schedule 'missing' is not defined"]
    assert skip_for_step(plan(POLICY, "P0", T0)[1], result) is None
