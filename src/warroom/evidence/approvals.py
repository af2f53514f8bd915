"""The approval record of an incident: each request with its grants, denials and revocations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from warroom.clock import isoformat
from warroom.domain.events import Event

APPROVAL_KINDS = {
    "approval_requested": "requested",
    "approval_granted": "granted",
    "approval_denied": "denied",
    "approval_revoked": "revoked",
}


def derive_approvals(events: Sequence[Event]) -> list[dict[str, Any]]:
    """Requests in the order they were made, each with every decision taken on it.

    `last_decision` is the latest grant, denial or revocation (None while undecided); whether a
    request needing several approvers is fully granted is the runbook engine's call, not ours.
    """
    requests: dict[str, dict[str, Any]] = {}
    for event in events:
        action = APPROVAL_KINDS.get(event.kind)
        if action is None:
            continue
        data = event.data
        request_id = str(data.get("request_id") or f"seq-{event.seq}")
        record = requests.setdefault(request_id, {
            "request_id": request_id, "step": data.get("step"), "run_id": data.get("run_id"),
            "requested_by": None, "requested_at": None, "roles": [], "reason": None,
            "request_seq": None, "last_decision": None, "decisions": [],
        })
        if action == "requested":
            record.update(requested_by=event.actor, requested_at=isoformat(event.at),
                          roles=list(data.get("roles") or []), reason=data.get("reason"),
                          request_seq=event.seq)
            record["step"] = record["step"] or data.get("step")
            continue
        record["decisions"].append({
            "action": action, "seq": event.seq, "at": isoformat(event.at),
            "by": data.get("approver") or event.actor, "reason": data.get("reason"),
            "roles": list(data.get("roles") or []),
        })
        record["last_decision"] = action
    return list(requests.values())
