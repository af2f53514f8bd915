"""Who is acting, what they may do, and the checks every service call makes."""

from __future__ import annotations

from dataclasses import dataclass

from warroom.domain.errors import PermissionDenied, Unauthenticated

ROLES = ("viewer", "responder", "commander", "admin")
ROLE_RANK = {name: rank for rank, name in enumerate(ROLES)}


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    is_security: bool = False
    user_id: int | None = None
    via: str = "token"
    # What authenticated the caller ("token:<id>", "session:<sha256>"), so live streams can
    # re-check that it still holds.
    credential: str = ""

    def at_least(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    @property
    def sees_restricted(self) -> bool:
        return self.role == "admin" or self.is_security


SYSTEM = Principal(name="warroom", role="admin", via="system")


def require(principal: Principal | None, role: str, action: str) -> Principal:
    """Raise 401 without a principal, 403 if its role is below `role`."""
    if principal is None:
        raise Unauthenticated(f"{action} requires authentication: send "
                              "'Authorization: Bearer <token>' or log in")
    if not principal.at_least(role):
        raise PermissionDenied(f"{action} requires the {role} role; {principal.name} has "
                               f"{principal.role}")
    return principal
