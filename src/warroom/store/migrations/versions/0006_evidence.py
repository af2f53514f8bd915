"""Evidence: postmortems and their revisions, action items, runbook test records.

Revision ID: 0006
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from warroom.store.types import UTCDateTime

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "postmortems",
        sa.Column("incident_id", sa.String(32),
                  sa.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("due_at", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("published_at", UTCDateTime),
        sa.Column("overdue_at", UTCDateTime),
    )
    op.create_table(
        "postmortem_revisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(32),
                  sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("markdown", sa.Text, nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("incident_id", "revision", name="uq_postmortem_revisions_rev"),
    )
    op.create_table(
        "action_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(32),
                  sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("owner", sa.String(64)),
        sa.Column("due_at", UTCDateTime),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("external_url", sa.Text),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("reminded_at", UTCDateTime),
    )
    op.create_index("ix_action_items_incident", "action_items", ["incident_id", "id"])
    op.create_index("ix_action_items_due", "action_items", ["status", "due_at"])
    op.create_table(
        "runbook_tests",
        sa.Column("runbook_id", sa.String(128), primary_key=True),
        sa.Column("last_tested", UTCDateTime, nullable=False),
        sa.Column("incident_id", sa.String(32)),
        sa.Column("scenario", sa.String(128)),
        sa.Column("passed", sa.Boolean),
    )


def downgrade() -> None:
    op.drop_table("runbook_tests")
    op.drop_table("action_items")
    op.drop_table("postmortem_revisions")
    op.drop_table("postmortems")
