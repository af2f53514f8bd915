"""Alert to incident: route, silence, group, run the rules, declare or attach, resolve policy.

Runs inside the intake writer's transaction, only for alerts that are new or change state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, cast

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from warroom.domain import incident as dom
from warroom.domain.errors import DomainError
from warroom.intake.grouplock import group_of
from warroom.intake.signal import Signal
from warroom.routing.grouping import OpenIncident, joinable_incident
from warroom.routing.routes import RouteConfig, RouteMatch, RoutingConfig
from warroom.routing.rules import (
    RuleAction,
    RuleCompileError,
    RuleConfig,
    RuleSet,
    compile_rules,
    load_cel_parser,
    signal_context,
)
from warroom.routing.silences import MaintenanceWindow, Silence, SilenceMatch, is_silenced
from warroom.routing.triage import SeverityDecision, decide_severity, more_severe, on_scheme
from warroom.services.incidents import CommandResult, IncidentService
from warroom.services.principal import SYSTEM
from warroom.store import incidents as incident_store
from warroom.store.alerts import alert_groups, alerts
from warroom.store.schema import incident_events, incidents
from warroom.yamlfile import SourceMap

if TYPE_CHECKING:
    from warroom.runtime import Runtime

log = logging.getLogger(__name__)

AllResolved = Literal["note", "monitoring", "resolve"]
RULE_ACTOR = "rule:"  # events appended by incident-trigger rules; they trigger no rules
# Called for `run_step` rule actions: (runtime, conn, incident_id, action). The runbook engine
# registers itself here; without it the action is recorded as a note.
RunStepHook = Callable[[Any, sa.Connection, str, RuleAction], None]
RUN_STEP_HOOKS: list[RunStepHook] = []


class IntakeRoute(RouteConfig):
    """A route as written under `routes:` in the org config, with the all-resolved policy."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    when_all_resolved: AllResolved = Field(
        "monitoring", description="What happens when every alert of the incident resolved.")
    auto_resolve_severities: list[str] = Field(
        default_factory=list, description="Severities whose incidents resolve on their own.")
    raise_severity: bool = Field(
        True, description="Raise an open incident's severity when a joining alert maps higher.")


