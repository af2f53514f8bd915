"""Alert expiry: firing alerts from the Alertmanager API, by `ends_at`, for the expiry pass.

Revision ID: 0010_flows
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_flows"
down_revision = "0003"
branch_labels = None
depends_on = None

# A copy, not an import: a migration must keep meaning what it meant when it was written.
EXPIRY_WHERE = "status = 'firing' AND source = 'prometheus'"


def upgrade() -> None:
    # The expiry pass reads, every second, the firing alerts whose endsAt passed; this index
    # holds only firing alerts from Prometheus, so the read stays small however many resolved
    # alerts the table keeps.
    op.create_index("ix_alerts_expiry", "alerts", ["ends_at"],
                    sqlite_where=sa.text(EXPIRY_WHERE), postgresql_where=sa.text(EXPIRY_WHERE))


def downgrade() -> None:
    op.drop_index("ix_alerts_expiry", "alerts")
