"""Example data for `warroom report`: a handful of realistic past incidents, declared,
acknowledged, mitigated and resolved at their own times through the incident service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from warroom.clock import FakeClock
from warroom.domain import incident as dom
from warroom.engine.plugins import install
from warroom.runtime import Runtime
from warroom.services.incidents import IncidentService
from warroom.services.principal import Principal


@dataclass(frozen=True)
class ExampleIncident:
    title: str
    severity: str
    services: tuple[str, ...]
    days_ago: int
    ack_minutes: float
    mitigate_minutes: float | None
    resolve_minutes: float | None
    detect_lag_minutes: float = 2
    drill: bool = False


EXAMPLE_INCIDENTS: tuple[ExampleIncident, ...] = (
    ExampleIncident("Checkout API returns 503", "P0", ("api",), 40, 3, 19, 40),
    ExampleIncident("Login fails for SSO users", "P0", ("auth",), 33, 7, 25, 55, 4),
    ExampleIncident("Primary database replication lag", "P1", ("database",), 26, 9, 35, 80),
    ExampleIncident("Frontend assets 404 after deploy", "P1", ("frontend",), 19, 12, 20, 30),
    ExampleIncident("Slow search queries", "P2", ("api", "database"), 12, 35, 90, 240, 10),
    ExampleIncident("Monitoring gaps in one region", "P3", ("monitoring",), 6, 300, None, 900),
    ExampleIncident("Elevated 5xx on api", "P1", ("api",), 1, 6, None, None),
    ExampleIncident("Monthly P0 drill: frontend down", "P0", ("frontend",), 15, 2, 8, 12,
                    drill=True),
)


def seed_examples(runtime: Runtime, who: Principal, now: datetime,
                  examples: tuple[ExampleIncident, ...] = EXAMPLE_INCIDENTS) -> list[str]:
    """Declare, acknowledge, mitigate and resolve each example at its own past times, using a
    FakeClock so the stored milestones are exactly the example's; returns the human ids."""
    clock = FakeClock(now)
    # A runtime of its own, so every plugin hook (postmortem drafts, timers) sees the
    # example's past times rather than the real clock.
    seeded = Runtime(settings=runtime.settings, engine=runtime.engine, loaded=runtime.loaded,
                     clock=clock)
    install(seeded)
    svc = IncidentService(seeded)
    known = set(runtime.config.service_names())
    ids = []
    for ex in examples:
        declared_at = now - timedelta(days=ex.days_ago)
        clock.set(declared_at)
        services = tuple(s for s in ex.services if not known or s in known)
        result = svc.declare(who, dom.Declare(
            title=ex.title, severity=ex.severity, services=services, drill=ex.drill,
            started_at=declared_at - timedelta(minutes=ex.detect_lag_minutes),
            detected_at=declared_at), followups=(dom.AssignRole("commander", who.name),))
        ref = result.incident.human_id
        ids.append(ref)
        clock.set(declared_at + timedelta(minutes=ex.ack_minutes))
        svc.execute(who, ref, dom.Acknowledge())
        if ex.mitigate_minutes is not None:
            clock.set(declared_at + timedelta(minutes=ex.mitigate_minutes))
            svc.execute(who, ref, dom.SetStatus("monitoring"))
        if ex.resolve_minutes is not None:
            clock.set(declared_at + timedelta(minutes=ex.resolve_minutes))
            svc.execute(who, ref, dom.Resolve("Resolved (example data)"))
    return ids
