"""Reads published incidents from the store and assembles the status page, cached per
commit."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime, timedelta

import sqlalchemy as sa

from warroom.domain.incident import ACTIVE_STATUSES
from warroom.runtime import Runtime
from warroom.status.maintenance import maintenances
from warroom.status.model import (
    IncidentRow,
    PublicService,
    StatusPage,
    components_now,
    public_incident,
    uptime,
)
from warroom.store import db
from warroom.store.incidents import load_events
from warroom.store.publications import (
    first_seen,
    publications,
    published_clause,
    record_first_seen,
)
from warroom.store.schema import incident_services, incidents
from warroom.web.broadcast import live_broadcaster

WINDOW_DAYS = 90
HISTORY_SHOWN = 50
CACHE_SECONDS = 30


def public_services(runtime: Runtime) -> list[PublicService]:
    return [PublicService(s.name, s.component_name or s.name, s.description, i + 1)
            for i, s in enumerate(s for s in runtime.config.services if s.public)]


def page_id(runtime: Runtime) -> str:
    return hashlib.sha256(runtime.config.organisation.name.encode()).hexdigest()[:12]


def _rows(conn: sa.Connection, services: list[str], since: datetime,
          rank: dict[str, int]) -> list[IncidentRow]:
    """Published incidents only: normal visibility, not drills, touching a public service,
    published, and open or resolved inside the window."""
    touching = sa.exists().where(incident_services.c.incident_id == incidents.c.id,
                                 incident_services.c.service.in_(services))
    query = sa.select(
        incidents.c.id, incidents.c.human_id, incidents.c.title, incidents.c.severity,
        incidents.c.status, incidents.c.services, incidents.c.declared_at,
        incidents.c.started_at, incidents.c.updated_at, incidents.c.resolved_at,
    ).where(incidents.c.visibility == "normal", incidents.c.is_drill.is_(False), touching,
            published_clause(), sa.or_(incidents.c.status.in_(list(ACTIVE_STATUSES)),
                   incidents.c.resolved_at >= since)
            ).order_by(incidents.c.declared_at.desc())
    found = list(conn.execute(query))
    published = publications(conn, [r.id for r in found])
    return [IncidentRow(r.id, r.human_id, r.title, rank.get(r.severity, len(rank)), r.status,
                        tuple(r.services), r.declared_at, r.started_at, r.updated_at,
                        r.resolved_at, published.get(r.id)) for r in found
            if r.id in published]


def page_items(runtime: Runtime) -> list[str]:
    """The keys whose first appearance gives a component's or maintenance's created_at."""
    planned = maintenances(runtime.config, runtime.loaded.origins)
    return [f"component:{s.name}" for s in public_services(runtime)] + \
        [f"maintenance:{m.id}" for m in planned]


def stamp_page_items(runtime: Runtime, conn: sa.Connection) -> None:
    record_first_seen(conn, page_items(runtime), runtime.clock.now())


def build_status_page(runtime: Runtime) -> StatusPage:
    now = runtime.clock.now()
    since = now - timedelta(days=WINDOW_DAYS)
    services = public_services(runtime)
    names = {s.name: s.component_name for s in services}
    rank = {key: i for i, key in enumerate(runtime.vocab.scheme.keys())}
    keys = page_items(runtime)
    with db.read(runtime.engine) as conn:
        created = first_seen(conn, keys)
    if len(created) < len(keys):  # new in config since the last start: stamp it once
        with runtime.engine.begin() as conn:
            stamp_page_items(runtime, conn)
            created = first_seen(conn, keys)
    planned = [replace(m, created_at=created.get(f"maintenance:{m.id}")) for m in
               maintenances(runtime.config, runtime.loaded.origins)]
    with db.read(runtime.engine) as conn:
        rows = _rows(conn, list(names), since, rank) if names else []
        shown = [r for r in rows if r.status in ACTIVE_STATUSES]
        shown += [r for r in rows if r.status not in ACTIVE_STATUSES][:HISTORY_SHOWN]
        shown.sort(key=lambda r: r.declared_at, reverse=True)
        public = [public_incident(r, load_events(conn, r.id), names) for r in shown]
    components = components_now(services, public, planned, now, {
        s.name: created.get(f"component:{s.name}", now) for s in services})
    org = runtime.config.organisation
    return StatusPage(
        name=org.status_page_title or f"{org.name} status",
        url=f"{runtime.settings.public_url}/status", time_zone=org.timezone,
        page_id=page_id(runtime), now=now, components=components, incidents=public,
        maintenances=planned,
        uptime={s.name: uptime(rows, s.name, now, WINDOW_DAYS) for s in services})


def status_page(runtime: Runtime) -> StatusPage:
    """The page, recomputed after any commit or every CACHE_SECONDS (time moves bars)."""
    generation = live_broadcaster(runtime).generation
    now = runtime.clock.now()
    cached = runtime.extras.get("status_page")
    if cached and cached[0] == generation and 0 <= (now - cached[1]).total_seconds() < \
            CACHE_SECONDS:
        page: StatusPage = cached[2]
        return page
    page = build_status_page(runtime)
    runtime.extras["status_page"] = (generation, now, page)
    return page
