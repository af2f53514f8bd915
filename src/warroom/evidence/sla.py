"""Whether an incident was acknowledged within its severity's ack SLA."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

AckSlaOutcome = Literal["met", "breached", "pending"]


def ack_sla_outcome(declared: datetime, acknowledged: datetime | None,
                    resolved: datetime | None, sla: timedelta,
                    now: datetime) -> AckSlaOutcome:
    """The SLA clock starts at declaration, when paging starts.

    Acknowledged by the deadline: met; after it: breached. Never acknowledged: breached once the
    deadline passes while the incident is still open (or was resolved after it), met when it was
    resolved before the deadline, and pending while the deadline is still ahead.
    """
    deadline = declared + sla
    if acknowledged is not None:
        return "met" if acknowledged <= deadline else "breached"
    if resolved is not None:
        return "met" if resolved <= deadline else "breached"
    return "breached" if now > deadline else "pending"
