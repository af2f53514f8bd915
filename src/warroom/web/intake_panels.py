"""The dashboard's intake panels: firing alerts nobody was paged for, and recent changes."""

from __future__ import annotations

from typing import Any

from warroom.api.deps import Services
from warroom.api.routers import changes as changes_api
from warroom.api.routers.alerts import alert_json
from warroom.intake.unrouted import count_unrouted, newest_unrouted
from warroom.services.principal import Principal, require

UNROUTED_SHOWN = 10
CHANGES_SHOWN = 8
CHANGES_HOURS = 7 * 24


def unrouted_alerts(svc: Services, caller: Principal | None) -> dict[str, Any]:
    """How many alerts fire with no incident, and the newest few (raw payloads left out)."""
    require(caller, "viewer", "listing alerts")
    with svc.runtime.engine.connect() as conn:
        rows = newest_unrouted(conn, UNROUTED_SHOWN)
        count = len(rows) if len(rows) < UNROUTED_SHOWN else count_unrouted(conn)
    return {"count": count, "items": [alert_json(row) for row in rows]}


def recent_changes(svc: Services, caller: Principal | None) -> dict[str, Any]:
    """The newest changes to any service in the last week, through the changes API."""
    return changes_api.recent_changes(svc, caller, service=None, hours=CHANGES_HOURS,
                                      limit=CHANGES_SHOWN)
