"""YAML config for on-call: `schedules:`, `escalation_policies:`, `teams:` and users' contacts.

Validation errors say what is allowed and, through a source map, which file and line to fix.
The validated models convert to the pure domain types in warroom.domain.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from warroom import yamlfile
from warroom.domain.durations import format_duration, parse_duration
from warroom.domain.escalation import EscalationPolicy, Step, Target, TargetKind, Team
from warroom.domain.notification_rules import (
    ContactKind,
    ContactMethod,
    NotificationRule,
    UserContacts,
)
from warroom.domain.schedules import (
    BUSINESS_HOURS,
    WEEKDAYS,
    WEEKENDS,
    Exclusion,
    ExclusionPolicy,
    Layer,
    Override,
    Rotation,
    Schedule,
    ShiftLength,
    ShiftUnit,
    Window,
)

__all__ = [
    "OncallConfig",
    "OncallConfigError",
    "check_references",
    "load_oncall",
    "parse_offset",
    "parse_oncall",
    "parse_shift_length",
]


class Locator(Protocol):
    """Anything that maps a key path to 'file:line' (yamlfile.SourceMap, the org loader)."""

    def where(self, loc: tuple[str | int, ...]) -> str: ...


class OncallConfigError(ValueError):
    """Invalid on-call config; `problems` are 'file:line: path: message' lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


_OFFSET_WORDS = re.compile(
    r"(minutes|minute|mins|min)|(hours|hour|hrs|hr)|(seconds|second|secs|sec)")


def parse_offset(value: object) -> timedelta:
    """'immediately', '+5 min', '10m', '1h30m' or a number of seconds -> timedelta."""
    if isinstance(value, timedelta):
        return value
    text = str(value).strip().lower()
    if text in ("immediately", "now", "0", "+0"):
        return timedelta(0)
    if isinstance(value, str):
        text = _OFFSET_WORDS.sub(
            lambda m: "m" if m.group(1) else "h" if m.group(2) else "s", text).lstrip("+")
        try:
            offset = parse_duration(text)
        except ValueError:
            raise ValueError(f"invalid step time {value!r}; write 'immediately' or an offset "
                             "from the start such as '+5 min', '10m' or '1h'") from None
    else:
        offset = parse_duration(value)  # type: ignore[arg-type]
    if offset < timedelta(0):
        raise ValueError(f"step time {value!r} is negative; offsets count from the start")
    return offset


_SHIFT_WORDS = {"hourly": ShiftLength(ShiftUnit.HOURS), "daily": ShiftLength(ShiftUnit.DAYS),
                "weekly": ShiftLength(ShiftUnit.WEEKS)}
_SHIFT_CUSTOM = re.compile(r"^(\d+)\s*(m|min|h|d|w)$")
_SHIFT_UNITS = {"m": ShiftUnit.MINUTES, "min": ShiftUnit.MINUTES, "h": ShiftUnit.HOURS,
                "d": ShiftUnit.DAYS, "w": ShiftUnit.WEEKS}


def parse_shift_length(value: object) -> ShiftLength:
    """'hourly', 'daily', 'weekly', or a custom length such as '12h', '3d', '2w'."""
    if isinstance(value, ShiftLength):
        return value
    text = str(value).strip().lower()
    if text in _SHIFT_WORDS:
        return _SHIFT_WORDS[text]
    match = _SHIFT_CUSTOM.match(text)
    if match and int(match.group(1)) > 0:
        return ShiftLength(_SHIFT_UNITS[match.group(2)], int(match.group(1)))
    raise ValueError(f"shift must be hourly, daily, weekly or a length such as 12h, 3d or 2w "
                     f"(h: elapsed hours; d and w: calendar days at the handoff time); "
                     f"got {value!r}")


def _time_of_day(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads unquoted 17:00 as the sexagesimal number 1020.
        raise ValueError(f"times of day must be quoted strings such as \"17:00\"; YAML read "
                         f"an unquoted value as the number {value}")
    return value


def _zone_name(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}; use an IANA name such as "
                         "Europe/London, Europe/Berlin or America/New_York") from None
    return value


_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _days(value: object) -> frozenset[int]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise ValueError("days must be a list such as [mon, tue] or a range such as mon-fri")
    days: set[int] = set()
    for item in items:
        text = str(item).strip().lower()
        first, _, last = text.partition("-")
        try:
            a = _DAY_NAMES.index(first[:3])
            b = _DAY_NAMES.index(last[:3]) if last else a
        except ValueError:
            raise ValueError(f"unknown day {item!r}; use {', '.join(_DAY_NAMES)} or a range "
                             "such as mon-fri") from None
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return frozenset(days)


