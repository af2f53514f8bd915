"""Escalation policies as pure planning: which step pages whom, and when, for a given severity.

Step times are offsets from the start of a pass (`at: +5m` means five minutes after the incident
was declared), which is how the teams write their matrices. The engine stores the plan as timers.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, Literal

from warroom.clock import isoformat, utc
from warroom.domain.schedules import Schedule, on_call_at

__all__ = [
    "EscalationPolicy",
    "PlannedStep",
    "ResolvedTarget",
    "SkippedTarget",
    "Step",
    "StepSkip",
    "Target",
    "TargetKind",
    "TargetResolution",
    "Team",
    "escalate_now",
    "next_pass_at",
    "plan",
    "replan_on_severity_change",
    "resolve_targets",
    "retrigger_at",
    "skip_for_step",
    "steps_for",
]


class TargetKind(enum.StrEnum):
    USER = "user"
    SCHEDULE = "schedule"
    TEAM = "team"
    CHANNEL = "channel"


@dataclass(frozen=True)
class Target:
    """Who a step reaches. `via` forces one contact-method kind (email, voice...) for users."""

    kind: TargetKind
    id: str
    via: str | None = None

    def __str__(self) -> str:
        return f"{self.kind.value} '{self.id}'"


@dataclass(frozen=True)
class Step:
    at: timedelta
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class Team:
    name: str
    members: tuple[str, ...]
    escalation_policy: str | None = None


@dataclass(frozen=True)
class EscalationPolicy:
    """`steps` is the default matrix; `by_severity` replaces it for the listed severities.

    After the last step a pass repeats `repeat` more times, `repeat_after` after that last step.
    `retrigger_after` restarts paging when an acknowledged incident sees no activity that long.
    """

    name: str
    steps: tuple[Step, ...]
    by_severity: Mapping[str, tuple[Step, ...]] = field(default_factory=dict)
    repeat: int = 0
    repeat_after: timedelta = timedelta(minutes=15)
    retrigger_after: timedelta | None = None

    def __post_init__(self) -> None:
        for severity, steps in [("default", self.steps), *self.by_severity.items()]:
            offsets = [step.at for step in steps]
            if any(b <= a for a, b in pairwise(offsets)):
                raise ValueError(
                    f"policy '{self.name}' ({severity}): step offsets must increase; put targets "
                    "that fire together in one step")
        if self.repeat < 0:
            raise ValueError(f"policy '{self.name}': repeat must be 0 or more")


@dataclass(frozen=True)
class PlannedStep:
    """One step of one pass, due at `due_at`. `key` is stable for idempotent timers."""

    index: int
    due_at: datetime
    targets: tuple[Target, ...]
    attempt: int
    severity: str
    pass_started_at: datetime

    @property
    def key(self) -> str:
        return f"{self.attempt}:{self.index}"


def steps_for(policy: EscalationPolicy, severity: str) -> tuple[Step, ...]:
    """The severity's own matrix if the policy has one, else the default steps."""
    return policy.by_severity.get(severity, policy.steps)


def plan(policy: EscalationPolicy, severity: str, started_at: datetime,
         attempt: int = 0) -> list[PlannedStep]:
    """The steps of pass `attempt` (0 = first), which starts at `started_at`.

    Returns [] once `attempt` exceeds the policy's repeat count.
    """
    if attempt > policy.repeat:
        return []
    start = utc(started_at)
    return [PlannedStep(index, start + step.at, step.targets, attempt, severity, start)
            for index, step in enumerate(steps_for(policy, severity))]


def next_pass_at(policy: EscalationPolicy, current: Sequence[PlannedStep]) -> datetime | None:
    """When the next pass starts if nobody acknowledges, or None when repeats are used up."""
    if not current or current[0].attempt >= policy.repeat:
        return None
    return max(step.due_at for step in current) + policy.repeat_after


def replan_on_severity_change(policy: EscalationPolicy, old_plan: Sequence[PlannedStep],
                              fired_indexes: Collection[int], new_severity: str,
                              now: datetime) -> list[PlannedStep]:
    """The remaining steps under the new severity's matrix, keeping the escalation level reached.

    Steps up to the highest index already fired count as done. The rest keep their offsets from
    the original pass start, so an upgrade to P0 twelve minutes in fires the overdue +10 min step
    now and the +20 min step at +20 min; nothing is ever scheduled in the past.
    """
    current = utc(now)
    started = old_plan[0].pass_started_at if old_plan else current
    attempt = old_plan[0].attempt if old_plan else 0
    reached = max(fired_indexes, default=-1)
    return [replace(step, due_at=max(step.due_at, current))
            for step in plan(policy, new_severity, started, attempt) if step.index > reached]


