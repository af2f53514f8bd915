"""Domain errors. Each says what was wrong and what is allowed instead.

    DomainError
    ├── InvalidTransition   (HTTP 409) a command the incident's current status does not allow
    ├── UnknownValue        (HTTP 422) a severity, type, role or status the organisation lacks
    ├── InvalidCommand      (HTTP 422) a command whose arguments make no sense
    ├── NotFound            (HTTP 404)
    ├── Conflict            (HTTP 409) e.g. a duplicate name
    ├── PermissionDenied    (HTTP 403)
    ├── Unauthenticated     (HTTP 401)
    └── TooManyAttempts     (HTTP 429) e.g. failed logins; carries Retry-After seconds
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "Conflict",
    "DomainError",
    "InvalidCommand",
    "InvalidTransition",
    "NotFound",
    "PermissionDenied",
    "TooManyAttempts",
    "Unauthenticated",
    "UnknownValue",
]


class DomainError(Exception):
    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidTransition(DomainError):
    status_code = 409
    title = "Invalid transition"

    def __init__(self, action: str, current: str, allowed: Sequence[str]) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none"
        super().__init__(
            f"cannot {action}: the incident is {current}; allowed from {current}: {allowed_text}")
        self.current = current
        self.allowed = list(allowed)


class UnknownValue(DomainError):
    status_code = 422
    title = "Unknown value"

    def __init__(self, field: str, value: str, allowed: Sequence[str]) -> None:
        super().__init__(
            f"unknown {field} {value!r}; this organisation defines {', '.join(allowed)}")
        self.field = field
        self.value = value
        self.allowed = list(allowed)


class InvalidCommand(DomainError):
    status_code = 422
    title = "Invalid command"


class NotFound(DomainError):
    status_code = 404
    title = "Not found"


class Conflict(DomainError):
    status_code = 409
    title = "Conflict"


class PermissionDenied(DomainError):
    status_code = 403
    title = "Forbidden"


class Unauthenticated(DomainError):
    status_code = 401
    title = "Unauthorized"


class TooManyAttempts(DomainError):
    status_code = 429
    title = "Too many attempts"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
