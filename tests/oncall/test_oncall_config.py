"""On-call YAML config: the shipped example, conversions to the domain and file:line errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warroom import yamlfile
from warroom.domain.escalation import Target, TargetKind, plan
from warroom.domain.notification_rules import plan_contacts
from warroom.domain.schedules import on_call_at
from warroom.oncall.config import (
    OncallConfigError,
    check_references,
    load_oncall,
    parse_offset,
    parse_oncall,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "org" / "oncall.yaml"
USERS = {"alice", "bob", "carol", "dave", "erin", "mgr-maya", "dir-dan"}
CHANNELS = {"team-chat", "exec-briefing", "ops-email"}


def problems_for(text: str) -> list[str]:
    data, smap = yamlfile.loads(text, "oncall.yaml")
    with pytest.raises(OncallConfigError) as caught:
        parse_oncall(data, smap)
    return caught.value.problems


def test_example_is_valid_and_all_names_resolve() -> None:
    config, smap = load_oncall(EXAMPLE)
    assert check_references(config, smap, users=USERS, channels=CHANNELS,
                            severities=["P0", "P1", "P2", "P3"]) == []


def test_example_ships_the_p0_matrix() -> None:
    config, _ = load_oncall(EXAMPLE)
    policy = config.policy_map()["sre-escalation"]
    start = datetime(2026, 3, 2, 14, tzinfo=UTC)
    steps = plan(policy, "P0", start)
    assert [(s.due_at - start, s.targets) for s in steps] == [
        (timedelta(0), (Target(TargetKind.SCHEDULE, "sre-primary"),)),
        (timedelta(minutes=5), (Target(TargetKind.CHANNEL, "team-chat"),)),
        (timedelta(minutes=10), (Target(TargetKind.USER, "mgr-maya", "email"),)),
        (timedelta(minutes=20), (Target(TargetKind.USER, "dir-dan", "voice"),)),
        (timedelta(minutes=30), (Target(TargetKind.CHANNEL, "exec-briefing"),)),
    ]
    assert policy.repeat == 2 and policy.retrigger_after == timedelta(minutes=30)


def test_example_schedule_has_business_hours_override_and_holiday() -> None:
    schedules = load_oncall(EXAMPLE)[0].schedule_map()
    primary = schedules["sre-primary"]
    # Monday 2026-01-05 12:00 London: the day shift (erin) above the weekly primary (alice).
    assert [s.user for s in on_call_at(primary, datetime(2026, 1, 5, 12, tzinfo=UTC))] == [
        "erin", "alice"]
    # Weekly handoff Monday 09:00 London: bob from 2026-01-12 09:00 (GMT = UTC).
    assert on_call_at(primary, datetime(2026, 1, 12, 20, tzinfo=UTC))[0].user == "bob"
    # The override: carol from Saturday 2026-02-14 18:00 London.
    assert on_call_at(primary, datetime(2026, 2, 14, 19, tzinfo=UTC))[0].user == "carol"
    # Christmas week: carol has the weekly primary but is on holiday from the 24th, so the
    # next person in that rotation (alice) covers her out-of-hours slot.
    assert on_call_at(primary, datetime(2026, 12, 22, 20, tzinfo=UTC))[0].user == "carol"
    assert [(s.user, s.layer) for s in on_call_at(
        primary, datetime(2026, 12, 25, 20, tzinfo=UTC))] == [("alice", "weekly")]
    # Business hours that week still go to the day shift.
    assert on_call_at(primary, datetime(2026, 12, 24, 12, tzinfo=UTC))[0].layer == \
        "business-hours"


def test_user_contacts_plan_slack_then_sms_then_voice() -> None:
    data, smap = yamlfile.loads("""\
users:
  - name: alice
    display_name: Alice Adams
    role: commander
    contact_methods:
      - {kind: slack, address: U0ALICE}
      - {kind: sms, address: "+15550100101"}
      - {name: phone, kind: voice, address: "+15550100101"}
    notification_rules:
      - {contact: slack}
      - {contact: sms, after: 5m}
      - {contact: phone, after: 10m}
