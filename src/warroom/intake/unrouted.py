"""Unrouted alerts: firing, attached to no incident, neither silenced nor suppressed by a
rule, so nobody was paged (the rules chose not to declare, or declaring failed)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from warroom.store.alerts import UNROUTED_WHERE, alerts


def unrouted_clause() -> sa.TextClause:
    """The WHERE clause, written as the partial index ix_alerts_unrouted is."""
    return sa.text(UNROUTED_WHERE)


def count_unrouted(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(alerts)
                            .where(unrouted_clause())).scalar_one())


def newest_unrouted(conn: sa.Connection, limit: int) -> list[sa.Row[Any]]:
    """The most recently opened unrouted alerts, newest first."""
    columns = [c for c in alerts.c if c.name != "raw"]  # payloads can be large; not shown
    # Ordered by the index's own keys (constant here, so it is still newest first): with a
    # plain `id DESC`, PostgreSQL walks the primary key backwards expecting to meet unrouted
    # alerts soon, and reads the whole table when there are none.
    order = (alerts.c.incident_id.desc(), alerts.c.silenced_by.desc(), alerts.c.id.desc())
    return list(conn.execute(sa.select(*columns).where(unrouted_clause())
                             .order_by(*order).limit(limit)))
