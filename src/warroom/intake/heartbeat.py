"""Heartbeats: a source pings on a schedule; a missed ping raises an alert, the next resolves it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from warroom.intake.signal import Signal

SOURCE = "heartbeat"


@dataclass(frozen=True)
class Heartbeat:
    """A heartbeat integration: `name` pings at least every `interval`."""

    name: str
    integration: str
    interval: timedelta
    service: str | None = None


def deadline(heartbeat: Heartbeat, last_seen: datetime) -> datetime:
    """The instant after which the heartbeat counts as missed (the engine sets a timer here)."""
    return last_seen + heartbeat.interval


def is_missed(heartbeat: Heartbeat, last_seen: datetime, now: datetime) -> bool:
    """Missed when longer than one interval has passed since the last ping.

    `last_seen` is the last ping, or when the heartbeat was created if it never pinged.
    """
    return now > deadline(heartbeat, last_seen)


def dedup_key(heartbeat: Heartbeat) -> str:
    return f"heartbeat:{heartbeat.name}"


def evaluate(heartbeat: Heartbeat, last_seen: datetime, now: datetime,
             alerting: bool) -> Signal | None:
    """The Signal to emit given whether an alert is already open, or None when nothing changes."""
    missed = is_missed(heartbeat, last_seen, now)
    if missed == alerting:
        return None
    labels = {"alertname": "HeartbeatMissed", "heartbeat": heartbeat.name}
    if heartbeat.service:
        labels["service"] = heartbeat.service
    overdue = now - deadline(heartbeat, last_seen)
    summary = (f"Heartbeat {heartbeat.name} missed: no ping since {last_seen.isoformat()} "
               f"(interval {heartbeat.interval}, overdue by {overdue})" if missed
               else f"Heartbeat {heartbeat.name} is back")
    return Signal(
        source=SOURCE,
        integration=heartbeat.integration,
        dedup_key=dedup_key(heartbeat),
        status="firing" if missed else "resolved",
        summary=summary,
        labels=labels,
        annotations={"last_seen": last_seen.isoformat(),
                     "interval_seconds": str(int(heartbeat.interval.total_seconds()))},
        starts_at=deadline(heartbeat, last_seen) if missed else None,
        ends_at=None if missed else now,
    )
