"""Who may hand out incident roles that count for approvals, and where each holder got theirs.

Approval means other people whose authority was not self-granted (docs/security.md). An
incident role carries approval rights when a runbook approval rule can be satisfied by holding
it: `commander`, `security_lead`, and any incident role an approval rule names. Assigning such
a role, or taking any role away from someone else, needs the commander user role (or above),
or being the incident's current commander. A role held on the incident counts for an approval
only if its holder did not assign it to themselves, and the requester did not hand it out
after asking.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from warroom.domain.events import Event
from warroom.domain.incident import AssignRole, Command, IncidentState, UnassignRole
from warroom.runbooks.model import Runbook
from warroom.services.principal import Principal

# Incident roles that an approval rule's commander / security names are satisfied by.
COMMANDER_ROLE = "commander"
SECURITY_ROLE = "security_lead"
BUILT_IN_APPROVAL_ROLES = frozenset({COMMANDER_ROLE, SECURITY_ROLE})


def norm(role: str) -> str:
    return role.strip().lower().replace("-", "_").replace(" ", "_")


def approval_roles(incident_roles: Iterable[str], runbooks: Iterable[Runbook]) -> frozenset[str]:
    """The incident roles that carry approval rights in this organisation."""
    named = {norm(r) for rb in runbooks for s in rb.steps if s.requires_approval
             for r in s.requires_approval.roles}
    return BUILT_IN_APPROVAL_ROLES | {r for r in incident_roles if norm(r) in named}


@dataclass(frozen=True)
class RoleGrant:
    """How the current holder of an incident role got it."""

    role: str
    user: str
    assigned_by: str
    at: datetime

    @property
    def self_assigned(self) -> bool:
        return self.assigned_by == self.user


def role_grants(events: Sequence[Event]) -> dict[str, RoleGrant]:
    """Incident role -> the grant its current holder holds it by (latest assignment)."""
    grants: dict[str, RoleGrant] = {}
    for e in events:
        if e.kind == "role_assigned":
            grants[e.data["role"]] = RoleGrant(e.data["role"], e.data["user"], e.actor, e.at)
        elif e.kind == "role_unassigned":
            grants.pop(e.data["role"], None)
    return grants


def grant_counts(grant: RoleGrant | None, *, requested_by: str,
                 requested_at: datetime) -> str | None:
    """Why an incident-role grant does not count for an approval, or None when it does."""
    if grant is None:
        return None
    if grant.self_assigned:
        return f"{grant.user} assigned the incident role {grant.role} to themselves"
    if grant.assigned_by == requested_by and grant.at > requested_at:
        return (f"{grant.role} was given to {grant.user} by the requester, "
                f"{requested_by}, after the request")
    return None


def _has_authority(who: Principal, state: IncidentState) -> bool:
    return who.at_least("commander") or state.role_map().get(COMMANDER_ROLE) == who.name


def _already_qualifies(role: str, assignee: Principal | None) -> bool:
    """Whether `assignee` holds, by their own user account, what the role would grant."""
    if assignee is None:
        return False
    if role == COMMANDER_ROLE:
        return assignee.at_least("commander")
    if role == SECURITY_ROLE:
        return assignee.is_security
    return False


def assignment_refusal(who: Principal, state: IncidentState, command: Command,
                       bearing: frozenset[str],
                       assignees: Mapping[str, Principal]) -> str | None:
    """Why `who` may not make this role change, naming the missing authority; or None.

    `assignees` maps user names to their accounts (for the assignee and current holder)."""
    if not isinstance(command, AssignRole | UnassignRole):
        return None
    if _has_authority(who, state):
        return None
    holder = state.role_map().get(command.role)
    ic = state.role_map().get(COMMANDER_ROLE)
    authority = ("the commander user role (or admin), or being this incident's commander "
                 f"({ic or 'nobody holds it yet'})")
    yours = f"{who.name} has the {who.role} user role and is not its commander"
    if holder is not None and holder != who.name and (
            isinstance(command, UnassignRole) or holder != command.user):
        return (f"taking the incident role {command.role} away from {holder} needs "
                f"{authority}; {yours}")
    if isinstance(command, AssignRole) and command.role in bearing:
        if _already_qualifies(command.role, assignees.get(command.user)):
            return None  # the assignee already holds this authority by their own account
        return (f"assigning the incident role {command.role} carries approval rights and "
                f"needs {authority}; {yours}")
    return None
