"""Table definitions (SQLAlchemy Core). Migrations in migrations/versions create them."""

from __future__ import annotations

import sqlalchemy as sa

from warroom.store.types import JSONDoc, UTCDateTime

metadata = sa.MetaData()

incidents = sa.Table(
    "incidents", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("human_id", sa.String(32), nullable=False, unique=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("type", sa.String(48), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("impact", sa.Text, nullable=False),
    sa.Column("visibility", sa.String(16), nullable=False),
    sa.Column("services", JSONDoc, nullable=False),
    sa.Column("roles", JSONDoc, nullable=False),
    sa.Column("responders", JSONDoc, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("is_drill", sa.Boolean, nullable=False),
    sa.Column("resolution", sa.Text, nullable=False),
    sa.Column("users_affected", sa.Integer),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("detected_at", UTCDateTime, nullable=False),
    sa.Column("declared_at", UTCDateTime, nullable=False),
    sa.Column("acknowledged_at", UTCDateTime),
    sa.Column("mitigated_at", UTCDateTime),
    sa.Column("resolved_at", UTCDateTime),
    sa.Column("closed_at", UTCDateTime),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("last_seq", sa.Integer, nullable=False),
    sa.Column("head_hash", sa.String(64), nullable=False),
    sa.Index("ix_incidents_declared", "declared_at", "id"),
    sa.Index("ix_incidents_status", "status", "declared_at"),
    sa.Index("ix_incidents_severity", "severity", "declared_at"),
    sa.Index("ix_incidents_status_severity", "status", "severity"),  # migration 0007
    sa.Index("ix_incidents_started", "started_at"),  # migration 0007
)

incident_services = sa.Table(
    "incident_services", metadata,
    sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("service", sa.String(64), primary_key=True),
    sa.Index("ix_incident_services_service", "service"),
)

incident_participants = sa.Table(
    "incident_participants", metadata,
    sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Index("ix_incident_participants_user", "username"),
)

incident_events = sa.Table(
    "incident_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(48), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.UniqueConstraint("incident_id", "seq", name="uq_incident_events_seq"),
)

incident_counters = sa.Table(
    "incident_counters", metadata,
    sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("value", sa.Integer, nullable=False),
)

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320)),
    sa.Column("password_hash", sa.Text),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("is_security", sa.Boolean, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

api_tokens = sa.Table(
    "api_tokens", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_used_at", UTCDateTime),
    sa.Column("revoked_at", UTCDateTime),
)

# Console sessions: the cookie carries a random secret; only its sha256 is stored (0013).
user_sessions = sa.Table(
    "user_sessions", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("revoked_at", UTCDateTime),
    sa.Index("ix_user_sessions_user", "user_id"),
)

# Secret iCal feed URLs, one live per user; only the secret's sha256 is stored (0013).
ical_feeds = sa.Table(
    "ical_feeds", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime),
    sa.Index("ix_ical_feeds_user", "user_id"),
)

audit_events = sa.Table(
    "audit_events", metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(48), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

kv = sa.Table(
    "kv", metadata,
    sa.Column("key", sa.String(128), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
