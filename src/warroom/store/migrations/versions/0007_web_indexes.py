"""Console indexes: open-incident counts by severity, and the metrics window by start time.

Revision ID: 0007_web_indexes
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0007_web_indexes"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The dashboard counts open incidents per severity; (status, severity) answers each count
    # from the index alone instead of scanning every incident of that severity.
    op.create_index("ix_incidents_status_severity", "incidents", ["status", "severity"])
    op.create_index("ix_incidents_started", "incidents", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_incidents_started", "incidents")
    op.drop_index("ix_incidents_status_severity", "incidents")
