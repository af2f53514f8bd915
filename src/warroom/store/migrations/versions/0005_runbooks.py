"""Runbook engine: attachments, runs, steps, artifacts, approvals, reverts, schedules.

Revision ID: 0005
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from warroom.store.types import JSONDoc, UTCDateTime

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runbook_attachments",
        sa.Column("incident_id", sa.String(32), primary_key=True),
        sa.Column("runbook_id", sa.String(200), primary_key=True),
        sa.Column("attached_by", sa.String(64), nullable=False),
        sa.Column("attached_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "runbook_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("runbook_id", sa.String(200), nullable=False),
        sa.Column("incident_id", sa.String(32)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(200), nullable=False),
        sa.Column("started_by", sa.String(64), nullable=False),
        sa.Column("params", JSONDoc, nullable=False),
        sa.Column("service", sa.String(64)),
        sa.Column("scheduled_for", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
    )
    op.create_index("ux_runbook_runs_schedule", "runbook_runs", ["runbook_id", "scheduled_for"],
                    unique=True,
                    sqlite_where=sa.text("scheduled_for IS NOT NULL"),
                    postgresql_where=sa.text("scheduled_for IS NOT NULL"))
    op.create_index("ix_runbook_runs_incident", "runbook_runs", ["incident_id", "created_at"])
    op.create_index("ix_runbook_runs_runbook", "runbook_runs", ["runbook_id", "created_at"])
    op.create_table(
        "runbook_steps",
        sa.Column("run_id", sa.String(32), primary_key=True),
        sa.Column("step_id", sa.String(200), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("actor", sa.String(64)),
        sa.Column("rendered", sa.String(None)),
        sa.Column("detail", sa.String(None)),
        sa.Column("note", sa.String(None)),
        sa.Column("exit_code", sa.Integer),
        sa.Column("output_sha256", sa.String(64)),
        sa.Column("mode", sa.String(16)),
        sa.Column("started_at", UTCDateTime),
        sa.Column("finished_at", UTCDateTime),
    )
    op.create_table(
        "artifacts",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "approval_requests",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("step_id", sa.String(200), nullable=False),
        sa.Column("incident_id", sa.String(32)),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", UTCDateTime, nullable=False),
        sa.Column("roles", JSONDoc, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(None), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_approval_requests_status", "approval_requests", ["status", "requested_at"])
    op.create_index("ix_approval_requests_run", "approval_requests", ["run_id", "step_id"])
    op.create_table(
        "approval_decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(32), nullable=False),
        sa.Column("approver", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("roles", JSONDoc, nullable=False),
        sa.Column("reason", sa.String(None), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_approval_decisions_request", "approval_decisions", ["request_id", "id"])
    op.create_table(
        "revert_deadlines",
        sa.Column("run_id", sa.String(32), primary_key=True),
        sa.Column("step_id", sa.String(200), primary_key=True),
        sa.Column("incident_id", sa.String(32)),
        sa.Column("revert_step", sa.String(200)),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "runbook_schedules",
        sa.Column("runbook_id", sa.String(200), primary_key=True),
        sa.Column("cron", sa.String(200), nullable=False),
        sa.Column("since", UTCDateTime, nullable=False),
    )
    op.create_table(
        "automation_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("incident_id", sa.String(32)),
        sa.Column("service", sa.String(64), nullable=False),
        sa.Column("runbook_id", sa.String(200), nullable=False),
        sa.Column("step_id", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(None), nullable=False),
        sa.Column("run_id", sa.String(32)),
        sa.Column("requested_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_automation_requests_service", "automation_requests",
                    ["service", "requested_at"])
    op.create_index("ix_automation_requests_status", "automation_requests", ["status", "id"])
    op.create_table(
        "run_events",
        sa.Column("run_id", sa.String(32), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(48), nullable=False),
        sa.Column("data", JSONDoc, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for name in ("run_events", "automation_requests", "runbook_schedules", "revert_deadlines",
                 "approval_decisions", "approval_requests", "artifacts", "runbook_steps",
                 "runbook_runs", "runbook_attachments"):
        op.drop_table(name)