def escalate_now(policy: EscalationPolicy, current: Sequence[PlannedStep],
                 fired_indexes: Collection[int], now: datetime) -> list[PlannedStep]:
    """The plan after an "escalate now" command: the next unfired step is due at `now`.

    Later steps keep their times. When the pass is exhausted, the next pass (if the repeat count
    allows) starts at `now`; with nothing left the result is empty.
    """
    at = utc(now)
    remaining = [step for step in current if step.index not in fired_indexes]
    if remaining:
        first, *rest = remaining
        return [replace(first, due_at=at), *rest]
    if not current:
        return []
    return plan(policy, current[0].severity, at, current[0].attempt + 1)


def retrigger_at(policy: EscalationPolicy, last_activity_at: datetime) -> datetime | None:
    """When paging restarts for an acknowledged incident idle since `last_activity_at`."""
    if policy.retrigger_after is None:
        return None
    return utc(last_activity_at) + policy.retrigger_after


@dataclass(frozen=True)
class ResolvedTarget:
    """A concrete recipient: a user (paged through their contact rules) or a channel."""

    kind: Literal["user", "channel"]
    id: str
    via: str | None = None
    reached_through: str = ""


@dataclass(frozen=True)
class SkippedTarget:
    target: Target
    reason: str


@dataclass(frozen=True)
class TargetResolution:
    resolved: tuple[ResolvedTarget, ...]
    skipped: tuple[SkippedTarget, ...]


def resolve_targets(targets: Iterable[Target], schedules: Mapping[str, Schedule],
                    teams: Mapping[str, Team], instant: datetime,
                    users_with_contacts: Collection[str] | None = None) -> TargetResolution:
    """Expand schedules (to whoever is on call at `instant`) and teams (to their members).

    With `users_with_contacts` given, users outside it are skipped: they cannot be reached.
    Duplicates are dropped, first occurrence kept.
    """
    resolved: list[ResolvedTarget] = []
    skipped: list[SkippedTarget] = []
    seen: set[tuple[str, str, str | None]] = set()

    def add_user(user: str, target: Target, through: str) -> None:
        if users_with_contacts is not None and user not in users_with_contacts:
            skipped.append(SkippedTarget(target, f"user '{user}' has no contact methods"))
            return
        if (TargetKind.USER, user, target.via) not in seen:
            seen.add((TargetKind.USER, user, target.via))
            resolved.append(ResolvedTarget("user", user, target.via, through))

    for target in targets:
        if target.kind is TargetKind.CHANNEL:
            if (TargetKind.CHANNEL, target.id, None) not in seen:
                seen.add((TargetKind.CHANNEL, target.id, None))
                resolved.append(ResolvedTarget("channel", target.id, None, str(target)))
        elif target.kind is TargetKind.USER:
            add_user(target.id, target, str(target))
        elif target.kind is TargetKind.SCHEDULE:
            schedule = schedules.get(target.id)
            if schedule is None:
                skipped.append(SkippedTarget(target, f"schedule '{target.id}' is not defined"))
                continue
            on_call = on_call_at(schedule, instant)
            if not on_call:
                skipped.append(SkippedTarget(
                    target, f"schedule '{target.id}' has nobody on call"))
                continue
            add_user(on_call[0].user, target, str(target))
        else:
            team = teams.get(target.id)
            if team is None:
                skipped.append(SkippedTarget(target, f"team '{target.id}' is not defined"))
            elif not team.members:
                skipped.append(SkippedTarget(target, f"team '{target.id}' has no members"))
            for member in team.members if team else ():
                add_user(member, target, str(target))
    return TargetResolution(tuple(resolved), tuple(skipped))


@dataclass(frozen=True)
class StepSkip:
    """A step that reached nobody; the engine records it as a timeline event."""

    index: int
    attempt: int
    due_at: datetime
    reasons: tuple[str, ...]

    def as_event_data(self) -> dict[str, Any]:
        return {"step": self.index, "attempt": self.attempt, "due_at": isoformat(self.due_at),
                "reasons": list(self.reasons)}


def skip_for_step(step: PlannedStep, resolution: TargetResolution) -> StepSkip | None:
    """A StepSkip when the step resolved to no recipient at all, else None.

    Targets skipped inside a step that still reached someone are in `resolution.skipped`.
    """
    if resolution.resolved:
        return None
    reasons = tuple(s.reason for s in resolution.skipped) or ("the step has no targets",)
    return StepSkip(step.index, step.attempt, step.due_at, reasons)
