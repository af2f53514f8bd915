"""A user's contact methods and personal notification rules ("email now, SMS after 5 min").

Planning is pure: the engine turns the planned contacts into outbox timers and cancels the
remaining ones when the page is acknowledged.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from warroom.clock import utc

__all__ = [
    "ContactKind",
    "ContactMethod",
    "NotificationRule",
    "PlannedContact",
    "UserContacts",
    "plan_contacts",
    "unreachable_reason",
]


class ContactKind(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    VOICE = "voice"
    SLACK = "slack"
    WEBHOOK = "webhook"
    PUSH = "push"


@dataclass(frozen=True)
class ContactMethod:
    """A named way to reach a user, e.g. name='work-phone', kind=sms, address='+15550100'."""

    name: str
    kind: ContactKind
    address: str


@dataclass(frozen=True)
class NotificationRule:
    """Use contact method `contact` (by name) `after` the page if it is still unacknowledged."""

    contact: str
    after: timedelta = timedelta(0)


@dataclass(frozen=True)
class UserContacts:
    """A user's contact methods and rules. No rules means: every method, immediately."""

    user: str
    methods: tuple[ContactMethod, ...]
    rules: tuple[NotificationRule, ...] = ()

    def __post_init__(self) -> None:
        names = {method.name for method in self.methods}
        for rule in self.rules:
            if rule.contact not in names:
                known = ", ".join(sorted(names)) or "none defined"
                raise ValueError(f"user '{self.user}': rule uses unknown contact method "
                                 f"'{rule.contact}'; the user's methods are: {known}")


@dataclass(frozen=True)
class PlannedContact:
    method: ContactMethod
    due_at: datetime

    @property
    def key(self) -> str:
        """Stable per page, so a retried plan never sends the same contact twice."""
        return f"{self.method.name}@{int(self.due_at.timestamp())}"


def plan_contacts(contacts: UserContacts, paged_at: datetime,
                  via: ContactKind | str | None = None) -> list[PlannedContact]:
    """When to use which contact method for a page sent at `paged_at`, earliest first.

    `via` (from an escalation target such as "phone the director") bypasses the personal rules:
    every method of that kind, immediately.
    """
    start = utc(paged_at)
    if via is not None:
        return [PlannedContact(m, start) for m in contacts.methods if m.kind == via]
    by_name = {method.name: method for method in contacts.methods}
    rules = contacts.rules or tuple(NotificationRule(m.name) for m in contacts.methods)
    planned = [PlannedContact(by_name[rule.contact], start + rule.after) for rule in rules]
    return sorted(planned, key=lambda p: (p.due_at, p.method.name))


def unreachable_reason(user: str, contacts: UserContacts | None,
                       via: ContactKind | str | None = None) -> str | None:
    """Why a page to `user` would reach nobody, or None when it reaches someone."""
    if contacts is None or not contacts.methods:
        return f"user '{user}' has no contact methods"
    if via is not None and not any(m.kind == via for m in contacts.methods):
        return f"user '{user}' has no {via} contact method"
    return None
