"""Evidence export from the store: gather one incident's events, artifacts, postmortem and
service levels into PackInputs, and sign the pack with the server's key."""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from warroom import __version__
from warroom.clock import isoformat
from warroom.domain.errors import InvalidCommand, PermissionDenied
from warroom.domain.events import Event
from warroom.domain.incident import IncidentState
from warroom.evidence.durations import DurationError, parse_duration
from warroom.evidence.impact import ImpactData
from warroom.evidence.keys import load_or_create_signing_key
from warroom.evidence.pack import PackInputs, build_pack
from warroom.evidence.postmortems_service import latest_markdown
from warroom.runtime import Runtime
from warroom.services.incidents import IncidentService
from warroom.services.principal import Principal, require
from warroom.store import db
from warroom.store import incidents as incident_store


def require_exporter(principal: Principal | None) -> Principal:
    """Exports need the commander role or the security flag."""
    who = require(principal, "viewer", "exporting evidence")
    if not (who.at_least("commander") or who.is_security):
        raise PermissionDenied(f"exporting evidence requires the commander role or the "
                               f"security flag; {who.name} has {who.role}")
    return who


def _optional_table(module_name: str, table_name: str) -> sa.Table | None:
    """A table from a store module that may not exist in every build."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    table = getattr(module, table_name, None)
    return table if isinstance(table, sa.Table) else None


def _step_outputs(events: Sequence[Event]) -> list[str]:
    found = []
    for event in events:
        sha = event.data.get("output_sha256")
        if event.kind == "runbook_step_finished" and isinstance(sha, str) and sha:
            found.append(sha)
    return list(dict.fromkeys(found))


def load_artifacts(conn: sa.Connection, incident_id: str,
                   events: Sequence[Event]) -> dict[str, bytes]:
    """Files for logs/: each runbook step output the timeline names (by its sha256, from the
    content-addressed artifacts table) and each alert attached to the incident (its raw
    payload as JSON)."""
    found: dict[str, bytes] = {}
    artifacts = _optional_table("warroom.store.runbooks", "artifacts")
    wanted = _step_outputs(events)
    if artifacts is not None and wanted and {"sha256", "content"} <= set(artifacts.c.keys()):
        for row in conn.execute(sa.select(artifacts.c.sha256, artifacts.c.content)
                                .where(artifacts.c.sha256.in_(wanted))):
            content = row.content
            found[f"{row.sha256}.txt"] = (content.encode() if isinstance(content, str)
                                          else bytes(content))
    alerts = _optional_table("warroom.store.alerts", "alerts")
    if alerts is not None and {"incident_id", "raw", "id"} <= set(alerts.c.keys()):
        for row in conn.execute(sa.select(alerts).where(alerts.c.incident_id == incident_id)
                                .order_by(alerts.c.id)):
            record = {k: (isoformat(v) if isinstance(v, datetime) else v)
                      for k, v in row._mapping.items()}
            found[f"alert-{row.id}.json"] = (json.dumps(
                record, indent=2, sort_keys=True, default=str) + "\n").encode()
    return found


def incident_summary(state: IncidentState) -> dict[str, Any]:
    return {"id": state.id, "human_id": state.human_id, "title": state.title,
            "severity": state.severity, "type": state.type, "status": state.status,
            "visibility": state.visibility, "services": list(state.services),
            "impact": state.impact, "users_affected": state.users_affected,
            "drill": state.is_drill}


def gather_inputs(runtime: Runtime, state: IncidentState) -> PackInputs:
    """Everything the store knows about the (already authorised) incident."""
    level = runtime.config.severity_scheme().get(state.severity)
    with db.read(runtime.engine) as conn:
        events = incident_store.load_events(conn, state.id)
        artifacts = load_artifacts(conn, state.id, events)
        postmortem = latest_markdown(conn, state.id)
    resolve = runtime.config.evidence.get("resolve_sla", {})
    resolve_sla = None
    if isinstance(resolve, dict) and resolve.get(state.severity):
        try:
            resolve_sla = parse_duration(str(resolve[state.severity]))
        except DurationError as exc:
            raise InvalidCommand(f"evidence.resolve_sla.{state.severity} in the organisation "
                                 f"config: {exc}") from exc
    return PackInputs(incident=incident_summary(state), events=events, artifacts=artifacts,
                      postmortem_markdown=postmortem,
                      impact=ImpactData(ack_sla=level.ack_sla if level else None,
                                        resolve_sla=resolve_sla,
                                        users_affected=state.users_affected))


def export_files(runtime: Runtime, principal: Principal | None, ref: str) -> dict[str, bytes]:
    """The signed pack for incident `ref` as relative path → content."""
    who = require_exporter(principal)
    state = IncidentService(runtime).get(who, ref)
    inputs = gather_inputs(runtime, state)
    key = load_or_create_signing_key(runtime.settings.data_dir)
    return build_pack(inputs, key, runtime.clock, __version__)
