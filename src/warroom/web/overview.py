"""The dashboard's data, one JSON-able dict shared by the page and GET /api/v1/dashboard."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from warroom.api.deps import Services
from warroom.api.presenters import incident_json
from warroom.domain.incident import ACTIVE_STATUSES, IncidentState
from warroom.evidence.metrics import compute_metrics
from warroom.evidence.reporting import metrics_rows
from warroom.evidence.trends import month_start
from warroom.runtime import Runtime
from warroom.services.principal import Principal, require
from warroom.store import db
from warroom.store.incidents import IncidentFilter
from warroom.store.schema import incidents
from warroom.web.broadcast import live_broadcaster
from warroom.web.intake_panels import recent_changes, unrouted_alerts
from warroom.web.rota import on_call_now

OPEN_SHOWN = 25  # per severity; the count says how many more there are
TREND_MONTHS = 6
METRICS_TTL_SECONDS = 60


def dashboard_data(svc: Services, caller: Principal | None) -> dict[str, Any]:
    who = require(caller, "viewer", "reading the dashboard")
    runtime = svc.runtime
    now = runtime.clock.now()
    scheme = runtime.vocab.scheme
    groups = []
    counts = svc.incidents.count_by_severity(who, IncidentFilter(status=list(ACTIVE_STATUSES)))
    for level in scheme.levels:
        items: list[IncidentState] = []
        if counts.get(level.key):
            flt = IncidentFilter(status=list(ACTIVE_STATUSES), severity=[level.key])
            items, _ = svc.incidents.list(who, flt, OPEN_SHOWN)
        groups.append({"severity": level.key, "name": level.name,
                       "count": counts.get(level.key, 0),
                       "incidents": [incident_json(i, scheme, now) for i in items]})
    return {
        "generated_at": now.isoformat(),
        "open": groups,
        "open_total": sum(g["count"] for g in groups),
        "on_call": on_call_now(runtime, now),
        "metrics": month_metrics(runtime, now, who.sees_restricted),
        "unrouted_alerts": unrouted_alerts(svc, who),
        "recent_changes": recent_changes(svc, who),
    }


def month_metrics(runtime: Runtime, now: datetime, sees_restricted: bool) -> dict[str, Any]:
    """This month's MTTA/MTTR and a six-month trend, cached until the next commit or a minute.

    Callers who may not see restricted incidents get figures over normal incidents only, so
    the numbers cannot hint at restricted work."""
    generation = live_broadcaster(runtime).generation
    key = f"web_metrics:{'all' if sees_restricted else 'normal'}"
    cached = runtime.extras.get(key)
    if cached and cached[0] == generation and (now - cached[1]).total_seconds() < \
            METRICS_TTL_SECONDS and cached[1].month == now.month:
        result: dict[str, Any] = cached[2]
        return result
    result = _compute(runtime, now, sees_restricted)
    runtime.extras[key] = (generation, now, result)
    return result


def _compute(runtime: Runtime, now: datetime, sees_restricted: bool) -> dict[str, Any]:
    scheme = runtime.vocab.scheme
    since = month_start(now, TREND_MONTHS - 1)
    # Not the caller's participant view: figures over restricted incidents they took part in
    # would hint at them, so such callers get normal incidents only.
    visible = sa.true() if sees_restricted else incidents.c.visibility == "normal"
    with db.read(runtime.engine) as conn:
        rows = metrics_rows(conn, runtime.config, visible, since)
    report = compute_metrics(rows, now, "month", scheme.keys())
    periods = {g.key: g for g in report.by_period}
    trend = []
    for back in range(TREND_MONTHS - 1, -1, -1):
        key = month_start(now, back).strftime("%Y-%m")
        group = periods.get(key)
        trend.append({"month": key, "incidents": group.incidents if group else 0,
                      "mtta_median": group.mtta.median if group else None,
                      "mttr_median": group.mttr.median if group else None})
    this = periods.get(now.strftime("%Y-%m"))
    return {
        "month": now.strftime("%Y-%m"),
        "incidents": this.incidents if this else 0,
        "mtta_median": this.mtta.median if this else None,
        "mtta_p90": this.mtta.p90 if this else None,
        "mttr_median": this.mttr.median if this else None,
        "mttr_p90": this.mttr.p90 if this else None,
        "ack_sla_compliance": this.ack_sla.compliance if this else None,
        "trend": trend,
        "unit": "seconds",
    }
