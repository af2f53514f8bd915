"""Runbook runs: start one (on an incident or standalone), read its steps' states, and run,
finish by hand or skip a step — every action an event on the incident or the run's chain.

A step runs synchronously within its timeout: the `runbook_step_started` event commits first,
the executor runs outside any transaction, then the outcome commits with its output stored
as an artifact."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from warroom.clock import isoformat
from warroom.domain.errors import Conflict, InvalidCommand, NotFound
from warroom.domain.events import GENESIS_HASH, Event
from warroom.domain.incident import Draft, IncidentState
from warroom.runbooks import reverts
from warroom.runbooks.executors.http import run_http
from warroom.runbooks.executors.promql import promql_string, run_promql
from warroom.runbooks.executors.result import StepResult, step_result
from warroom.runbooks.executors.shell import run_shell
from warroom.runbooks.facts import AlertFacts, incident_alerts, parameter_values, secret_names
from warroom.runbooks.journal import Committed, load_run_events, record
from warroom.runbooks.model import (
    ExecutionMode,
    HttpExecutor,
    ManualExecutor,
    NotifyExecutor,
    PromqlExecutor,
    Runbook,
    ShellExecutor,
    Step,
    WaitExecutor,
)
from warroom.runbooks.registry import Registry, registry
from warroom.runbooks.shellsafety import (
    explain_use,
    option_refusals,
    unsafe_uses,
    untrusted_parameters,
    value_refusals,
    value_rules,
)
from warroom.runbooks.templating import RenderError, render_shell, render_text, render_url
from warroom.services.principal import Principal, require
from warroom.store import db
from warroom.store import incidents as incident_store
from warroom.store.runbooks import (
    approval_requests,
    get_artifact,
    put_artifact,
    runbook_runs,
    runbook_steps,
)

if TYPE_CHECKING:
    from warroom.runtime import Runtime

STEP_STATES = ("pending", "running", "ok", "failed", "skipped", "done_manually",
               "awaiting_approval")
FINISHED = frozenset({"ok", "done_manually", "skipped"})
CARRIED_OUT = frozenset({"ok", "done_manually"})
BY_HAND = (ManualExecutor, WaitExecutor)
_EXIT = re.compile(r"exit status (-?\d+)")
# A step still 'running' this long after its timeout was abandoned by a crashed process.
STALE_GRACE = timedelta(minutes=2)


@dataclass(frozen=True)
class RunRecord:
    id: str
    runbook_id: str
    incident_id: str | None
    status: str
    trigger: str
    started_by: str
    params: dict[str, str]
    service: str | None
    scheduled_for: datetime | None
    created_at: datetime
    updated_at: datetime
    last_seq: int
    head_hash: str


@dataclass(frozen=True)
class StepState:
    step_id: str
    position: int
    state: str
    attempts: int
    actor: str | None
    rendered: str | None
    detail: str | None
    note: str | None
    exit_code: int | None
    output_sha256: str | None
    mode: str | None
    started_at: datetime | None
    finished_at: datetime | None


def _run(row: sa.Row[Any]) -> RunRecord:
    return RunRecord(row.id, row.runbook_id, row.incident_id, row.status, row.trigger,
                     row.started_by, dict(row.params), row.service, row.scheduled_for,
                     row.created_at, row.updated_at, row.last_seq, row.head_hash)


def _step(row: sa.Row[Any]) -> StepState:
    return StepState(row.step_id, row.position, row.state, row.attempts, row.actor,
                     row.rendered, row.detail, row.note, row.exit_code, row.output_sha256,
                     row.mode, row.started_at, row.finished_at)


def load_run(conn: sa.Connection, run_id: str, lock: bool = False) -> RunRecord:
    query = sa.select(runbook_runs).where(runbook_runs.c.id == run_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no runbook run {run_id!r}; list runs with GET /api/v1/runs")
    return _run(row)


def load_steps(conn: sa.Connection, run_id: str) -> list[StepState]:
    rows = conn.execute(sa.select(runbook_steps).where(runbook_steps.c.run_id == run_id)
                        .order_by(runbook_steps.c.position))
    return [_step(r) for r in rows]


def _lock_step(conn: sa.Connection, run_id: str, step_id: str) -> StepState:
    query = sa.select(runbook_steps).where(runbook_steps.c.run_id == run_id,
                                           runbook_steps.c.step_id == step_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"run {run_id} has no step {step_id!r}")
    return _step(row)


def _set_step(conn: sa.Connection, run_id: str, step_id: str, **values: Any) -> None:
    conn.execute(sa.update(runbook_steps).where(runbook_steps.c.run_id == run_id,
                                                runbook_steps.c.step_id == step_id)
                 .values(**values))


def executor_kind(step: Step) -> str:
    return step.executor.type


def step_event_data(run: RunRecord, step: Step, **extra: Any) -> dict[str, Any]:
    return {"run_id": run.id, "runbook_id": run.runbook_id, "step_id": step.id,
            "title": step.title, "phase": step.phase, "executor": executor_kind(step), **extra}


def preview(step: Step, values: Mapping[str, str]) -> str:
    """The command, request or query the step would run with `values`."""
    ex = step.executor
    if isinstance(ex, ShellExecutor):
        return render_shell(ex.command, values)
    if isinstance(ex, HttpExecutor):
        return f"{ex.method} {render_url(ex.url, values)}"
    if isinstance(ex, PromqlExecutor):
        return render_text(ex.query, values, promql_string)
    if isinstance(ex, NotifyExecutor):
        return render_text(ex.message or f"template {ex.template}", values)
    if isinstance(ex, ManualExecutor):
        text = render_text(ex.instructions or step.title, values)
        return text + (f"\n\n{render_text(ex.snippet, values)}" if ex.snippet else "")
    return step.title


def approval_event(conn: sa.Connection, run: RunRecord, request_id: str) -> dict[str, Any]:
    """The data of `request_id`'s approval_requested event: what the approvers were shown."""
    events = (incident_store.load_events(conn, run.incident_id) if run.incident_id
              else load_run_events(conn, run.id))
    for event in events:
        if event.kind == "approval_requested" and event.data.get("request_id") == request_id:
            return dict(event.data)
    return {}


