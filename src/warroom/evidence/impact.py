"""The impact assessment of an evidence pack: services, duration, severity, SLA and users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from warroom.clock import isoformat
from warroom.evidence.durations import format_duration
from warroom.evidence.milestones import IncidentFacts, Milestones
from warroom.evidence.sla import ack_sla_outcome
from warroom.evidence.timeline import markdown_cell


@dataclass(frozen=True)
class ImpactData:
    """What the timeline cannot say by itself: the SLAs in force, and corrections to impact."""

    ack_sla: timedelta | None = None
    resolve_sla: timedelta | None = None
    users_affected: int | None = None
    description: str | None = None


def _when(instant: datetime | None) -> str:
    return isoformat(instant)[:19].replace("T", " ") + " UTC" if instant else "not recorded"


def _ack_line(facts: IncidentFacts, ms: Milestones, sla: timedelta | None,
              now: datetime) -> str:
    if sla is None:
        return "- **Acknowledgement SLA:** none configured for this severity"
    label = f"- **Acknowledgement SLA** ({facts.severity}: {format_duration(sla)})"
    if ms.declared is None:
        return f"{label}: unknown — the timeline has no declaration"
    outcome = ack_sla_outcome(ms.declared, ms.acknowledged, ms.resolved, sla, now)
    if ms.acknowledged is not None:
        taken = ms.acknowledged - ms.declared
        late = taken - sla
        tail = f", {format_duration(late)} late" if outcome == "breached" else ""
        return (f"{label}: **{outcome}** — acknowledged {format_duration(taken)} after "
                f"declaration{tail}")
    if outcome == "pending":
        return f"{label}: pending — not acknowledged yet, deadline {_when(ms.declared + sla)}"
    return f"{label}: **{outcome}** — never acknowledged (deadline {_when(ms.declared + sla)})"


def _resolve_line(ms: Milestones, sla: timedelta | None, now: datetime) -> str | None:
    if sla is None or ms.started is None:
        return None
    label = f"- **Resolution target** ({format_duration(sla)} from start)"
    end = ms.resolved or now
    taken = end - ms.started
    if ms.resolved is None:
        state = "breached" if taken > sla else "pending"
        return f"{label}: **{state}** — still open after {format_duration(taken)}"
    state = "met" if taken <= sla else "breached"
    return f"{label}: **{state}** — resolved after {format_duration(taken)}"


def impact_markdown(facts: IncidentFacts, ms: Milestones, impact: ImpactData,
                    now: datetime) -> str:
    """impact-assessment.md; `now` is the pack's generation time, for incidents still open."""
    users = impact.users_affected if impact.users_affected is not None else facts.users_affected
    description = impact.description or facts.impact
    if ms.started is None:
        duration = "unknown"
    elif ms.resolved is None:
        duration = f"ongoing — {format_duration(now - ms.started)} at generation time"
    else:
        duration = f"{format_duration(ms.resolved - ms.started)} (started → resolved)"
    rows = [
        ("Incident", f"{facts.human_id} — {facts.title}"),
        ("Severity", facts.severity or "unknown"),
        ("Type", facts.type or "unknown"),
        ("Status", facts.status),
        ("Affected services", ", ".join(facts.services) or "none recorded"),
        ("Started", _when(ms.started)),
        ("Detected", _when(ms.detected)),
        ("Declared", _when(ms.declared)),
        ("Acknowledged", _when(ms.acknowledged)),
        ("Mitigated", _when(ms.mitigated)),
        ("Resolved", _when(ms.resolved) if ms.resolved else "not resolved"),
        ("Duration", duration),
        ("Users affected", str(users) if users is not None else "not recorded"),
        ("Impact", description or "not recorded"),
    ]
    lines = [f"# Impact assessment — {markdown_cell(facts.human_id or facts.chain)}", "",
             "| | |", "|---|---|"]
    lines += [f"| {name} | {markdown_cell(value)} |" for name, value in rows]
    lines += ["", "## Service levels", "", _ack_line(facts, ms, impact.ack_sla, now)]
    resolve = _resolve_line(ms, impact.resolve_sla, now)
    if resolve:
        lines.append(resolve)
    if facts.drill:
        lines += ["", "This incident was a **drill**; it is excluded from service-level metrics."]
    return "\n".join(lines) + "\n"
