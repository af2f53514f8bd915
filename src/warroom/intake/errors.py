"""Intake errors: what was wrong with a payload, precise enough to fix the sender.

    ValueError
     └── IntakeError              one field is wrong: `alerts[3].labels: must be ...` (HTTP 400)
          └── PagerDutyEventError several PagerDuty-style messages, rendered like PagerDuty does
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["IntakeError", "PagerDutyEventError"]


class IntakeError(ValueError):
    """A payload the format module rejected; `field` is a path like `alerts[3].labels`."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class PagerDutyEventError(IntakeError):
    """An invalid Events API v2 request; `body()` is PagerDuty's own 400 response shape."""

    def __init__(self, errors: Sequence[tuple[str, str]]) -> None:
        self.errors = list(errors)
        first_field, first_message = self.errors[0]
        super().__init__(first_field, first_message)
        self.args = ("; ".join(message for _, message in self.errors),)

    def body(self) -> dict[str, Any]:
        return {
            "status": "invalid event",
            "message": "Event object is invalid",
            "errors": [message for _, message in self.errors],
        }
