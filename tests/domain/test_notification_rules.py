"""Personal notification rules: which contact method is used when after a page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.domain.notification_rules import (
    ContactKind,
    ContactMethod,
    NotificationRule,
    UserContacts,
    plan_contacts,
    unreachable_reason,
)

PAGED = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
EMAIL = ContactMethod("email", ContactKind.EMAIL, "alice@example.com")
SMS = ContactMethod("sms", ContactKind.SMS, "+15550100101")
VOICE = ContactMethod("phone", ContactKind.VOICE, "+15550100101")


def test_email_now_and_sms_after_five_minutes() -> None:
    alice = UserContacts("alice", (EMAIL, SMS),
                         (NotificationRule("sms", timedelta(minutes=5)), NotificationRule("email")))
    planned = plan_contacts(alice, PAGED)
    assert [(p.method.name, p.due_at - PAGED) for p in planned] == [
        ("email", timedelta(0)), ("sms", timedelta(minutes=5))]
    assert len({p.key for p in planned}) == 2


def test_without_rules_every_method_is_used_immediately() -> None:
    planned = plan_contacts(UserContacts("bob", (EMAIL, SMS)), PAGED)
    assert [(p.method.name, p.due_at) for p in planned] == [("email", PAGED), ("sms", PAGED)]


def test_via_overrides_rules_with_that_kind_of_method() -> None:
    dan = UserContacts("dir-dan", (EMAIL, VOICE), (NotificationRule("email"),))
    assert [(p.method.name, p.due_at) for p in plan_contacts(dan, PAGED, via="voice")] == [
        ("phone", PAGED)]
    assert unreachable_reason("dir-dan", dan, "sms") == "user 'dir-dan' has no sms contact method"
    assert unreachable_reason("dir-dan", dan, "voice") is None
    assert unreachable_reason("ghost", None) == "user 'ghost' has no contact methods"


def test_rule_naming_an_unknown_method_is_rejected_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="methods are: email"):
        UserContacts("alice", (EMAIL,), (NotificationRule("pager"),))
