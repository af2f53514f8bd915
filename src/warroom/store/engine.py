"""Durable timers and the notification outbox: rows claimed by workers under leases."""

from __future__ import annotations

import sqlalchemy as sa

from warroom.store.schema import metadata
from warroom.store.types import UTCDateTime

timers = sa.Table(
    "timers", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(200), nullable=False, unique=True),
    sa.Column("kind", sa.String(48), nullable=False),
    sa.Column("incident_id", sa.String(32)),
    sa.Column("due_at", UTCDateTime, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("lease_until", UTCDateTime),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claim_id", sa.String(32)),  # fencing token: changes with every claim
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("fired_at", UTCDateTime),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_timers_due", "status", "due_at"),
    sa.Index("ix_timers_incident", "incident_id", "kind"),
)

outbox = sa.Table(
    "outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("destination", sa.String(320)),
    sa.Column("incident_id", sa.String(32)),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("lease_until", UTCDateTime),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claim_id", sa.String(32)),  # fencing token: changes with every claim
    sa.Column("last_status", sa.String(64)),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),
    sa.Index("ix_outbox_due", "status", "next_attempt_at"),
    sa.Index("ix_outbox_incident", "incident_id", "channel", "id"),
)

# One row per delivery attempt of an outbox row, including results dropped because the
# worker had lost its claim (outcome "stale"): the audit of what was actually sent.
outbox_attempts = sa.Table(
    "outbox_attempts", metadata,
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
    sa.Index("ix_outbox_attempts_row", "outbox_id", "id"),
    sa.Index("ix_outbox_attempts_incident", "incident_id", "id"),
)
