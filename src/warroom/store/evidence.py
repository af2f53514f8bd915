"""Tables for what follows an incident: postmortems with revisions, action items, and when
each runbook was last exercised by a drill."""

from __future__ import annotations

import sqlalchemy as sa

from warroom.store.schema import metadata
from warroom.store.types import UTCDateTime

postmortems = sa.Table(
    "postmortems", metadata,
    sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("due_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("published_at", UTCDateTime),
    sa.Column("overdue_at", UTCDateTime),
)

postmortem_revisions = sa.Table(
    "postmortem_revisions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("markdown", sa.Text, nullable=False),
    sa.Column("author", sa.String(128), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("incident_id", "revision", name="uq_postmortem_revisions_rev"),
)

action_items = sa.Table(
    "action_items", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id", ondelete="CASCADE"),
              nullable=False),
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
    sa.Index("ix_action_items_incident", "incident_id", "id"),
    sa.Index("ix_action_items_due", "status", "due_at"),
)

runbook_tests = sa.Table(
    "runbook_tests", metadata,
    sa.Column("runbook_id", sa.String(128), primary_key=True),
    sa.Column("last_tested", UTCDateTime, nullable=False),
    sa.Column("incident_id", sa.String(32)),
    sa.Column("scenario", sa.String(128)),
    sa.Column("passed", sa.Boolean),
)