class _Window(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: datetime
    ends_at: datetime
    comment: str = ""
    created_by: str = "config"
    # Shown on the public status page (which falls back to `comment`).
    title: str = ""
    description: str = ""


@dataclass(frozen=True)
class Plan:
    """Routes, rules and maintenance windows compiled once per runtime."""

    routing: RoutingConfig
    rules: RuleSet | None
    windows: tuple[MaintenanceWindow, ...]
    severities: tuple[str, ...]
    policies: dict[str, IntakeRoute] = field(default_factory=dict)

    def severity(self, actions: Sequence[RuleAction], match: RouteMatch) -> SeverityDecision:
        return decide_severity(actions, match, self.severities)


class IntakeConfigError(ValueError):
    """Routes, rules or maintenance windows that do not load; one `file:line: ...` per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def compile_plan(runtime: Runtime) -> Plan:
    config = runtime.config
    where = runtime.loaded.origins.where
    problems: list[str] = []
    routes: list[RouteConfig] = []
    for index, raw in enumerate(config.routes):
        try:
            routes.append(IntakeRoute.model_validate(raw))
        except ValidationError as exc:
            for error in exc.errors():
                loc = ("routes", index, *error["loc"])
                problems.append(f"{where(loc)}: {'.'.join(map(str, loc))}: {error['msg']}")
    severities = tuple(config.severity_scheme().keys())
    rules: RuleSet | None = None
    if config.rules:
        try:
            parsed = [RuleConfig.model_validate(raw) for raw in config.rules]
            load_cel_parser(runtime.settings.data_dir / "cache" / "cel-grammar.lark")
            rules = compile_rules(parsed, cast(SourceMap, runtime.loaded.origins), severities)
        except ValidationError as exc:
            problems.extend(f"{where(('rules',))}: rules: {e['msg']} at "
                            f"{'.'.join(map(str, e['loc']))}" for e in exc.errors())
        except RuleCompileError as exc:
            problems.extend(exc.problems)
    windows: list[MaintenanceWindow] = []
    for s_index, service in enumerate(config.services):
        for w_index, raw in enumerate(service.maintenance):
            try:
                window = _Window.model_validate(raw)
            except ValidationError as exc:
                loc = ("services", s_index, "maintenance", w_index)
                problems.extend(f"{where(loc)}: {'.'.join(map(str, loc))}: {e['msg']}"
                                for e in exc.errors())
                continue
            windows.append(MaintenanceWindow(f"maintenance:{service.name}:{w_index}",
                                             service.name, window.starts_at, window.ends_at,
                                             window.created_by, window.comment))
    if problems:
        raise IntakeConfigError(problems)
    policies = {(r.name or f"routes[{i}]"): r for i, r in enumerate(routes)
                if isinstance(r, IntakeRoute)}
    return Plan(RoutingConfig(routes=routes), rules, tuple(windows), severities, policies)


@dataclass(frozen=True)
class Decision:
    """What the pipeline decided for one new firing alert."""

    service: str | None
    incident_id: str | None
    silenced_by: str | None


@dataclass
class Batch:
    """Per-transaction state: committed results to announce, silences read once, and the
    work that is cheaper done once per incident than once per alert: the open incident found
    for each (service, group key), and `alert_attached` events waiting to be appended."""

    now: datetime
    silences: list[Silence] | None = None
    results: list[CommandResult] = field(default_factory=list)
    # (service, group key) -> incident joined or declared in this transaction
    groups: dict[tuple[str, str], str] = field(default_factory=dict)
    # incident id -> its state as of its last append in this transaction (locked)
    states: dict[str, dom.IncidentState] = field(default_factory=dict)
    # incident id -> (actor, draft) of alerts attached but not yet appended, in order
    pending: dict[str, list[tuple[str, dom.Draft]]] = field(default_factory=dict)
    # (incident id, service, group key) whose group saw an alert
    touched: set[tuple[str, str, str]] = field(default_factory=set)


def active_silences(conn: sa.Connection, now: datetime) -> list[Silence]:
    from warroom.intake.silences import load_active

    return load_active(conn, now)


def _alert_summary(signal: Signal, service: str | None) -> dict[str, Any]:
    return {"integration": signal.integration, "dedup_key": signal.dedup_key,
            "source": signal.source, "summary": signal.summary, "service": service,
            "severity_hint": signal.severity_hint, "labels": dict(signal.labels)}


class Pipeline:
    def __init__(self, runtime: Runtime, plan: Plan) -> None:
        self.runtime = runtime
        self.plan = plan
        self.incidents = IncidentService(runtime)

    # ------------------------------------------------------------ firing

    def still_silenced(self, conn: sa.Connection, batch: Batch, ref: str) -> bool:
        """Whether the silence or maintenance window an alert was stored under (`ref`, as in
        `silenced_by`) still applies now; an expired or deleted one does not."""
        kind, _, ident = ref.partition(":")
        if kind == "maintenance":
            return any(w.id == ident and w.active_at(batch.now) for w in self.plan.windows)
        if batch.silences is None:
            batch.silences = active_silences(conn, batch.now)
        return any(s.id == ident and s.active_at(batch.now) for s in batch.silences)

    def on_firing(self, conn: sa.Connection, batch: Batch, signal: Signal,
                  default_service: str | None) -> Decision:
        primary, service, key = group_of(self.plan.routing, signal, default_service)
        primary = on_scheme(primary, self.plan.severities)
        if batch.silences is None:
            batch.silences = active_silences(conn, batch.now)
        silenced = is_silenced(signal.labels, service, batch.now, batch.silences,
                               self.plan.windows)
        if silenced is not None:
            return Decision(service, None, _silence_ref(silenced))
        context = signal_context(signal, service, primary.severity)
        joined = self._joinable(conn, batch, service, key, primary) if service else None
        if joined is not None:
            context["incident"] = _incident_context(joined)
        actions = self._actions("alert_firing", context)
        suppress = next((a for a in actions if a.kind == "suppress"), None)
        if suppress is not None:
            return Decision(service, None, f"rule:{suppress.rule}")
        if joined is None and any(a.kind == "attach" for a in actions) and service:
            joined = self._latest_open(conn, service)
        if joined is not None:
            self._attach(conn, batch, joined, signal, service, key, primary, actions)
            return Decision(service, joined.id, None)
        declare = next((a for a in actions if a.kind == "declare"), None)
        if declare is None and self.plan.rules is not None:
            return Decision(service, None, None)  # the rules chose not to declare
        state = self._declare(conn, batch, signal, service, key, primary, declare, actions)
        return Decision(service, state.id if state else None, None)

    def _actions(self, trigger: Any, context: dict[str, Any]) -> list[RuleAction]:
        if self.plan.rules is None or not self.plan.rules.has_rules_for(trigger):
            return []
        evaluation = self.plan.rules.evaluate_detailed(trigger, context)
        for error in evaluation.errors:
            log.warning("intake rule error: %s", error)
        return evaluation.actions

    def _joinable(self, conn: sa.Connection, batch: Batch, service: str, key: str,
                  match: RouteMatch) -> dom.IncidentState | None:
        cached = batch.groups.get((service, key))
        if cached is not None and cached in batch.states:
            state = batch.states[cached]
            if state.status in dom.ACTIVE_STATUSES:
                return state  # joined or declared earlier in this transaction
        rows = conn.execute(
            sa.select(alert_groups).join(incidents, incidents.c.id == alert_groups.c.incident_id)
            .where(alert_groups.c.service == service, alert_groups.c.group_key == key,
                   incidents.c.status.in_(dom.ACTIVE_STATUSES))).all()
        found = joinable_incident(service, key, batch.now, match.group_window,
                                  [OpenIncident(r.incident_id, r.service, r.group_key,
                                                r.last_alert_at) for r in rows])
        if found is None:
            return None
        locked = incident_store.lock_state(conn, found.incident_id)
        if locked is not None:
            batch.groups[(service, key)] = locked.id
            batch.states[locked.id] = locked
        return locked

    def _latest_open(self, conn: sa.Connection, service: str) -> dom.IncidentState | None:
        row = conn.execute(
            sa.select(alert_groups.c.incident_id)
            .join(incidents, incidents.c.id == alert_groups.c.incident_id)
            .where(alert_groups.c.service == service, incidents.c.status.in_(
                dom.ACTIVE_STATUSES)).order_by(alert_groups.c.last_alert_at.desc())).first()
        return incident_store.lock_state(conn, row.incident_id) if row else None

    def _declare(self, conn: sa.Connection, batch: Batch, signal: Signal, service: str | None,
                 key: str, match: RouteMatch, declare: RuleAction | None,
                 actions: list[RuleAction]) -> dom.IncidentState | None:
        set_type = next((a.incident_type for a in actions if a.kind == "set_type"), None)
        decision = self.plan.severity(actions, match)
        severity = decision.severity
        incident_type = (declare.incident_type if declare else None) or set_type
        title = (declare.title if declare and declare.title else None) or (
            f"{service}: {signal.summary}" if service else signal.summary)
        command = dom.Declare(
            title=title[:500], severity=severity,
            type=incident_type if incident_type in self.runtime.vocab.types else "service_outage",
            services=(service,) if service else (), started_at=min(
                signal.starts_at or batch.now, batch.now), detected_at=batch.now,
            # Drill scenarios label their alerts so the incident is a drill end to end.
            drill="warroom_drill" in signal.labels)
        actor = f"integration:{signal.integration}"
        try:
            result = self.incidents.declare(SYSTEM, command, actor=actor, conn=conn)
        except DomainError as exc:
            log.warning("could not declare an incident for %s: %s", signal.dedup_key, exc)
            return None
        batch.results.append(result)
        state = result.incident
        drafts = [dom.Draft("alert_attached", {"alert": _alert_summary(signal, service),
                                               "group_key": key, "route": match.route,
                                               "rule": declare.rule if declare else None,
                                               "severity_reason": decision.reason})]
        state = self._append(conn, batch, state, drafts, actor)
        skip = {"declare", "set_severity", "set_type", "attach", "suppress"}
        state = self._follow(conn, batch, state, [a for a in actions if a.kind not in skip],
                             actor)
        self._touch_group(conn, state.id, service, key, batch.now)
        if service:
            batch.groups[(service, key)] = state.id
        return state

    def _attach(self, conn: sa.Connection, batch: Batch, state: dom.IncidentState,
                signal: Signal, service: str | None, key: str, match: RouteMatch,
                actions: list[RuleAction]) -> None:
        actor = f"integration:{signal.integration}"
        attached = dom.Draft("alert_attached", {"alert": _alert_summary(signal, service),
                                                "group_key": key, "route": match.route})
        follow = [a for a in actions if a.kind not in _ALERT_ONLY]
        raised = self._raised(state, signal, match, actions)
        if service:
            batch.touched.add((state.id, service, key))
        if (not follow and raised is None and state.status != "monitoring"
                and (not service or service in state.services)):
            # A plain join changes nothing but the chain: append it with the incident's
            # other joins, once per incident per transaction (see `finish`).
            batch.pending.setdefault(state.id, []).append((actor, attached))
            return
        drafts = [attached]
        if service and service not in state.services:
            drafts.append(dom.Draft("services_added", {"services": [service]}))
        state = self._append(conn, batch, state, drafts, actor)
        if state.status == "monitoring":
            state = self._decide(conn, batch, state, dom.Reactivate(
                f"alert fired again: {signal.summary}"[:500]), actor)
        if raised is not None:
            state = self._decide(conn, batch, state, raised, actor)
        self._follow(conn, batch, state, follow, actor)

    def _raised(self, state: dom.IncidentState, signal: Signal, match: RouteMatch,
                actions: list[RuleAction]) -> dom.SetSeverity | None:
        """A joining alert that maps to a worse severity raises the incident's (unless its
        route says `raise_severity: false`); never lowers it."""
        route_config = self.plan.policies.get(match.route)
        if route_config is not None and not route_config.raise_severity:
            return None
        decision = self.plan.severity(actions, match)
        if not more_severe(decision.severity, state.severity, self.plan.severities):
            return None
        reason = f"alert {signal.summary!r} joined: {decision.reason}"
        return dom.SetSeverity(decision.severity, reason[:500])

    def _append(self, conn: sa.Connection, batch: Batch, state: dom.IncidentState,
                drafts: list[dom.Draft], actor: str) -> dom.IncidentState:
        """Append drafts to an incident, after any joins still pending for it, so the
        timeline keeps the order in which things happened."""
        runs = _runs([*batch.pending.pop(state.id, []), *((actor, d) for d in drafts)])
        for run_actor, run_drafts in runs:
            result = self.incidents.append_system(state.id, run_drafts, run_actor, conn=conn)
            batch.results.append(result)
            state = result.incident
            batch.states[state.id] = state
        return state

    def finish(self, conn: sa.Connection, batch: Batch) -> None:
        """Append the joins still pending and mark each touched group once; called once per
        transaction after every signal is through the pipeline."""
        for incident_id in list(batch.pending):
            state = batch.states.get(incident_id) or incident_store.lock_state(conn, incident_id)
            if state is not None:
                self._append(conn, batch, state, [], "")
        for incident_id, service, key in sorted(batch.touched):
            self._touch_group(conn, incident_id, service, key, batch.now)
        batch.touched.clear()

    def _follow(self, conn: sa.Connection, batch: Batch, state: dom.IncidentState,
                actions: list[RuleAction], actor: str) -> dom.IncidentState:
        """Apply rule actions to an incident; one that makes no sense now is skipped."""
        for action in actions:
            command: dom.Command | None = None
            if action.kind == "set_severity" and action.severity:
                command = dom.SetSeverity(action.severity, f"rule {action.rule}")
            elif action.kind == "set_type" and action.incident_type:
                command = dom.SetType(action.incident_type)
            elif action.kind == "add_note" and action.note:
                command = dom.AddNote(action.note)
            elif action.kind == "assign_role" and action.role and action.user:
                command = dom.AssignRole(action.role, action.user)
            elif action.kind == "run_step":
                for hook in RUN_STEP_HOOKS:
                    hook(self.runtime, conn, state.id, action)
                if not RUN_STEP_HOOKS:
                    command = dom.AddNote(f"rule {action.rule} asks to run step {action.step} "
                                          f"of runbook {action.runbook}")
            if action.kind == "add_responders":
                for user in action.responders:
                    state = self._decide(conn, batch, state, dom.AddResponder(user), actor)
            elif command is not None:
                state = self._decide(conn, batch, state, command, actor)
        return state

    def _decide(self, conn: sa.Connection, batch: Batch, state: dom.IncidentState,
                command: dom.Command, actor: str) -> dom.IncidentState:
        try:
            drafts = dom.decide(state, command, self.runtime.vocab, batch.now)
        except DomainError as exc:
            log.info("rule action skipped on %s: %s", state.human_id, exc)
            return state
        return self._append(conn, batch, state, drafts, actor)

    def _touch_group(self, conn: sa.Connection, incident_id: str, service: str | None,
                     key: str, now: datetime) -> None:
        if not service:
            return
        updated = conn.execute(sa.update(alert_groups).where(
            alert_groups.c.incident_id == incident_id, alert_groups.c.service == service,
            alert_groups.c.group_key == key).values(last_alert_at=now)).rowcount
        if not updated:
            conn.execute(sa.insert(alert_groups).values(incident_id=incident_id,
                                                        service=service, group_key=key,
                                                        last_alert_at=now))

    # ------------------------------------------------------------ incident triggers

    def on_incident(self, conn: sa.Connection, state: dom.IncidentState, trigger: Any,
                    change: dict[str, Any] | None = None) -> dom.IncidentState:
        """Run the `incident_declared` / `incident_changed` rules on an incident; each
        action is recorded with the rule as its actor (`rule:<name>`)."""
        context: dict[str, Any] = {"incident": _incident_context(state), "change": change or {}}
        batch = Batch(self.runtime.clock.now())
        for action in self._actions(trigger, context):
            if action.kind not in _ALERT_ONLY:
                state = self._follow(conn, batch, state, [action], f"{RULE_ACTOR}{action.rule}")
        return state

    # ------------------------------------------------------------ resolved

    def on_resolved(self, conn: sa.Connection, batch: Batch, signal: Signal,
                    incident_id: str, service: str | None) -> None:
        state = incident_store.lock_state(conn, incident_id)
        if state is None:
            return
        actor = f"integration:{signal.integration}"
        state = self._append(conn, batch, state, [dom.Draft("alert_resolved", {
            "alert": _alert_summary(signal, service)})], actor)
        context = signal_context(signal, service)
        context["incident"] = _incident_context(state)
        # Only actions on the incident make sense once an alert resolved.
        self._follow(conn, batch, state, [a for a in self._actions("alert_resolved", context)
                                          if a.kind not in _ALERT_ONLY], actor)

    def on_acknowledged(self, conn: sa.Connection, batch: Batch, signal: Signal,
                        incident_id: str) -> None:
        """The source acknowledged one of the incident's alerts (PagerDuty `acknowledge`):
        the incident is acknowledged, with the integration as the actor, which stops its
        escalation. Acknowledging any one alert is enough; the others stay unacknowledged."""
        state = incident_store.lock_state(conn, incident_id)
        if state is None:
            return
        actor = f"integration:{signal.integration}"
        state = self._append(conn, batch, state, [dom.Draft("alert_acknowledged", {
            "alert": {"integration": signal.integration, "dedup_key": signal.dedup_key}})],
            actor)
        if state.status == "triggered":
            self._decide(conn, batch, state, dom.Acknowledge(), actor)

    def after_resolves(self, conn: sa.Connection, batch: Batch, incident_ids: set[str]) -> None:
        """Apply the all-resolved policy to incidents left without a firing alert."""
        for incident_id in sorted(incident_ids):
            firing = conn.execute(sa.select(sa.func.count()).select_from(alerts).where(
                alerts.c.incident_id == incident_id, alerts.c.status == "firing")).scalar()
            if firing:
                continue
            state = incident_store.lock_state(conn, incident_id)
            if state is None or state.status not in dom.ACTIVE_STATUSES:
                continue
            policy, auto = self._policy(conn, incident_id)
            actor = "warroom"
            state = self._append(conn, batch, state, [dom.Draft("note_added", {
                "text": "All alerts of this incident have resolved."})], actor)
            if state.severity in auto or policy == "resolve":
                self._decide(conn, batch, state, dom.Resolve("all alerts resolved",
                                                             system=True), actor)
            elif policy == "monitoring" and "monitoring" in dom.allowed_next(state.status):
                self._decide(conn, batch, state, dom.SetStatus(
                    "monitoring", "all alerts resolved", system=True), actor)

    def _policy(self, conn: sa.Connection, incident_id: str) -> tuple[AllResolved, list[str]]:
        attached = conn.execute(
            sa.select(incident_events.c.data).where(
                incident_events.c.incident_id == incident_id,
                incident_events.c.kind == "alert_attached")
            .order_by(incident_events.c.seq).limit(1)).first()
        route_name = attached.data.get("route") if attached is not None else None
        found = self.plan.policies.get(route_name or "")
        if found is None:
            return "monitoring", []
        return found.when_all_resolved, list(found.auto_resolve_severities)


def _runs(drafts: list[tuple[str, dom.Draft]]) -> list[tuple[str, list[dom.Draft]]]:
    """Consecutive drafts by the same actor, as one append each."""
    runs: list[tuple[str, list[dom.Draft]]] = []
    for actor, draft in drafts:
        if runs and runs[-1][0] == actor:
            runs[-1][1].append(draft)
        else:
            runs.append((actor, [draft]))
    return runs


_ALERT_ONLY = frozenset({"declare", "attach", "suppress"})


def _silence_ref(found: SilenceMatch) -> str:
    return f"{found.kind}:{found.id}"


def _incident_context(state: dom.IncidentState) -> dict[str, Any]:
    return {"id": state.human_id, "severity": state.severity, "type": state.type,
            "status": state.status, "title": state.title, "services": list(state.services)}
