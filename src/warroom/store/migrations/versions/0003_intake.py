"""Intake: integrations, alerts with one open alert per key, groups, changes, silences, probes.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from warroom.store.types import JSONDoc, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_integrations",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("service", sa.String(64)),
        sa.Column("key", sa.String(128), nullable=False, unique=True),
        sa.Column("rate_limit", sa.Float),
        sa.Column("burst", sa.Integer),
        sa.Column("interval_seconds", sa.Float),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("integration", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("dedup_key", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("labels", JSONDoc, nullable=False),
        sa.Column("annotations", JSONDoc, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("severity_hint", sa.String(64)),
        sa.Column("service", sa.String(64)),
        sa.Column("starts_at", UTCDateTime),
        sa.Column("ends_at", UTCDateTime),
        sa.Column("first_seen", UTCDateTime, nullable=False),
        sa.Column("last_seen", UTCDateTime, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("links", JSONDoc, nullable=False),
        sa.Column("incident_id", sa.String(32)),
        sa.Column("silenced_by", sa.String(128)),
        sa.Column("acknowledged_at", UTCDateTime),
        sa.Column("raw", JSONDoc, nullable=False),
    )
    op.create_index("uq_alerts_open", "alerts", ["integration", "dedup_key"], unique=True,
                    sqlite_where=sa.text("status = 'firing'"),
                    postgresql_where=sa.text("status = 'firing'"))
    op.create_index("ix_alerts_key", "alerts", ["integration", "dedup_key", "id"])
    op.create_index("ix_alerts_incident", "alerts", ["incident_id", "status"])
    op.create_index("ix_alerts_last_seen", "alerts", ["last_seen", "id"])
    op.create_table(
        "alert_groups",
        sa.Column("incident_id", sa.String(32), primary_key=True),
        sa.Column("service", sa.String(64), primary_key=True),
        sa.Column("group_key", sa.String(500), primary_key=True),
        sa.Column("last_alert_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_alert_groups_lookup", "alert_groups", ["service", "group_key"])
    op.create_table(
        "change_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("integration", sa.String(64), nullable=False),
        sa.Column("service", sa.String(64)),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("source", sa.String(255)),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("links", JSONDoc, nullable=False),
        sa.Column("details", JSONDoc, nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_change_events_service", "change_events", ["service", "at"])
    op.create_table(
        "silences",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("matchers", JSONDoc, nullable=False),
        sa.Column("starts_at", UTCDateTime, nullable=False),
        sa.Column("ends_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expired_by", sa.String(64)),
    )
    op.create_index("ix_silences_ends", "silences", ["ends_at"])
    op.create_table(
        "heartbeats",
        sa.Column("integration", sa.String(64), primary_key=True),
        sa.Column("last_seen", UTCDateTime, nullable=False),
    )
    op.create_table(
        "probe_states",
        sa.Column("probe", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("consecutive_failures", sa.Integer, nullable=False),
        sa.Column("alerting", sa.Boolean, nullable=False),
        sa.Column("last_run_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "probe_results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("probe", sa.String(128), nullable=False),
        sa.Column("service", sa.String(64)),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("duration_ms", sa.Float),
        sa.Column("cert_expires_at", UTCDateTime),
    )
    op.create_index("ix_probe_results_probe", "probe_results", ["probe", "at"])


def downgrade() -> None:
    for table in ("probe_results", "probe_states", "heartbeats", "silences", "change_events",
                  "alert_groups", "alerts", "intake_integrations"):
        op.drop_table(table)