""")
    alice = parse_oncall(data, smap).contacts_map()["alice"]
    paged = datetime(2026, 3, 2, 14, tzinfo=UTC)
    assert [(p.method.name, p.due_at - paged) for p in plan_contacts(alice, paged)] == [
        ("slack", timedelta(0)), ("sms", timedelta(minutes=5)), ("phone", timedelta(minutes=10))]


def test_unknown_names_are_reported_with_file_and_line() -> None:
    config, smap = load_oncall(EXAMPLE)
    problems = check_references(config, smap, users=USERS - {"dir-dan"},
                                channels=CHANNELS - {"exec-briefing"}, severities=["P1", "P2"])
    text = "\n".join(problems)
    line = next(n for n, row in enumerate(EXAMPLE.read_text().splitlines(), start=1)
                if "{user: dir-dan, via: voice}" in row)
    assert (f"{EXAMPLE}:{line}: escalation_policies.0.by_severity.P0.3.targets.0.user: "
            "unknown user 'dir-dan'") in text
    assert "unknown channel 'exec-briefing'; defined channels: ops-email, team-chat" in text
    assert "unknown severity 'P0'; this organisation defines P1, P2" in text


BASE = """\
schedules:
  - name: s
    time_zone: {zone}
    layers:
      - name: l
        rotation:
          participants: [alice]
          shift: {shift}
          handoff: {handoff}
          start: 2026-01-05
"""


def test_bad_time_zone_names_the_line_and_suggests_iana_names() -> None:
    problems = problems_for(BASE.format(zone="Europe/Londn", shift="daily", handoff='"09:00"'))
    assert problems == ["oncall.yaml:3: schedules.0.time_zone: unknown time zone 'Europe/Londn';"
                        " use an IANA name such as Europe/London, Europe/Berlin or "
                        "America/New_York"]


def test_bad_shift_lists_the_allowed_forms() -> None:
    problems = problems_for(BASE.format(zone="UTC", shift="fortnightly", handoff='"09:00"'))
    assert problems[0].startswith("oncall.yaml:8: schedules.0.layers.0.rotation.shift: shift "
                                  "must be hourly, daily, weekly or a length such as 12h")


def test_unquoted_handoff_time_is_explained() -> None:
    problems = problems_for(BASE.format(zone="UTC", shift="12h", handoff="9:00"))
    assert "oncall.yaml:9" in problems[0] and 'quoted strings such as "17:00"' in problems[0]


def test_custom_shift_lengths_are_accepted() -> None:
    data, smap = yamlfile.loads(BASE.format(zone="UTC", shift="12h", handoff='"08:00"'))
    rotation = parse_oncall(data, smap).schedule_map()["s"].layers[0].rotation
    assert (rotation.shift.unit.value, rotation.shift.count) == ("hours", 12)


POLICY = """\
escalation_policies:
  - name: p
    steps:
      - at: +10 min
        targets: [{schedule: a}]
      - at: +5 min
        targets: [{%s}]
%s"""


def test_target_must_name_exactly_one_kind() -> None:
    problems = problems_for(POLICY % ("user: b, channel: c", ""))
    assert problems == ["oncall.yaml:7: escalation_policies.0.steps.1.targets.0: a target names "
                        "exactly one of user, schedule, team or channel, e.g. {schedule: "
                        "sre-primary} or {user: dir-dan, via: voice}"]


def test_steps_out_of_order_and_repeat_without_interval_are_explained() -> None:
    problems = problems_for(POLICY % ("channel: c", ""))
    assert problems == ["oncall.yaml:2: escalation_policies.0: steps: step 2 (at +5m) must come "
                        "after step 1 (at +10m); steps are offsets from the start in increasing "
                        "order; put targets that fire together in one step"]
    repeat = POLICY.replace("+5 min", "+15 min") % ("channel: c", "    repeat: 1\n")
    assert "repeat needs repeat_after" in problems_for(repeat)[0]


def test_offsets_accept_the_teams_notation() -> None:
    assert parse_offset("immediately") == timedelta(0)
    assert parse_offset("+5 min") == timedelta(minutes=5)
    assert parse_offset("+1 hour") == timedelta(hours=1)
    assert parse_offset("90s") == timedelta(seconds=90)
    with pytest.raises(ValueError, match="'immediately' or an offset"):
        parse_offset("soon")


def test_notification_rule_must_name_a_contact_method() -> None:
    problems = problems_for("""\
users:
  - name: alice
    email: alice@example.com
    contact_methods: [{kind: email, address: alice@example.com}]
    notification_rules: [{contact: sms, after: 5m}]
""")
    assert problems == ["oncall.yaml:2: users.0: notification rule uses contact 'sms'; this "
                        "user's contact methods are: email"]


def test_duplicate_schedule_names_are_reported_with_both_places() -> None:
    text = BASE.format(zone="UTC", shift="daily", handoff='"09:00"')
    data, smap = yamlfile.loads(text + text.removeprefix("schedules:\n"), "oncall.yaml")
    problems = check_references(parse_oncall(data, smap), smap, users={"alice"}, channels=())
    assert problems == ["oncall.yaml:11: schedules: 's' is defined more than once "
                        "(oncall.yaml:2 and oncall.yaml:11); rename one"]
