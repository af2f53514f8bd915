"""Paging: per-incident escalation state and runtime on-call overrides.

Revision ID: 0004
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from warroom.store.types import UTCDateTime

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

JSONDoc = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "paging_state",
        sa.Column("incident_id", sa.String(32), primary_key=True),
        sa.Column("policy", sa.String(64)),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("steps", JSONDoc, nullable=False),
        sa.Column("fired", JSONDoc, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("update_seq", sa.Integer, nullable=False),
        sa.Column("last_update_at", UTCDateTime),
        sa.Column("next_update_at", UTCDateTime),
        sa.Column("bridge_url", sa.Text),
        sa.Column("chat_channel", sa.String(100)),
        sa.Column("chat_channel_id", sa.String(64)),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "schedule_overrides",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("schedule", sa.String(64), nullable=False),
        sa.Column("user", sa.String(64), nullable=False),
        sa.Column("start_at", UTCDateTime, nullable=False),
        sa.Column("end_at", UTCDateTime, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_schedule_overrides_schedule", "schedule_overrides",
                    ["schedule", "end_at"])


def downgrade() -> None:
    op.drop_table("schedule_overrides")
    op.drop_table("paging_state")
