"""Server-side console sessions (revocable) and per-user secret iCal feed URLs.

Revision ID: 0013_access
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from warroom.store.types import UTCDateTime

revision = "0013_access"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("revoked_at", UTCDateTime),
    )
    op.create_index("ix_user_sessions_user", "user_sessions", ["user_id"])
    op.create_table(
        "ical_feeds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("revoked_at", UTCDateTime),
    )
    op.create_index("ix_ical_feeds_user", "ical_feeds", ["user_id"])


def downgrade() -> None:
    op.drop_table("ical_feeds")
    op.drop_table("user_sessions")
