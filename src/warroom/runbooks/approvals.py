"""Who may approve a step: runbook approval roles mapped onto warroom users, and when a
request has enough distinct approvers.

Role mapping (docs/runbooks.md lists it):
- `commander`, `incident_commander`, `ic`: a user with the commander role or above, or the
  person assigned the commander role on the incident;
- `security`, `security_lead`: a user with the security flag, or the incident's security lead;
- `admin`: an admin;
- `responder`, `sre`, `oncall`, `on_call`, `engineer`: any user with the responder role or
  above (and members of a configured team of that name);
- the name of a configured team: its members;
- the name of an incident role (e.g. `tech_lead`): whoever holds it on the incident.

An incident role counts only when its holder did not assign it to themselves, and the
requester did not hand it out after asking (warroom.runbooks.authority).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import permutations
from typing import TYPE_CHECKING

import sqlalchemy as sa

from warroom.domain.errors import (
    Conflict,
    DomainError,
    InvalidCommand,
    NotFound,
    PermissionDenied,
)
from warroom.domain.incident import Draft, IncidentState
from warroom.runbooks import notices
from warroom.runbooks.authority import grant_counts, norm, role_grants
from warroom.runbooks.facts import incident_alerts, parameter_values, secret_names
from warroom.runbooks.journal import Committed, record
from warroom.runbooks.model import HttpExecutor, PromqlExecutor, ShellExecutor, Step
from warroom.runbooks.registry import RunbookSettings
from warroom.runbooks.runs import RunService, load_run, pin, preview
from warroom.runbooks.templating import RenderError
from warroom.services.principal import Principal, require
from warroom.store import db
from warroom.store import incidents as incident_store
from warroom.store.runbooks import approval_decisions, approval_requests, runbook_steps

if TYPE_CHECKING:
    from warroom.runtime import Runtime

COMMANDER_ROLES = frozenset({"commander", "incident_commander", "ic"})
SECURITY_ROLES = frozenset({"security", "security_lead"})
RESPONDER_ROLES = frozenset({"responder", "sre", "oncall", "on_call", "engineer"})


@dataclass(frozen=True)
class Org:
    """What role mapping needs from the org config: team name -> member user names."""

    teams: Mapping[str, frozenset[str]]


def holds_role(principal: Principal, role: str, incident: IncidentState | None,
               org: Org, discounted: Collection[str] = ()) -> bool:
    """Whether `principal` counts as `role` for an approval on this incident (or none).

    `discounted` names incident roles the principal holds that do not count (self-granted)."""
    name = norm(role)
    incident_roles = {norm(r) for r, user in (incident.roles if incident else ())
                      if user == principal.name and r not in discounted}
    teams = {norm(t): members for t, members in org.teams.items()}
    if name in COMMANDER_ROLES:
        return principal.at_least("commander") or "commander" in incident_roles
    if name in SECURITY_ROLES:
        return principal.is_security or "security_lead" in incident_roles
    if name == "admin":
        return principal.at_least("admin")
    if name in RESPONDER_ROLES:
        return principal.at_least("responder") or principal.name in teams.get(name, ())
    if name in teams:
        return principal.name in teams[name]
    return name in incident_roles


def held_roles(principal: Principal, roles: Sequence[str], incident: IncidentState | None,
               org: Org, discounted: Collection[str] = ()) -> list[str]:
    return [r for r in roles if holds_role(principal, r, incident, org, discounted)]


def requirement(role: str, org: Org) -> str:
    """What qualifies someone as `role` for an approval, in words."""
    name = norm(role)
    if name in COMMANDER_ROLES:
        return (f"{role} (the commander user role or above, or this incident's commander "
                "role)")
    if name in SECURITY_ROLES:
        return f"{role} (the security flag, or this incident's security_lead role)"
    if name == "admin":
        return "admin (the admin user role)"
    if name in RESPONDER_ROLES:
        return f"{role} (the responder user role or above)"
    if name in {norm(t) for t in org.teams}:
        return f"{role} (membership of team {role})"
    return f"{role} (this incident's {role} role)"


def is_satisfied(roles: Sequence[str], count: int, grants: Mapping[str, Sequence[str]]) -> bool:
    """`grants` maps each distinct approver to the requested roles they hold.

    Enough distinct approvers are needed; and when `count` is at least the number of roles
    (e.g. "commander and security", count 2), every role must be covered by a different
    approver, so two commanders do not satisfy a commander-plus-security rule.
    """
    approvers = [a for a, held in grants.items() if held]
    if len(approvers) < count:
        return False
    if count < len(roles):
        return True
    for chosen in permutations(approvers, len(roles)):
        if all(role in grants[who] for role, who in zip(roles, chosen, strict=True)):
            return True
    return False


# ---------------------------------------------------------------- requests and decisions


@dataclass(frozen=True)
class Decision:
    approver: str
    action: str
    roles: tuple[str, ...]
    reason: str
    at: datetime


@dataclass(frozen=True)
class ApprovalRequest:
    id: str
    run_id: str
    step_id: str
    incident_id: str | None
    requested_by: str
    requested_at: datetime
    roles: tuple[str, ...]
    count: int
    reason: str
    status: str          # pending, granted, denied, used, cancelled
    decisions: tuple[Decision, ...]

    def active_grants(self) -> dict[str, tuple[str, ...]]:
        """Approver -> roles held, for grants not revoked since."""
        grants: dict[str, tuple[str, ...]] = {}
        for d in self.decisions:
            if d.action == "granted":
                grants[d.approver] = d.roles
            elif d.action == "revoked":
                grants.pop(d.approver, None)
        return grants


def org_of(runtime: Runtime) -> Org:
    return Org({t.name: frozenset(t.members) for t in runtime.config.teams})


def load_request(conn: sa.Connection, request_id: str, lock: bool = False) -> ApprovalRequest:
    query = sa.select(approval_requests).where(approval_requests.c.id == request_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no approval request {request_id!r}; list them with GET "
                       "/api/v1/approvals")
    decisions = conn.execute(sa.select(approval_decisions).where(
        approval_decisions.c.request_id == request_id).order_by(approval_decisions.c.id))
    return ApprovalRequest(
        row.id, row.run_id, row.step_id, row.incident_id, row.requested_by, row.requested_at,
        tuple(row.roles), int(row._mapping["count"]), row.reason, row.status,
        tuple(Decision(d.approver, d.action, tuple(d.roles), d.reason, d.at)
              for d in decisions))


@dataclass(frozen=True)
class ApprovalView:
    """One request as a given person sees it before deciding."""

    can_approve: bool
    cannot_approve_reason: str | None
    rendered: str | None
    target: str | None
    render_problem: str | None
    parameters: dict[str, str] = field(default_factory=dict)  # secrets masked


def step_target(step: Step, settings: RunbookSettings) -> str:
    """Where a step acts, in words: the runner's shell, an HTTP endpoint, a Prometheus."""
    ex = step.executor
    mode = settings.mode()
    if isinstance(ex, ShellExecutor):
        where = ex.workdir or settings.shell.workdir or "the runner's working directory"
        return f"shell on the warroom runner, in {where} (execution: {mode})"
    if isinstance(ex, HttpExecutor):
        return f"HTTP {ex.method} {ex.url.split('?', 1)[0]} (execution: {mode})"
    if isinstance(ex, PromqlExecutor):
        return f"Prometheus at {settings.prometheus_url or '(not configured)'}"
    return f"{ex.type} step, carried out by a person" if ex.type in ("manual", "wait") \
        else f"{ex.type} step"