def approved_command(conn: sa.Connection, run: RunRecord, request_id: str) -> str | None:
    """The rendered command the approvers of `request_id` were shown (its request event)."""
    rendered = approval_event(conn, run, request_id).get("rendered")
    return rendered if isinstance(rendered, str) else None


def pin(key: str, rendered: str | None, values: Mapping[str, str],
        secrets: Collection[str]) -> dict[str, Any]:
    """What an approval pins: a keyed digest of the command as it will run — the rendering
    and every parameter value, unmasked (secrets, and values that reach the step only through
    the environment, included) — and one per secret that has a value, so a change can be
    named without revealing it. Keyed with the server's secret so the digests recorded on
    the timeline cannot be used to guess a secret."""
    def mac(obj: Any) -> str:
        return hmac.new(key.encode(), json.dumps(obj, sort_keys=True).encode(),
                        hashlib.sha256).hexdigest()
    return {"digest": mac({"rendered": rendered, "values": dict(values)}),
            "secrets": {n: mac({"secret": n, "value": values[n]})
                        for n in sorted(secrets) if n in values}}


def pin_changes(key: str, pinned: Mapping[str, Any], shown_then: Mapping[str, Any],
                rendered: str | None, values: Mapping[str, str],
                secrets: Collection[str]) -> list[str] | None:
    """None when `values` and `rendered` are what `pinned` approved; otherwise the names of
    the parameters that changed (secrets named, never shown)."""
    was = pinned.get("secrets") if isinstance(pinned.get("secrets"), dict) else {}
    assert isinstance(was, dict)
    considered = {k: v for k, v in values.items() if k not in secrets or k in was}
    now = pin(key, rendered, considered, secrets)
    if hmac.compare_digest(str(pinned.get("digest", "")), now["digest"]):
        return None
    changed = [k for k in sorted(set(shown_then) | set(values)) if k not in secrets
               and shown_then.get(k) != values.get(k)]
    changed += [f"secret {k}" for k in sorted(was) if now["secrets"].get(k) != was[k]]
    return changed


