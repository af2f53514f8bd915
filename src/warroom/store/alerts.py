"""Intake tables: integrations, alerts (one open per key), groups, changes, silences, probes."""

from __future__ import annotations

import sqlalchemy as sa

from warroom.store.schema import metadata
from warroom.store.types import JSONDoc, UTCDateTime

integrations = sa.Table(
    "intake_integrations", metadata,
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

# Firing alerts that reached no incident and no silence or suppressing rule: nobody was paged.
# Queries spell it exactly like this (not with bound parameters) so that SQLite, which matches
# a partial index's terms literally, uses ix_alerts_unrouted.
UNROUTED_WHERE = "status = 'firing' AND incident_id IS NULL AND silenced_by IS NULL"

# Firing alerts from the Alertmanager API, which expire at `ends_at` (the expiry pass); spelled
# literally for the same reason as UNROUTED_WHERE.
EXPIRY_WHERE = "status = 'firing' AND source = 'prometheus'"

alerts = sa.Table(
    "alerts", metadata,
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
    # The database, not the code, guarantees one open alert per key, across instances too.
    sa.Index("uq_alerts_open", "integration", "dedup_key", unique=True,
             sqlite_where=sa.text("status = 'firing'"),
             postgresql_where=sa.text("status = 'firing'")),
    sa.Index("ix_alerts_key", "integration", "dedup_key", "id"),
    sa.Index("ix_alerts_incident", "incident_id", "status"),
    sa.Index("ix_alerts_last_seen", "last_seen", "id"),
    sa.Index("ix_alerts_unrouted", "status", "incident_id", "silenced_by", "id",
             sqlite_where=sa.text(UNROUTED_WHERE), postgresql_where=sa.text(UNROUTED_WHERE)),
    sa.Index("ix_alerts_expiry", "ends_at",
             sqlite_where=sa.text(EXPIRY_WHERE), postgresql_where=sa.text(EXPIRY_WHERE)),
)

alert_groups = sa.Table(
    "alert_groups", metadata,
    sa.Column("incident_id", sa.String(32), primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Column("group_key", sa.String(500), primary_key=True),
    sa.Column("last_alert_at", UTCDateTime, nullable=False),
    sa.Index("ix_alert_groups_lookup", "service", "group_key"),
)

change_events = sa.Table(
    "change_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("integration", sa.String(64), nullable=False),
    sa.Column("service", sa.String(64)),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("source", sa.String(255)),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("links", JSONDoc, nullable=False),
    sa.Column("details", JSONDoc, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Index("ix_change_events_service", "service", "at"),
    sa.Index("ix_change_events_at", "at", "id"),
)

silences = sa.Table(
    "silences", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("matchers", JSONDoc, nullable=False),
    sa.Column("starts_at", UTCDateTime, nullable=False),
    sa.Column("ends_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expired_by", sa.String(64)),
    sa.Index("ix_silences_ends", "ends_at"),
)

heartbeats = sa.Table(
    "heartbeats", metadata,
    sa.Column("integration", sa.String(64), primary_key=True),
    sa.Column("last_seen", UTCDateTime, nullable=False),
)

probe_states = sa.Table(
    "probe_states", metadata,
    sa.Column("probe", sa.String(128), primary_key=True),
    sa.Column("kind", sa.String(8), primary_key=True),
    sa.Column("consecutive_failures", sa.Integer, nullable=False),
    sa.Column("alerting", sa.Boolean, nullable=False),
    sa.Column("last_run_at", UTCDateTime, nullable=False),
)

probe_results = sa.Table(
    "probe_results", metadata,
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
    sa.Index("ix_probe_results_probe", "probe", "at"),
)
