"""The change log of an incident: every mitigation or recovery step and config change."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from warroom.clock import isoformat
from warroom.domain.events import Event
from warroom.evidence.milestones import CHANGE_PHASES

CONFIG_CHANGE_KINDS = frozenset({"config_changed"})


def _log_for(sha256: object, artifact_names: Iterable[str]) -> str | None:
    if not sha256:
        return None
    for name in sorted(artifact_names):
        if name == sha256 or name.startswith(f"{sha256}."):
            return f"logs/{name}"
    return None


def derive_changes(events: Sequence[Event],
                   artifact_names: Iterable[str] = ()) -> list[dict[str, Any]]:
    """One record per mitigate/recover step run and per config change: who, when, what, result.

    A step's record is written when it finishes; its start (and who started it) comes from the
    matching runbook_step_started event.
    """
    names = list(artifact_names)
    started: dict[tuple[str, str], Event] = {}
    changes: list[dict[str, Any]] = []
    for event in events:
        data = event.data
        key = (str(data.get("run_id", "")), str(data.get("step_id", "")))
        if event.kind == "runbook_step_started":
            started[key] = event
        elif event.kind == "runbook_step_finished":
            begin = started.pop(key, None)
            phase = data.get("phase") or (begin.data.get("phase") if begin else None)
            if phase not in CHANGE_PHASES:
                continue
            source = {**(begin.data if begin else {}), **data}
            changes.append({
                "type": "runbook_step",
                "seq": event.seq,
                "started_at": isoformat(begin.at) if begin else None,
                "finished_at": isoformat(event.at),
                "who": begin.actor if begin else event.actor,
                "recorded_by": event.actor,
                "run_id": source.get("run_id"),
                "step_id": source.get("step_id"),
                "title": source.get("title"),
                "phase": phase,
                "executor": source.get("executor"),
                "command": source.get("rendered") or source.get("command"),
                "outcome": data.get("outcome"),
                "exit_code": data.get("exit_code"),
                "output_sha256": data.get("output_sha256"),
                "log": _log_for(data.get("output_sha256"), names),
            })
        elif event.kind in CONFIG_CHANGE_KINDS:
            changes.append({
                "type": "config_change",
                "seq": event.seq,
                "started_at": None,
                "finished_at": isoformat(event.at),
                "who": event.actor,
                "recorded_by": event.actor,
                "what": data,
            })
    return changes
