"""Acknowledge links in pages: the links already used, so each works only once.

Revision ID: 0011_peers
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from warroom.store.types import UTCDateTime

revision = "0011_peers"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ack_link_uses",
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("incident_id", sa.String(32), nullable=False),
        sa.Column("user", sa.String(64), nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ack_link_uses")
