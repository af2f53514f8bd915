"""Dashboard indexes on intake tables: firing alerts that reached no incident, and the newest
changes across every service.

Revision ID: 0008_dashboard_intake_indexes
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_dashboard_intake_indexes"
down_revision = "0003"
branch_labels = None
depends_on = None

# A copy, not an import: a migration must keep meaning what it meant when it was written.
UNROUTED_WHERE = "status = 'firing' AND incident_id IS NULL AND silenced_by IS NULL"


def upgrade() -> None:
    # Holds only the few alerts nobody was paged for, so the dashboard counts them and reads
    # the newest without touching the (large) rest of the table. The predicate's columns are
    # also the keys: SQLite's planner otherwise prefers ix_alerts_incident, which covers
    # every firing alert without an incident, silenced ones included.
    op.create_index("ix_alerts_unrouted", "alerts",
                    ["status", "incident_id", "silenced_by", "id"],
                    sqlite_where=sa.text(UNROUTED_WHERE),
                    postgresql_where=sa.text(UNROUTED_WHERE))
    # The dashboard's "recent changes" reads the newest changes of every service;
    # ix_change_events_service only serves one service at a time.
    op.create_index("ix_change_events_at", "change_events", ["at", "id"])


def downgrade() -> None:
    op.drop_index("ix_change_events_at", "change_events")
    op.drop_index("ix_alerts_unrouted", "alerts")