Offset = Annotated[timedelta, BeforeValidator(parse_offset),
                   Field(json_schema_extra={"type": "string",
                                            "examples": ["immediately", "+5 min", "1h"]})]
Duration = Annotated[timedelta, BeforeValidator(parse_duration),
                     Field(json_schema_extra={"type": "string", "examples": ["5m", "30m"]})]
TimeOfDay = Annotated[time, BeforeValidator(_time_of_day)]
ZoneName = Annotated[str, BeforeValidator(_zone_name)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RestrictionConfig(Strict):
    days: Annotated[frozenset[int], BeforeValidator(_days)]
    start: TimeOfDay
    end: TimeOfDay

    def to_window(self) -> Window:
        return Window(self.days, self.start, self.end)


_PRESETS = {"business_hours": BUSINESS_HOURS, "weekdays": WEEKDAYS, "weekends": WEEKENDS}
Preset = Literal["business_hours", "weekdays", "weekends"]


class RotationConfig(Strict):
    participants: list[str] = Field(min_length=1)
    shift: Annotated[ShiftLength, BeforeValidator(parse_shift_length)]
    handoff: TimeOfDay = time(9)
    start: date
    time_zone: ZoneName | None = Field(
        default=None, description="Defaults to the schedule's time zone.")

    @field_validator("start", mode="before")
    @classmethod
    def _date_only(cls, value: object) -> object:
        if isinstance(value, datetime):
            raise ValueError("start is a date such as 2026-01-05; the time of day is `handoff`")
        return value


class LayerConfig(Strict):
    name: Name
    rotation: RotationConfig
    restrictions: list[Preset | RestrictionConfig] = Field(
        default=[], description="Weekly windows when this layer is active, in the rotation's "
        "time zone: business_hours, weekdays, weekends or {days, start, end}.")
    exclusion_policy: Literal["fall_through", "skip_to_next"] = "fall_through"


Moment = datetime | date


class SpanConfig(Strict):
    """A time span; naive times are in the schedule's zone; a date-only `end` is inclusive."""

    user: str
    start: Moment
    end: Moment
    reason: str = ""

    @field_validator("start", "end", mode="before")
    @classmethod
    def _text_moment(cls, value: object) -> object:
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            return date.fromisoformat(value.strip())
        return value

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        return _moment(self.start, zone, False), _moment(self.end, zone, True)


def _moment(value: Moment, zone: ZoneInfo, is_end: bool) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    day = value + timedelta(days=1) if is_end else value
    return datetime.combine(day, time(0), tzinfo=zone)


class ScheduleConfig(Strict):
    name: Name
    description: str = ""
    time_zone: ZoneName = "UTC"
    layers: list[LayerConfig] = Field(
        min_length=1, description="In priority order: the first layer with someone wins.")
    overrides: list[SpanConfig] = []
    exclusions: list[SpanConfig] = []

    @model_validator(mode="after")
    def _spans_forward(self) -> ScheduleConfig:
        zone = ZoneInfo(self.time_zone)
        for section in (self.overrides, self.exclusions):
            for span in section:
                start, end = span.bounds(zone)
                if end <= start:
                    raise ValueError(f"{span.user}: end ({span.end}) must be after start "
                                     f"({span.start})")
        return self

    def to_domain(self) -> Schedule:
        zone = ZoneInfo(self.time_zone)
        layers = tuple(
            Layer(layer.name,
                  Rotation(tuple(layer.rotation.participants), layer.rotation.shift,
                           layer.rotation.handoff, layer.rotation.time_zone or self.time_zone,
                           layer.rotation.start),
                  tuple(_PRESETS[r] if isinstance(r, str) else r.to_window()
                        for r in layer.restrictions),
                  ExclusionPolicy(layer.exclusion_policy))
            for layer in self.layers)
        return Schedule(self.name, layers,
                        tuple(Override(o.user, *o.bounds(zone), o.reason) for o in self.overrides),
                        tuple(Exclusion(e.user, *e.bounds(zone), e.reason)
                              for e in self.exclusions),
                        self.time_zone)


class TargetConfig(Strict):
    """Exactly one of user, schedule, team or channel; `via` forces a contact kind."""

    user: str | None = None
    schedule: str | None = None
    team: str | None = None
    channel: str | None = None
    via: ContactKind | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> TargetConfig:
        named = [k for k in ("user", "schedule", "team", "channel") if getattr(self, k)]
        if len(named) != 1:
            raise ValueError("a target names exactly one of user, schedule, team or channel, "
                             "e.g. {schedule: sre-primary} or {user: dir-dan, via: voice}")
        if self.channel and self.via:
            raise ValueError("via applies to people (user, schedule, team), not channels")
        return self

    def to_domain(self) -> Target:
        for kind in TargetKind:
            value = getattr(self, kind.value)
            if value:
                return Target(kind, value, self.via.value if self.via else None)
        raise AssertionError("validated to name one target")


class StepConfig(Strict):
    at: Offset = Field(description="Offset from the start of the escalation ('+5 min').")
    targets: list[TargetConfig] = Field(min_length=1)

    def to_domain(self) -> Step:
        return Step(self.at, tuple(t.to_domain() for t in self.targets))


def _check_order(steps: Sequence[StepConfig], label: str) -> None:
    for number, (earlier, later) in enumerate(pairwise(steps), start=2):
        if later.at <= earlier.at:
            raise ValueError(f"{label}: step {number} (at +{format_duration(later.at)}) must come "
                             f"after step {number - 1} (at +{format_duration(earlier.at)}); "
                             "steps are offsets from the start in increasing order; put "
                             "targets that fire together in one step")


class PolicyConfig(Strict):
    name: Name
    description: str = ""
    steps: list[StepConfig] = Field(
        min_length=1, description="The default steps, for severities not in by_severity.")
    by_severity: dict[str, list[StepConfig]] = {}
    repeat: int = Field(default=0, ge=0, description="Extra passes after the first.")
    repeat_after: Duration | None = None
    retrigger_after: Duration | None = None

    @model_validator(mode="after")
    def _consistent(self) -> PolicyConfig:
        _check_order(self.steps, "steps")
        for severity, steps in self.by_severity.items():
            if not steps:
                raise ValueError(f"by_severity.{severity} needs at least one step")
            _check_order(steps, f"by_severity.{severity}")
        if self.repeat and self.repeat_after is None:
            raise ValueError("repeat needs repeat_after: how long after the last step the "
                             "next pass starts, e.g. repeat_after: 15m")
        return self

    def to_domain(self) -> EscalationPolicy:
        return EscalationPolicy(
            self.name, tuple(s.to_domain() for s in self.steps),
            {sev: tuple(s.to_domain() for s in steps) for sev, steps in self.by_severity.items()},
            self.repeat, self.repeat_after or timedelta(minutes=15), self.retrigger_after)


class TeamConfig(BaseModel):
    # Teams also carry org-level fields validated elsewhere, so unknown keys are ignored here.
    model_config = ConfigDict(extra="ignore", frozen=True)
    name: Name
    members: list[str] = []
    escalation_policy: str | None = None

    def to_domain(self) -> Team:
        return Team(self.name, tuple(self.members), self.escalation_policy)


class ContactMethodConfig(Strict):
    kind: ContactKind
    address: str = Field(min_length=1)
    name: str | None = Field(default=None, description="Defaults to the kind.")

    @property
    def label(self) -> str:
        return self.name or self.kind.value


class NotificationRuleConfig(Strict):
    contact: str
    after: Duration = timedelta(0)


class UserContactsConfig(BaseModel):
    # Users carry role, email and so on, validated by the org config; only contacts matter here.
    model_config = ConfigDict(extra="ignore", frozen=True)
    name: Name
    contact_methods: list[ContactMethodConfig] = []
    notification_rules: list[NotificationRuleConfig] = []

    @model_validator(mode="after")
    def _rules_use_methods(self) -> UserContactsConfig:
        labels = [m.label for m in self.contact_methods]
        for label, count in Counter(labels).items():
            if count > 1:
                raise ValueError(f"two contact methods are called {label!r}; give each a "
                                 "distinct name")
        for rule in self.notification_rules:
            if rule.contact not in labels:
                raise ValueError(f"notification rule uses contact {rule.contact!r}; this user's "
                                 f"contact methods are: {', '.join(labels) or 'none'}")
        return self

    def to_domain(self) -> UserContacts:
        return UserContacts(
            self.name,
            tuple(ContactMethod(m.label, m.kind, m.address) for m in self.contact_methods),
            tuple(NotificationRule(r.contact, r.after) for r in self.notification_rules))


class OncallConfig(BaseModel):
    """The on-call sections of the organisation config; other sections are ignored here."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    schedules: list[ScheduleConfig] = []
    escalation_policies: list[PolicyConfig] = []
    teams: list[TeamConfig] = []
    users: list[UserContactsConfig] = []

    def schedule_map(self) -> dict[str, Schedule]:
        return {s.name: s.to_domain() for s in self.schedules}

    def policy_map(self) -> dict[str, EscalationPolicy]:
        return {p.name: p.to_domain() for p in self.escalation_policies}

    def team_map(self) -> dict[str, Team]:
        return {t.name: t.to_domain() for t in self.teams}

    def contacts_map(self) -> dict[str, UserContacts]:
        return {u.name: u.to_domain() for u in self.users}


def _describe(err: Mapping[str, Any], locator: Locator) -> str:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith(
        ("function-", "tagged-union", "literal")))))
    dotted = ".".join(str(p) for p in loc) or "(top level)"
    message = str(err["msg"]).removeprefix("Value error, ")
    if err.get("type") == "extra_forbidden":
        message = f"unknown field {loc[-1]!r}"
    elif err.get("type") == "literal_error":
        message = f"{message} (got {err.get('input')!r})"
    return f"{locator.where(loc)}: {dotted}: {message}"


def parse_oncall(data: Any, locator: Locator) -> OncallConfig:
    """Validate the on-call sections of `data`; raises OncallConfigError naming file:line."""
    try:
        return OncallConfig.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems = sorted(set(_describe(err, locator) for err in exc.errors()))
        raise OncallConfigError(problems) from exc


def load_oncall(path: Path) -> tuple[OncallConfig, yamlfile.SourceMap]:
    """Read one YAML file holding on-call sections."""
    try:
        data, smap = yamlfile.load(path)
    except yamlfile.YamlError as exc:
        raise OncallConfigError([str(exc)]) from exc
    return parse_oncall(data, smap), smap


@dataclass(frozen=True)
class _Names:
    label: str
    known: frozenset[str]

    def check(self, value: str, loc: tuple[str | int, ...], locator: Locator,
              problems: list[str]) -> None:
        if value not in self.known:
            listed = ", ".join(sorted(self.known)) or "none"
            problems.append(f"{locator.where(loc)}: {'.'.join(map(str, loc))}: unknown "
                            f"{self.label} {value!r}; defined {self.label}s: {listed}")


def _duplicates(section: str, names: Sequence[str], locator: Locator) -> Iterable[str]:
    for name, count in Counter(names).items():
        if count > 1:
            places = [locator.where((section, i)) for i, n in enumerate(names) if n == name]
            yield (f"{places[1]}: {section}: {name!r} is defined more than once "
                   f"({' and '.join(places)}); rename one")


def check_references(config: OncallConfig, locator: Locator, *, users: Collection[str],
                     channels: Collection[str], severities: Collection[str] | None = None,
                     schedules: Collection[str] = (), teams: Collection[str] = (),
                     policies: Collection[str] = ()) -> list[str]:
    """Every name used must exist. The config's own schedules, teams and policies count as known;
    users, channels and severities come from the rest of the organisation config."""
    problems: list[str] = []
    for section, items in (("schedules", config.schedules),
                           ("escalation_policies", config.escalation_policies),
                           ("teams", config.teams)):
        problems.extend(_duplicates(section, [item.name for item in items], locator))
    user_names = _Names("user", frozenset(users))
    names = {
        TargetKind.USER: user_names,
        TargetKind.CHANNEL: _Names("channel", frozenset(channels)),
        TargetKind.SCHEDULE: _Names("schedule", frozenset(
            [*schedules, *(s.name for s in config.schedules)])),
        TargetKind.TEAM: _Names("team", frozenset([*teams, *(t.name for t in config.teams)])),
    }
    policy_names = _Names("escalation policy", frozenset(
        [*policies, *(p.name for p in config.escalation_policies)]))
    for i, schedule in enumerate(config.schedules):
        for j, layer in enumerate(schedule.layers):
            for k, user in enumerate(layer.rotation.participants):
                user_names.check(user, ("schedules", i, "layers", j, "rotation", "participants",
                                        k), locator, problems)
        for section in ("overrides", "exclusions"):
            for k, span in enumerate(getattr(schedule, section)):
                user_names.check(span.user, ("schedules", i, section, k, "user"), locator,
                                 problems)
    for i, policy in enumerate(config.escalation_policies):
        matrices: list[tuple[tuple[str | int, ...], list[StepConfig]]] = [
            (("escalation_policies", i, "steps"), policy.steps)]
        for severity, steps in policy.by_severity.items():
            loc = ("escalation_policies", i, "by_severity", severity)
            matrices.append((loc, steps))
            if severities is not None and severity not in severities:
                problems.append(f"{locator.where(loc)}: {'.'.join(map(str, loc))}: unknown "
                                f"severity {severity!r}; this organisation defines "
                                f"{', '.join(severities)}")
        for base, steps in matrices:
            for s, step in enumerate(steps):
                for t, target in enumerate(step.targets):
                    kind = target.to_domain().kind
                    names[kind].check(target.to_domain().id,
                                      (*base, s, "targets", t, kind.value), locator, problems)
    for i, team in enumerate(config.teams):
        for j, member in enumerate(team.members):
            user_names.check(member, ("teams", i, "members", j), locator, problems)
        if team.escalation_policy:
            policy_names.check(team.escalation_policy, ("teams", i, "escalation_policy"),
                               locator, problems)
    return problems
