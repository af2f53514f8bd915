"""Incident commands and queries, with the permission checks every interface shares."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from warroom.domain import incident as dom
from warroom.domain.errors import NotFound, PermissionDenied, UnknownValue
from warroom.domain.events import ChainBreak, Event, verify_chain
from warroom.domain.publication import default_component_status, default_impact, fill_title
from warroom.runtime import Runtime
from warroom.services.principal import Principal, require
from warroom.store import db
from warroom.store import incidents as store
from warroom.store import users as user_store
from warroom.store.users import get_user

log = logging.getLogger(__name__)

# The role each command needs; restricted incidents additionally need visibility.
COMMAND_ROLES: dict[type, str] = {
    dom.Acknowledge: "responder", dom.SetStatus: "responder", dom.SetSeverity: "responder",
    dom.SetType: "responder", dom.AssignRole: "responder", dom.UnassignRole: "responder",
    dom.AddResponder: "responder", dom.AddNote: "responder", dom.SetImpact: "responder",
    dom.Resolve: "responder", dom.Reopen: "commander", dom.Close: "commander",
    dom.Publish: "commander",
}
AUTO_PUBLISHER = "warroom:auto-publish"  # never a person: the service's config published it


def _check_user_refs(conn: Any, runtime: Runtime, command: dom.Command, caller: str) -> None:
    """Roles and responders name real people: the caller, users of warroom, or people the
    organisation config declares (who may not have logged in yet)."""
    name = command.user if isinstance(command, dom.AssignRole | dom.AddResponder) else None
    declared = {u.name for u in runtime.config.users}
    if name is None or name in (caller, *declared) or \
            user_store.get_user(conn, name) is not None:
        return
    known = sorted(declared | {u.name for u in user_store.list_users(conn)})
    raise UnknownValue("user", name, known[:50] + (["..."] if len(known) > 50 else []))


@dataclass(frozen=True)
class CommandResult:
    incident: dom.IncidentState
    events: list[Event]


class IncidentService:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    # ------------------------------------------------------------ visibility

    def can_see(self, principal: Principal | None, state: dom.IncidentState) -> bool:
        if state.visibility == "normal":
            return True
        if principal is None:
            return False
        return principal.sees_restricted or principal.name in state.participants()

    def _visible_or_404(self, principal: Principal | None, state: dom.IncidentState | None,
                        ref: str) -> dom.IncidentState:
        # Invisible incidents answer exactly like missing ones, so nothing leaks.
        if state is None or not self.can_see(principal, state):
            raise NotFound(f"no incident {ref!r}")
        return state

    # ------------------------------------------------------------ commands

    def declare(self, principal: Principal | None, command: dom.Declare,
                actor: str | None = None,
                followups: tuple[dom.Command, ...] = (), conn: Any = None) -> CommandResult:
        """Declare, then apply `followups` (e.g. assign a commander) in the same transaction.

        With `conn`, run inside the caller's transaction (alert intake); the caller then runs
        the after-commit hooks itself."""
        who = require(principal, "responder", "declaring an incident")
        now = self.rt.clock.now()
        drafts = dom.decide(None, command, self.rt.vocab, now)

        def run(c: Any) -> CommandResult:
            for followup in followups:
                _check_user_refs(c, self.rt, followup, who.name)
            incident_id = store.new_incident_id()
            human_id = store.next_human_id(
                c, now.year, restricted=drafts[0].data["visibility"] == "restricted")
            drafts[0].data["human_id"] = human_id
            state, events = store.append(c, incident_id, None, drafts, actor or who.name, now)
            for followup in followups:
                more = dom.decide(state, followup, self.rt.vocab, now)
                self._check_role_authority(c, who, state, followup)
                state, added = store.append(c, incident_id, state, more, actor or who.name, now)
                events += added
            publish = self._auto_publish(state)
            if publish is not None:
                more = dom.decide(state, publish, self.rt.vocab, now)
                state, added = store.append(c, incident_id, state, more, AUTO_PUBLISHER, now)
                events += added
            self._in_transaction(c, state, events)
            return CommandResult(state, events)

        if conn is not None:
            return run(conn)
        with self.rt.engine.begin() as c:
            result = run(c)
        self._after_commit(result.incident, result.events)
        return result

    def _auto_publish(self, state: dom.IncidentState) -> dom.Publish | None:
        """The services' `auto_publish` policy: publish at once at the chosen severities."""
        if state.visibility != "normal" or state.is_drill:
            return None
        chosen = [s for s in self.rt.config.services if s.name in state.services and s.public
                  and state.severity in s.auto_publish]
        if not chosen:
            return None
        rank = self.rt.vocab.scheme.keys().index(state.severity)
        level = self.rt.vocab.scheme.get(state.severity)
        names = {"component": ", ".join(s.component_name or s.name for s in chosen),
                 "severity_name": level.name if level else state.severity}
        return dom.Publish(
            title=fill_title(chosen[0].public_title, names) or "Service disruption",
            components=tuple((s.name, default_component_status(rank)) for s in chosen),
            impact=default_impact(rank))

    def execute(self, principal: Principal | None, ref: str, command: dom.Command,
                actor: str | None = None) -> CommandResult:
        role = COMMAND_ROLES.get(type(command), "responder")
        who = require(principal, role, f"{type(command).__name__} on an incident")
        with self.rt.engine.begin() as conn:
            incident_id = store.find_id(conn, ref)
            current = store.lock_state(conn, incident_id) if incident_id else None
            current = self._visible_or_404(who, current, ref)
            _check_user_refs(conn, self.rt, command, who.name)
            now = self.rt.clock.now()
            drafts = dom.decide(current, command, self.rt.vocab, now)
            self._check_role_authority(conn, who, current, command)
            state, events = store.append(conn, current.id, current, drafts, actor or who.name,
                                         now)
            self._in_transaction(conn, state, events)
        self._after_commit(state, events)
        return CommandResult(state, events)

    def _check_role_authority(self, conn: Any, who: Principal, state: dom.IncidentState,
                              command: dom.Command) -> None:
        """Approval-bearing roles are handed out only by those with authority over them."""
        if not isinstance(command, dom.AssignRole | dom.UnassignRole):
            return
        from warroom.runbooks.authority import approval_roles, assignment_refusal
        from warroom.runbooks.registry import registry

        bearing = approval_roles(self.rt.vocab.roles, registry(self.rt).runbooks)
        names = {getattr(command, "user", None), state.role_map().get(command.role)}
        assignees = {}
        for name in filter(None, names):
            row = get_user(conn, name)
            if row is not None and row.active:
                assignees[name] = Principal(row.name, row.role, row.is_security, row.id)
        refusal = assignment_refusal(who, state, command, bearing, assignees)
        if refusal:
            raise PermissionDenied(refusal)

    def append_system(self, ref: str, drafts: list[dom.Draft], actor: str,
                      conn: Any = None) -> CommandResult:
        """Append events produced by warroom itself (alerts, engine, runbooks)."""
        def run(c: Any) -> CommandResult:
            incident_id = store.find_id(c, ref)
            current = store.lock_state(c, incident_id) if incident_id else None
            if current is None:
                raise NotFound(f"no incident {ref!r}")
            state, events = store.append(c, current.id, current, drafts, actor,
                                         self.rt.clock.now())
            self._in_transaction(c, state, events)
            return CommandResult(state, events)

        if conn is not None:
            return run(conn)
        with self.rt.engine.begin() as c:
            result = run(c)
        self._after_commit(result.incident, result.events)
        return result

    def _in_transaction(self, conn: Any, state: dom.IncidentState, events: list[Event]) -> None:
        for hook in self.rt.hooks.in_transaction:
            hook(conn, state, events)
        for hook in self.rt.hooks.after_events:
            hook(conn, state, events)

    def _after_commit(self, state: dom.IncidentState, events: list[Event]) -> None:
        for hook in self.rt.hooks.after_commit:
            try:
                hook(state, events)
            except Exception:  # a listener must never undo a committed command
                log.exception("after-commit hook failed")

    # ------------------------------------------------------------ queries

    def get(self, principal: Principal | None, ref: str) -> dom.IncidentState:
        require(principal, "viewer", "reading incidents")
        with db.read(self.rt.engine) as conn:
            incident_id = store.find_id(conn, ref)
            state = store.lock_state(conn, incident_id) if incident_id else None
        return self._visible_or_404(principal, state, ref)

    def timeline(self, principal: Principal | None, ref: str, after_seq: int = 0,
                 limit: int | None = None) -> tuple[dom.IncidentState, list[Event]]:
        state = self.get(principal, ref)
        with db.read(self.rt.engine) as conn:
            return state, store.load_events(conn, state.id, after_seq, limit)

    def list(self, principal: Principal | None, flt: store.IncidentFilter, limit: int = 50,
             cursor: str | None = None) -> tuple[list[dom.IncidentState], str | None]:
        who = require(principal, "viewer", "listing incidents")
        with db.read(self.rt.engine) as conn:
            return store.list_incidents(conn, flt, store.visibility_clause(
                who.name, who.sees_restricted), limit, cursor)

    def count(self, principal: Principal | None, flt: store.IncidentFilter,
              cap: int | None = None) -> int:
        """The number of visible matches; with `cap`, any figure above cap means "more"."""
        who = require(principal, "viewer", "counting incidents")
        with db.read(self.rt.engine) as conn:
            return store.count_incidents(conn, flt, store.visibility_clause(
                who.name, who.sees_restricted), cap)

    def count_by_severity(self, principal: Principal | None,
                          flt: store.IncidentFilter) -> dict[str, int]:
        who = require(principal, "viewer", "counting incidents")
        with db.read(self.rt.engine) as conn:
            return store.count_by_severity(conn, flt, store.visibility_clause(
                who.name, who.sees_restricted))

    def verify(self, principal: Principal | None, ref: str) -> tuple[dom.IncidentState,
                                                                      ChainBreak | None, int]:
        """Recompute the chain; also check the projection equals the fold of the events."""
        state, events = self.timeline(principal, ref)
        broken = verify_chain(events, chain=state.id)
        if broken is None and events and dom.fold(events) != state:
            broken = ChainBreak(state.last_seq, "the incidents row differs from the fold of "
                                "its events (projection edited outside warroom)")
        return state, broken, len(events)