def refuse_nested(runbook: Runbook, step: Step, values: Mapping[str, str]) -> None:
    """Refuse a shell step that puts an alert-filled parameter where a second shell parses
    it, an alert-filled value starting with '-' where ssh reads options, or an alert-filled
    value that is not an inert word (the guarantee: default deny, whatever the context, and
    whether the value came from an alert or was typed in for a sourced parameter)."""
    if not isinstance(step.executor, ShellExecutor):
        return
    untrusted = untrusted_parameters(runbook)
    command = step.executor.command
    refused = [explain_use(step.id, use, untrusted[use.parameter])
               for use in unsafe_uses(command, runbook.parameter_names(), untrusted)]
    refused += option_refusals(step.id, command, values, untrusted)
    refused += value_refusals(step.id, command, values, value_rules(runbook))
    if refused:
        raise InvalidCommand("; ".join(refused))


class RunService:
    """Runs and their steps; permission checks for every interface live here."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    @property
    def registry(self) -> Registry:
        return registry(self.rt)

    # ------------------------------------------------------------ lookups

    def runbook(self, runbook_id: str) -> Runbook:
        found = self.registry.get(runbook_id)
        if found is None:
            where = self.registry.directory or "the configured runbooks directory"
            raise NotFound(f"no runbook {runbook_id!r} in {where}; list them with "
                           "`warroom runbook list`")
        return found

    def _step_of(self, runbook: Runbook, step_id: str) -> Step:
        step = runbook.step(step_id)
        if step is None:
            raise NotFound(f"runbook {runbook.id!r} has no step {step_id!r}; it has "
                           f"{', '.join(s.id for s in runbook.steps)}")
        return step

    def incident(self, principal: Principal | None, ref: str) -> IncidentState:
        from warroom.services.incidents import IncidentService

        return IncidentService(self.rt).get(principal, ref)

    def _visible(self, principal: Principal | None, run: RunRecord) -> RunRecord:
        if run.incident_id:
            try:
                self.incident(principal, run.incident_id)
            except NotFound:
                raise NotFound(f"no runbook run {run.id!r}") from None
        return run

    # ------------------------------------------------------------ runs

    def start(self, principal: Principal | None, runbook_id: str,
              incident_ref: str | None = None, params: Mapping[str, str] | None = None,
              ) -> RunRecord:
        who = require(principal, "responder", "starting a runbook run")
        runbook = self.runbook(runbook_id)
        incident = self.incident(who, incident_ref) if incident_ref else None
        committed = Committed()
        with self.rt.engine.begin() as conn:
            run = self.create_run(conn, runbook, incident, dict(params or {}), "manual",
                                  who.name, committed=committed)
        committed.flush(self.rt)
        return run

    def create_run(self, conn: sa.Connection, runbook: Runbook, incident: IncidentState | None,
                   params: dict[str, str], trigger: str, actor: str, *,
                   scheduled_for: datetime | None = None,
                   committed: Committed | None = None) -> RunRecord:
        """Insert a run with every step pending and record `runbook_run_started`."""
        if not self.registry.runnable(runbook.id):
            problems = [f.where() + ": " + f.message for f in self.registry.findings_for(
                runbook.id) if f.severity == "error"]
            raise InvalidCommand(f"runbook {runbook.id!r} has lint errors and cannot run: "
                                 + "; ".join(problems[:3]))
        parameter_values(runbook, [], params)  # refuses undeclared names early
        stored_secrets = sorted(secret_names(runbook) & set(params))
        if stored_secrets:
            raise InvalidCommand(f"secret parameter(s) {', '.join(stored_secrets)} are never "
                                 "stored with a run: pass them when running the step")
        now = self.rt.clock.now()
        run_id = uuid.uuid4().hex
        service = incident.services[0] if incident and incident.services else None
        conn.execute(sa.insert(runbook_runs).values(
            id=run_id, runbook_id=runbook.id, incident_id=incident.id if incident else None,
            status="open", trigger=trigger, started_by=actor, params=params, service=service,
            scheduled_for=scheduled_for, created_at=now, updated_at=now, last_seq=0,
            head_hash=GENESIS_HASH))
        for position, step in enumerate(runbook.steps):
            conn.execute(sa.insert(runbook_steps).values(
                run_id=run_id, step_id=step.id, position=position, state="pending",
                attempts=0))
        run = load_run(conn, run_id)
        shown = {k: ("<secret>" if k in secret_names(runbook) else v) for k, v in params.items()}
        record(self.rt, conn, run.id, run.incident_id, [Draft("runbook_run_started", {
            "run_id": run.id, "runbook_id": runbook.id, "title": runbook.title,
            "trigger": trigger, "params": shown,
            "scheduled_for": isoformat(scheduled_for) if scheduled_for else None})],
            actor, committed)
        return load_run(conn, run_id)

    def get(self, principal: Principal | None, run_id: str) -> tuple[RunRecord,
                                                                    list[StepState]]:
        require(principal, "viewer", "reading runbook runs")
        with db.read(self.rt.engine) as conn:
            run = load_run(conn, run_id)
            steps = load_steps(conn, run_id)
        return self._visible(principal, run), steps

    def list_runs(self, principal: Principal | None, runbook_id: str | None = None,
             incident_ref: str | None = None, limit: int = 50) -> list[RunRecord]:
        who = require(principal, "viewer", "listing runbook runs")
        query = sa.select(runbook_runs).order_by(runbook_runs.c.created_at.desc(),
                                                 runbook_runs.c.id)
        if runbook_id:
            query = query.where(runbook_runs.c.runbook_id == runbook_id)
        if incident_ref:
            query = query.where(runbook_runs.c.incident_id == self.incident(who,
                                                                              incident_ref).id)
        found: list[RunRecord] = []
        with db.read(self.rt.engine) as conn:
            for row in conn.execute(query.limit(limit * 2)):
                run = _run(row)
                try:
                    found.append(self._visible(who, run))
                except NotFound:
                    continue
                if len(found) >= limit:
                    break
        return found

    def events(self, principal: Principal | None, run_id: str) -> list[Event]:
        """The run's events: from its incident's timeline, or its own chain."""
        run, _steps = self.get(principal, run_id)
        with db.read(self.rt.engine) as conn:
            if run.incident_id:
                return [e for e in incident_store.load_events(conn, run.incident_id)
                        if e.data.get("run_id") == run.id]
            return load_run_events(conn, run.id)

    def artifact(self, principal: Principal | None, digest: str) -> bytes:
        """Step output, to callers who may see at least one run that produced it."""
        who = require(principal, "viewer", "reading step output")
        digest = digest.lower()
        with db.read(self.rt.engine) as conn:
            content = get_artifact(conn, digest)
            producers = conn.execute(sa.select(runbook_runs).join(
                runbook_steps, runbook_steps.c.run_id == runbook_runs.c.id).where(
                runbook_steps.c.output_sha256 == digest).limit(50)).all()
        for row in producers:
            try:
                self._visible(who, _run(row))
            except NotFound:
                continue
            if content is not None:
                return content
        raise NotFound(f"no artifact {digest!r}")

    # ------------------------------------------------------------ steps

    def run_step(self, principal: Principal | None, run_id: str, step_id: str,
                 params: Mapping[str, str] | None = None, retry: bool = False) -> StepState:
        who = require(principal, "responder", "running a runbook step")
        with db.read(self.rt.engine) as conn:
            run = self._visible(who, load_run(conn, run_id))
        runbook = self.runbook(run.runbook_id)
        step = self._step_of(runbook, step_id)
        if isinstance(step.executor, BY_HAND):
            raise InvalidCommand(f"step {step_id!r} is a {step.executor.type} step that a "
                                 "person carries out; mark it done with a note instead")
        return self.execute(run, runbook, step, dict(params or {}), who.name, retry=retry)

    def planned(self, run: RunRecord, runbook: Runbook, step: Step, given: Mapping[str, str]
                ) -> tuple[dict[str, str], dict[str, str], str]:
        """The parameter values, the same with secrets hidden, and the command, request or
        query the step would run now: what Run executes and what the console shows first."""
        with db.read(self.rt.engine) as conn:
            alerts: list[AlertFacts] = (incident_alerts(conn, run.incident_id)
                                        if run.incident_id else [])
        values = parameter_values(runbook, alerts, {**run.params, **given})
        hidden = secret_names(runbook)
        shown = {k: ("<secret>" if k in hidden else v) for k, v in values.items()}
        try:
            rendered = preview(step, shown)
        except RenderError as exc:
            raise InvalidCommand(f"step {step.id!r} cannot be rendered: {exc}") from exc
        return values, shown, rendered

    def execute(self, run: RunRecord, runbook: Runbook, step: Step, given: dict[str, str],
                actor: str, *, retry: bool = False,
                extra: Mapping[str, Any] | None = None) -> StepState:
        """Run one step now (no permission check: callers check, or are the engine)."""
        reg = self.registry
        mode = reg.settings.mode()
        values, _, rendered = self.planned(run, runbook, step, given)
        refuse_nested(runbook, step, values)
        committed = Committed()
        with self.rt.engine.begin() as conn:
            current = _lock_step(conn, run.id, step.id)
            self._check_can_start(current, step, retry)
            approval_id = self._consume_approval(conn, run, step, rendered, values,
                                                 secret_names(runbook))
            now = self.rt.clock.now()
            conn.execute(sa.update(runbook_runs).where(runbook_runs.c.id == run.id)
                         .values(status="open", updated_at=now))
            _set_step(conn, run.id, step.id, state="running", attempts=current.attempts + 1,
                      actor=actor, started_at=now, finished_at=None, rendered=rendered,
                      mode=mode, detail=None, exit_code=None, output_sha256=None)
            record(self.rt, conn, run.id, run.incident_id, [Draft(
                "runbook_step_started", step_event_data(
                    run, step, rendered=rendered, mode=mode, attempt=current.attempts + 1,
                    approval_request_id=approval_id, dangerous=step.dangerous,
                    **dict(extra or {})))], actor, committed)
        committed.flush(self.rt)
        try:
            result = self._dispatch(runbook, step, values, mode)
        except Exception as exc:  # the step must never stay 'running' forever
            result = step_result("failed", "", rendered, detail=f"executor error: {exc}")
        return self._finish(run, runbook, step, result, rendered, mode, actor, extra)

    def step_deadline(self, step: Step) -> timedelta:
        """How long a run of `step` can take before it is surely dead (crashed worker)."""
        settings = self.registry.settings
        limit = step.timeout or (settings.shell.timeout if isinstance(
            step.executor, ShellExecutor) else settings.http_timeout)
        return limit + STALE_GRACE

    def _check_can_start(self, current: StepState, step: Step, retry: bool) -> None:
        if current.state == "running":
            started = current.started_at or self.rt.clock.now()
            if self.rt.clock.now() - started < self.step_deadline(step):
                raise Conflict(f"step {current.step_id!r} is already running (started by "
                               f"{current.actor}); wait for it to finish")
            return  # abandoned by a process that died mid-step: may run again
        if current.state in CARRIED_OUT:
            raise Conflict(f"step {current.step_id!r} is already {current.state}")
        if retry and current.state not in ("failed", "skipped"):
            raise Conflict(f"only a failed or skipped step can be retried; step "
                           f"{current.step_id!r} is {current.state}")

    def _consume_approval(self, conn: sa.Connection, run: RunRecord, step: Step,
                          rendered: str | None = None, values: Mapping[str, str] | None = None,
                          secrets: Collection[str] = ()) -> str | None:
        """Use up the step's granted request. With `rendered`, the command about to run must
        be the one the approvers were shown; with `values`, every parameter value must be the
        one pinned when approval was asked (secrets included)."""
        if step.requires_approval is None:
            return None
        rows = conn.execute(sa.select(approval_requests).where(
            approval_requests.c.run_id == run.id, approval_requests.c.step_id == step.id)
            .order_by(approval_requests.c.requested_at.desc())).all()
        granted = next((r for r in rows if r.status == "granted"), None)
        if granted is None:
            pending = next((r for r in rows if r.status == "pending"), None)
            need = (f"{step.requires_approval.count} approval(s) from "
                    f"{' / '.join(step.requires_approval.roles)}")
            if pending is not None:
                raise Conflict(f"step {step.id!r} needs {need}; request {pending.id} is still "
                               "waiting for approvers")
            raise Conflict(f"step {step.id!r} needs {need}; request it with `warroom runbook "
                           f"request-approval {run.id} {step.id} --reason ...` first")
        if rendered is not None:
            approved = approved_command(conn, run, str(granted.id))
            if approved != rendered:
                shown = repr(approved) if approved is not None else "no command (it could not " \
                    "be rendered when approval was asked)"
                raise Conflict(f"step {step.id!r} would now run {rendered!r}, but request "
                               f"{granted.id} approved {shown}; the parameters changed since "
                               "— request approval again for the command you mean to run")
        data = approval_event(conn, run, str(granted.id)) if values is not None else {}
        pinned, shown_then = data.get("pin"), data.get("parameters")
        if values is not None and isinstance(pinned, dict):
            changed = pin_changes(self.rt.secret_key, pinned,
                                  shown_then if isinstance(shown_then, dict) else {},
                                  rendered, values, secrets)
            if changed is not None:
                what = ", ".join(changed) or "the command's values"
                raise Conflict(f"step {step.id!r} would now run with different parameter "
                               f"values than request {granted.id} approved ({what} changed "
                               "since) — request approval again for the values you mean to "
                               "run with")
        conn.execute(sa.update(approval_requests).where(approval_requests.c.id == granted.id)
                     .values(status="used", updated_at=self.rt.clock.now()))
        return str(granted.id)

    def _dispatch(self, runbook: Runbook, step: Step, values: dict[str, str],
                  mode: ExecutionMode) -> StepResult:
        reg, ex = self.registry, step.executor
        if isinstance(ex, ShellExecutor):
            policy = reg.shell_policy()
            if ex.workdir:
                base = policy.workdir or Path.cwd()
                policy = dataclasses.replace(policy, workdir=base / ex.workdir)
            return run_shell(ex.command, values, policy, timeout=step.timeout,
                             untrusted=value_rules(runbook), step_id=step.id)
        timeout = step.timeout or reg.settings.http_timeout
        if isinstance(ex, HttpExecutor):
            return run_http(ex, values, timeout=timeout, mode=mode)
        if isinstance(ex, PromqlExecutor):
            if not reg.settings.prometheus_url:
                return step_result("failed", "", ex.query, detail=(
                    "no Prometheus configured: set runbooks.prometheus_url in the config"))
            return run_promql(ex, values, base_url=reg.settings.prometheus_url,
                              timeout=timeout, mode=mode)
        if isinstance(ex, NotifyExecutor):
            text = render_text(ex.message or f"template {ex.template}", values)
            if mode != "enabled":
                return step_result("skipped", "", text, detail=f"{mode}: message not sent")
            return step_result("ok", text, text, detail="message queued")
        raise InvalidCommand(f"step {step.id!r} is carried out by hand")

    def _finish(self, run: RunRecord, runbook: Runbook, step: Step, result: StepResult,
                rendered: str, mode: str, actor: str,
                extra: Mapping[str, Any] | None) -> StepState:
        committed = Committed()
        exit_match = _EXIT.search(result.detail) if isinstance(step.executor,
                                                               ShellExecutor) else None
        exit_code = int(exit_match.group(1)) if exit_match else None
        with self.rt.engine.begin() as conn:
            now = self.rt.clock.now()
            content = result.output.encode("utf-8", errors="surrogateescape")
            digest = put_artifact(conn, content, now)
            _set_step(conn, run.id, step.id, state=result.outcome, finished_at=now,
                      detail=result.detail, exit_code=exit_code, output_sha256=digest)
            drafts = [Draft("runbook_step_finished", step_event_data(
                run, step, rendered=rendered, mode=mode, outcome=result.outcome,
                exit_code=exit_code, output_sha256=digest, output_size=len(content),
                detail=result.detail, duration_s=round(result.duration_s, 3),
                **dict(extra or {})))]
            if result.outcome == "ok":
                drafts += self._after_carried_out(conn, run, runbook, step, now)
                if isinstance(step.executor, NotifyExecutor):
                    from warroom.runbooks import notices

                    notices.notify(self.rt, conn, key=f"runbook-notify:{run.id}:{step.id}:"
                                   f"{isoformat(now)}", kind="update",
                                   incident_id=run.incident_id, subject=step.title,
                                   body=result.output)
            drafts += self._maybe_complete(conn, run)
            record(self.rt, conn, run.id, run.incident_id, drafts, actor, committed)
            state = _lock_step(conn, run.id, step.id)
        committed.flush(self.rt)
        return state

    def _after_carried_out(self, conn: sa.Connection, run: RunRecord, runbook: Runbook,
                           step: Step, now: datetime) -> list[Draft]:
        drafts = reverts.clear_by(conn, run_id=run.id, runbook=runbook, revert_step_id=step.id,
                                  now=now)
        if step.revert is not None:
            drafts += reverts.start(conn, run_id=run.id, incident_id=run.incident_id,
                                    runbook=runbook, step=step, now=now,
                                    reminder_at=self.registry.settings.revert_reminder_at)
        return drafts

    def _maybe_complete(self, conn: sa.Connection, run: RunRecord) -> list[Draft]:
        steps = load_steps(conn, run.id)
        now = self.rt.clock.now()
        finished = all(s.state in FINISHED for s in steps)
        was = load_run(conn, run.id).status
        conn.execute(sa.update(runbook_runs).where(runbook_runs.c.id == run.id).values(
            status="completed" if finished else "open", updated_at=now))
        if not finished or was == "completed":
            return []
        return [Draft("runbook_run_completed", {
            "run_id": run.id, "runbook_id": run.runbook_id,
            "outcomes": {s.step_id: s.state for s in steps}})]

    def mark_done(self, principal: Principal | None, run_id: str, step_id: str,
                  note: str) -> StepState:
        """A person carried the step out; manual steps, or any step that needs no approval."""
        return self._by_hand(principal, run_id, step_id, note, "done_manually")

    def skip(self, principal: Principal | None, run_id: str, step_id: str,
             reason: str) -> StepState:
        return self._by_hand(principal, run_id, step_id, reason, "skipped")

    def _by_hand(self, principal: Principal | None, run_id: str, step_id: str, text: str,
                 outcome: str) -> StepState:
        who = require(principal, "responder", "finishing a runbook step")
        what = "a note" if outcome == "done_manually" else "a reason"
        if not text.strip():
            raise InvalidCommand(f"say why: {outcome.replace('_', ' ')} needs {what}")
        with db.read(self.rt.engine) as conn:
            run = self._visible(who, load_run(conn, run_id))
        runbook = self.runbook(run.runbook_id)
        step = self._step_of(runbook, step_id)
        if (outcome == "done_manually" and step.requires_approval is not None
                and not isinstance(step.executor, BY_HAND)):
            raise InvalidCommand(f"step {step_id!r} needs approval; it cannot be marked done "
                                 "by hand — request approval and run it")
        committed = Committed()
        with self.rt.engine.begin() as conn:
            current = _lock_step(conn, run.id, step.id)
            if current.state == "running" or current.state in CARRIED_OUT:
                raise Conflict(f"step {step_id!r} is {current.state}")
            approval_id = (self._consume_approval(conn, run, step)
                           if outcome == "done_manually" else None)
            now = self.rt.clock.now()
            _set_step(conn, run.id, step.id, state=outcome, actor=who.name,
                      started_at=current.started_at or now, finished_at=now, note=text.strip(),
                      attempts=current.attempts + (outcome == "done_manually"))
            key = "note" if outcome == "done_manually" else "reason"
            drafts = []
            if outcome == "done_manually":
                drafts.append(Draft("runbook_step_started", step_event_data(
                    run, step, by_hand=True, approval_request_id=approval_id)))
            else:
                conn.execute(sa.update(approval_requests).where(
                    approval_requests.c.run_id == run.id,
                    approval_requests.c.step_id == step.id,
                    approval_requests.c.status.in_(["pending", "granted"]))
                    .values(status="cancelled", updated_at=now))
            drafts.append(Draft("runbook_step_finished", step_event_data(
                run, step, outcome=outcome, **{key: text.strip()})))
            if outcome == "done_manually":
                drafts += self._after_carried_out(conn, run, runbook, step, now)
            drafts += self._maybe_complete(conn, run)
            record(self.rt, conn, run.id, run.incident_id, drafts, who.name, committed)
            state = _lock_step(conn, run.id, step.id)
        committed.flush(self.rt)
        return state
