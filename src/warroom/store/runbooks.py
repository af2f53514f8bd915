"""Tables of the runbook engine: attachments, runs and their steps, artifacts, approvals,
revert deadlines, schedule cursors, automation log and the chain of standalone runs."""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa

from warroom.store.schema import metadata
from warroom.store.types import JSONDoc, UTCDateTime

runbook_attachments = sa.Table(
    "runbook_attachments", metadata,
    sa.Column("incident_id", sa.String(32), primary_key=True),
    sa.Column("runbook_id", sa.String(200), primary_key=True),
    sa.Column("attached_by", sa.String(64), nullable=False),
    sa.Column("attached_at", UTCDateTime, nullable=False),
)

runbook_runs = sa.Table(
    "runbook_runs", metadata,
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
    sa.Index("ix_runbook_runs_runbook", "runbook_id", "created_at"),
    sa.Index("ix_runbook_runs_incident", "incident_id", "created_at"),
    sa.Index("ux_runbook_runs_schedule", "runbook_id", "scheduled_for", unique=True,
             sqlite_where=sa.text("scheduled_for IS NOT NULL"),
             postgresql_where=sa.text("scheduled_for IS NOT NULL")),
)

runbook_steps = sa.Table(
    "runbook_steps", metadata,
    sa.Column("run_id", sa.String(32), primary_key=True),
    sa.Column("step_id", sa.String(200), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("state", sa.String(24), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("actor", sa.String(64)),
    sa.Column("rendered", sa.Text),
    sa.Column("detail", sa.Text),
    sa.Column("note", sa.Text),
    sa.Column("exit_code", sa.Integer),
    sa.Column("output_sha256", sa.String(64)),
    sa.Column("mode", sa.String(16)),
    sa.Column("started_at", UTCDateTime),
    sa.Column("finished_at", UTCDateTime),
)

artifacts = sa.Table(
    "artifacts", metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

approval_requests = sa.Table(
    "approval_requests", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("run_id", sa.String(32), nullable=False),
    sa.Column("step_id", sa.String(200), nullable=False),
    sa.Column("incident_id", sa.String(32)),
    sa.Column("requested_by", sa.String(64), nullable=False),
    sa.Column("requested_at", UTCDateTime, nullable=False),
    sa.Column("roles", JSONDoc, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_approval_requests_run", "run_id", "step_id"),
    sa.Index("ix_approval_requests_status", "status", "requested_at"),
)

approval_decisions = sa.Table(
    "approval_decisions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(32), nullable=False),
    sa.Column("approver", sa.String(64), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("roles", JSONDoc, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Index("ix_approval_decisions_request", "request_id", "id"),
)

revert_deadlines = sa.Table(
    "revert_deadlines", metadata,
    sa.Column("run_id", sa.String(32), primary_key=True),
    sa.Column("step_id", sa.String(200), primary_key=True),
    sa.Column("incident_id", sa.String(32)),
    sa.Column("revert_step", sa.String(200)),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("due_at", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

runbook_schedules = sa.Table(
    "runbook_schedules", metadata,
    sa.Column("runbook_id", sa.String(200), primary_key=True),
    sa.Column("cron", sa.String(200), nullable=False),
    sa.Column("since", UTCDateTime, nullable=False),
)

automation_requests = sa.Table(
    "automation_requests", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("rule", sa.String(200), nullable=False),
    sa.Column("incident_id", sa.String(32)),
    sa.Column("service", sa.String(64), nullable=False),
    sa.Column("runbook_id", sa.String(200), nullable=False),
    sa.Column("step_id", sa.String(200), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("run_id", sa.String(32)),
    sa.Column("requested_at", UTCDateTime, nullable=False),
    sa.Index("ix_automation_requests_service", "service", "requested_at"),
    sa.Index("ix_automation_requests_status", "status", "id"),
)

run_events = sa.Table(
    "run_events", metadata,
    sa.Column("run_id", sa.String(32), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(48), nullable=False),
    sa.Column("data", JSONDoc, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)


def put_artifact(conn: sa.Connection, content: bytes, now: datetime) -> str:
    """Store `content` once under its sha256 and return the digest."""
    digest = hashlib.sha256(content).hexdigest()
    exists = conn.execute(sa.select(artifacts.c.sha256).where(artifacts.c.sha256 == digest))
    if exists.first() is None:
        conn.execute(sa.insert(artifacts).values(sha256=digest, size=len(content),
                                                 content=content, created_at=now))
    return digest


def get_artifact(conn: sa.Connection, digest: str) -> bytes | None:
    row = conn.execute(sa.select(artifacts.c.content).where(artifacts.c.sha256 == digest)).first()
    return None if row is None else bytes(row.content)


def incident_artifacts(conn: sa.Connection, incident_id: str) -> dict[str, bytes]:
    """Every step output of the incident's runs, named `<sha256>.log` (the evidence pack
    puts them under logs/, where `runbook_step_finished.output_sha256` finds them)."""
    rows = conn.execute(
        sa.select(artifacts.c.sha256, artifacts.c.content).distinct()
        .join(runbook_steps, runbook_steps.c.output_sha256 == artifacts.c.sha256)
        .join(runbook_runs, runbook_runs.c.id == runbook_steps.c.run_id)
        .where(runbook_runs.c.incident_id == incident_id))
    return {f"{r.sha256}.log": bytes(r.content) for r in rows}
