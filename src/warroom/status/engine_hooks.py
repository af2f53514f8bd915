"""Status page hooks: stamp when each component and maintenance first appears, at start and
with every publication, so their created_at is a real, fixed instant."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from warroom.domain.events import Event
from warroom.domain.incident import IncidentState
from warroom.domain.publication import PUBLISHED
from warroom.runtime import Runtime
from warroom.status.source import stamp_page_items

log = logging.getLogger(__name__)


def install(runtime: Runtime) -> None:
    try:
        with runtime.engine.begin() as conn:
            stamp_page_items(runtime, conn)
    except (sa.exc.DBAPIError, ValueError):  # not migrated yet, or a config error the
        # status page itself reports: stamped on its first good build instead
        log.debug("status page items not stamped at start", exc_info=True)

    def on_published(conn: sa.Connection, state: IncidentState, events: list[Event]) -> None:
        if any(e.kind == PUBLISHED for e in events):
            try:
                stamp_page_items(runtime, conn)
            except ValueError:  # a maintenance config error must not block publishing
                log.warning("status page items not stamped", exc_info=True)

    runtime.hooks.in_transaction.append(on_published)
