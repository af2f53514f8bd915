"""Several instances: a fencing claim id on outbox rows and timers, and one row per delivery
attempt.

Revision ID: 0015_cluster
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from warroom.store.types import UTCDateTime

revision = "0015_cluster"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claim_id", sa.String(32)))
    with op.batch_alter_table("timers") as batch:
        batch.add_column(sa.Column("claim_id", sa.String(32)))
    op.create_table(
        "outbox_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("outbox_id", sa.Integer, nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("incident_id", sa.String(32)),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("claim_id", sa.String(32), nullable=False),
        sa.Column("worker", sa.String(64), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text),
    )
    op.create_index("ix_outbox_attempts_row", "outbox_attempts", ["outbox_id", "id"])
    op.create_index("ix_outbox_attempts_incident", "outbox_attempts", ["incident_id", "id"])


def downgrade() -> None:
    op.drop_table("outbox_attempts")
    with op.batch_alter_table("timers") as batch:
        batch.drop_column("claim_id")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claim_id")