class ApprovalService:
    """Request, grant, deny and revoke approvals of gated steps."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.runs = RunService(runtime)

    def _incident_state(self, conn: sa.Connection, incident_id: str | None
                        ) -> IncidentState | None:
        return incident_store.lock_state(conn, incident_id) if incident_id else None

    def request(self, principal: Principal | None, run_id: str, step_id: str,
                reason: str) -> ApprovalRequest:
        who = require(principal, "responder", "requesting an approval")
        if not reason.strip():
            raise InvalidCommand("say why the step should run: an approval request needs a "
                                 "reason")
        run, _steps = self.runs.get(who, run_id)
        runbook = self.runs.runbook(run.runbook_id)
        step = runbook.step(step_id)
        if step is None:
            raise NotFound(f"runbook {runbook.id!r} has no step {step_id!r}")
        if step.requires_approval is None:
            raise InvalidCommand(f"step {step_id!r} needs no approval; run it directly")
        rule = step.requires_approval
        rendered, target, _problem = self._what_runs(run.id, step.id)
        values, shown = self._values(run.id, step.id)
        committed = Committed()
        with self.rt.engine.begin() as conn:
            current = conn.execute(sa.select(runbook_steps.c.state).where(
                runbook_steps.c.run_id == run.id, runbook_steps.c.step_id == step.id)).scalar()
            if current in ("ok", "done_manually", "running"):
                raise Conflict(f"step {step_id!r} is already {current}")
            open_request = conn.execute(sa.select(approval_requests.c.id).where(
                approval_requests.c.run_id == run.id, approval_requests.c.step_id == step.id,
                approval_requests.c.status.in_(["pending", "granted"]))).scalar()
            if open_request:
                raise Conflict(f"step {step_id!r} already has open approval request "
                               f"{open_request}")
            now = self.rt.clock.now()
            request_id = uuid.uuid4().hex[:16]
            conn.execute(sa.insert(approval_requests).values(
                id=request_id, run_id=run.id, step_id=step.id, incident_id=run.incident_id,
                requested_by=who.name, requested_at=now, roles=list(rule.roles),
                count=rule.count, reason=reason.strip(), status="pending", updated_at=now))
            conn.execute(sa.update(runbook_steps).where(
                runbook_steps.c.run_id == run.id, runbook_steps.c.step_id == step.id)
                .values(state="awaiting_approval"))
            record(self.rt, conn, run.id, run.incident_id, [Draft("approval_requested", {
                "request_id": request_id, "run_id": run.id, "runbook_id": run.runbook_id,
                "step": step.id, "step_id": step.id, "title": step.title,
                "roles": list(rule.roles), "count": rule.count, "reason": reason.strip(),
                "dangerous": step.dangerous, "rendered": rendered, "target": target,
                "parameters": shown,
                "pin": pin(self.rt.secret_key, rendered, values, secret_names(runbook))})],
                who.name, committed)
            notices.notify(
                self.rt, conn, key=f"approval:{request_id}", kind="approval_request",
                incident_id=run.incident_id,
                subject=f"Approval needed: {step.title}",
                body=(f"{who.name} asks to run step {step.id!r} of runbook {runbook.id!r}: "
                      f"{reason.strip()}\nNeeds {rule.count} approval(s) from "
                      f"{', '.join(rule.roles)}. Approve with `warroom runbook approve "
                      f"{request_id}`."),
                extra={"request_id": request_id, "run_id": run.id, "step_id": step.id,
                       "roles": list(rule.roles), "count": rule.count})
            found = load_request(conn, request_id)
        committed.flush(self.rt)
        return found

    def get(self, principal: Principal | None, request_id: str) -> ApprovalRequest:
        require(principal, "viewer", "reading approvals")
        with db.read(self.rt.engine) as conn:
            found = load_request(conn, request_id)
        try:
            self.runs.get(principal, found.run_id)  # visibility of the run's incident
        except NotFound:
            # Answer as for a missing request, naming neither the run nor the incident.
            raise NotFound(f"no approval request {request_id!r}") from None
        return found

    def list_requests(self, principal: Principal | None, status: str | None = None,
             run_id: str | None = None, limit: int = 100,
             incident_ref: str | None = None) -> list[ApprovalRequest]:
        who = require(principal, "viewer", "listing approvals")
        query = sa.select(approval_requests.c.id).order_by(
            approval_requests.c.requested_at.desc()).limit(limit)
        if incident_ref:
            incident_id = self.runs.incident(who, incident_ref).id
            query = query.where(approval_requests.c.incident_id == incident_id)
        if status:
            query = query.where(approval_requests.c.status == status)
        if run_id:
            query = query.where(approval_requests.c.run_id == run_id)
        with db.read(self.rt.engine) as conn:
            found = [load_request(conn, str(i)) for i in conn.execute(query).scalars()]
        visible = []
        for req in found:
            try:
                self.runs.get(who, req.run_id)
            except NotFound:
                continue
            visible.append(req)
        return visible

    def approve(self, principal: Principal | None, request_id: str,
                reason: str = "") -> ApprovalRequest:
        return self._decide(principal, request_id, "granted", reason)

    def deny(self, principal: Principal | None, request_id: str,
             reason: str) -> ApprovalRequest:
        if not reason.strip():
            raise InvalidCommand("a denial needs a reason, so the requester knows what to "
                                 "change")
        return self._decide(principal, request_id, "denied", reason)

    def revoke(self, principal: Principal | None, request_id: str,
               reason: str = "") -> ApprovalRequest:
        return self._decide(principal, request_id, "revoked", reason)

    def _decide(self, principal: Principal | None, request_id: str, action: str,
                reason: str) -> ApprovalRequest:
        who = require(principal, "responder", "deciding on an approval")
        self.get(who, request_id)
        committed = Committed()
        with self.rt.engine.begin() as conn:
            req = load_request(conn, request_id, lock=True)
            incident = self._incident_state(conn, req.incident_id)
            refused = self._refusal(conn, who, req, incident, action)
            if refused is not None:
                raise refused
            held = tuple(held_roles(who, req.roles, incident, org_of(self.rt),
                                    self._discounted(conn, who, req)))
            now = self.rt.clock.now()
            conn.execute(sa.insert(approval_decisions).values(
                request_id=req.id, approver=who.name, action=action, roles=list(held),
                reason=reason.strip(), at=now))
            req = load_request(conn, request_id)
            new_status, step_state = self._status_after(req, action)
            conn.execute(sa.update(approval_requests).where(approval_requests.c.id == req.id)
                         .values(status=new_status, updated_at=now))
            conn.execute(sa.update(runbook_steps).where(
                runbook_steps.c.run_id == req.run_id, runbook_steps.c.step_id == req.step_id,
                runbook_steps.c.state.in_(["pending", "awaiting_approval"]))
                .values(state=step_state))
            run = load_run(conn, req.run_id)
            record(self.rt, conn, run.id, run.incident_id, [Draft(f"approval_{action}", {
                "request_id": req.id, "run_id": req.run_id, "runbook_id": run.runbook_id,
                "step": req.step_id, "step_id": req.step_id, "approver": who.name,
                "roles": list(held), "reason": reason.strip(), "status": new_status,
                "approvals": len(req.active_grants()), "count": req.count})],
                who.name, committed)
            found = load_request(conn, request_id)
        committed.flush(self.rt)
        return found

    def _discounted(self, conn: sa.Connection, who: Principal,
                    req: ApprovalRequest) -> dict[str, str]:
        """Incident roles `who` holds that do not count for this request, and why."""
        if not req.incident_id:
            return {}
        grants = role_grants(incident_store.load_events(conn, req.incident_id))
        found: dict[str, str] = {}
        for role, grant in grants.items():
            why = grant_counts(grant, requested_by=req.requested_by,
                               requested_at=req.requested_at)
            if grant.user == who.name and why:
                found[role] = why
        return found

    def _refusal(self, conn: sa.Connection, who: Principal, req: ApprovalRequest,
                 incident: IncidentState | None, action: str) -> DomainError | None:
        """Why `who` may not record `action` on `req` now (the error to raise), or None."""
        grants = req.active_grants()
        if req.status in ("used", "cancelled", "denied"):
            return Conflict(f"approval request {req.id} is {req.status}; "
                            + ("the step already ran, nothing to decide" if req.status ==
                               "used" else "request approval again"))
        if action == "revoked":
            if who.name not in grants:
                return Conflict(f"{who.name} has no standing approval on request {req.id} to "
                                "revoke")
            return None
        verb = "approve" if action == "granted" else "deny"
        if who.name == req.requested_by:
            return PermissionDenied(f"{who.name} requested this step and cannot {verb} their "
                                    "own request; ask another approver")
        if not who.at_least("responder"):
            return PermissionDenied(f"deciding on an approval needs the responder user role "
                                    f"or above; {who.name} has {who.role}")
        org = org_of(self.rt)
        discounted = self._discounted(conn, who, req)
        if not held_roles(who, req.roles, incident, org, discounted):
            return PermissionDenied(self._no_role(who, req, incident, org, discounted, verb))
        if action == "granted" and who.name in grants:
            return Conflict(f"{who.name} already approved request {req.id}; another person "
                            "must give the next approval")
        if action == "granted" and req.status == "granted":
            return Conflict(f"request {req.id} is already fully approved")
        return None

    @staticmethod
    def _no_role(who: Principal, req: ApprovalRequest, incident: IncidentState | None,
                 org: Org, discounted: Mapping[str, str], verb: str) -> str:
        has = [f"the {who.role} user role"] + (["the security flag"] if who.is_security
                                               else [])
        for role, user in (incident.roles if incident else ()):
            if user == who.name:
                has.append(f"incident role {role}" + (
                    f" (which does not count: {discounted[role]})" if role in discounted
                    else ""))
        teams = sorted(t for t, members in org.teams.items() if who.name in members)
        if teams:
            has.append(f"team {', '.join(teams)}")
        return (f"to {verb} request {req.id} you need one of: "
                f"{'; '.join(requirement(r, org) for r in req.roles)} — {who.name} has "
                f"{', '.join(has)}, which qualifies for none of them")

    def eligibility(self, principal: Principal | None, req: ApprovalRequest) -> str | None:
        """Why `principal` cannot approve `req` now, or None when they can."""
        if principal is None:
            return "log in to approve"
        with db.read(self.rt.engine) as conn:
            incident = self._incident_state(conn, req.incident_id)
            refused = self._refusal(conn, principal, req, incident, "granted")
        if refused is None and req.status != "pending":
            return f"request {req.id} is {req.status}"
        return refused.detail if refused is not None else None

    def view(self, principal: Principal | None, req: ApprovalRequest) -> ApprovalView:
        """What an approver needs before deciding: the exact command, where it runs, and
        whether `principal` may approve."""
        why_not = self.eligibility(principal, req)
        rendered, target, problem = self._what_runs(req.run_id, req.step_id)
        return ApprovalView(why_not is None, why_not, rendered, target, problem,
                            self._values(req.run_id, req.step_id)[1])

    def _values(self, run_id: str, step_id: str) -> tuple[dict[str, str], dict[str, str]]:
        """Every parameter value the step would run with today, and the same with secrets
        masked (what approvers see next to the command)."""
        with db.read(self.rt.engine) as conn:
            run = load_run(conn, run_id)
            alerts = incident_alerts(conn, run.incident_id) if run.incident_id else []
        runbook = self.runs.registry.get(run.runbook_id)
        if runbook is None or runbook.step(step_id) is None:
            return {}, {}
        try:
            values = parameter_values(runbook, alerts, run.params)
        except DomainError:
            return {}, {}
        hidden = secret_names(runbook)
        return values, {k: ("<secret>" if k in hidden else v) for k, v in values.items()}

    def _what_runs(self, run_id: str, step_id: str
                   ) -> tuple[str | None, str | None, str | None]:
        """(rendered command, target, why it cannot be rendered) with today's values."""
        with db.read(self.rt.engine) as conn:
            run = load_run(conn, run_id)
            alerts = incident_alerts(conn, run.incident_id) if run.incident_id else []
        runbook = self.runs.registry.get(run.runbook_id)
        step = runbook.step(step_id) if runbook else None
        if runbook is None or step is None:
            return None, None, f"runbook {run.runbook_id!r} or its step is no longer loaded"
        target = step_target(step, self.runs.registry.settings)
        try:
            values = parameter_values(runbook, alerts, run.params)
            hidden = secret_names(runbook)
            # secrets are given only when the step runs: shown masked, present or not
            rendered = preview(step, values | {k: "<secret>" for k in hidden})
        except (DomainError, RenderError) as exc:
            return None, target, str(getattr(exc, "detail", exc))
        return rendered, target, None

    @staticmethod
    def _status_after(req: ApprovalRequest, action: str) -> tuple[str, str]:
        """(request status, step state) once `action` is recorded."""
        if action == "denied":
            return "denied", "pending"
        if is_satisfied(req.roles, req.count, req.active_grants()):
            return "granted", "pending"
        return "pending", "awaiting_approval"
