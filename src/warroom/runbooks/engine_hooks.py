"""Engine plugin of the runbook engine: revert-deadline timers, the scheduled-runbook pass,
the automation pass, and loading (and linting) the runbooks at startup."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from warroom.engine import timers, worker
from warroom.runbooks import automation, reverts, scheduling
from warroom.runbooks.registry import parse_settings, registry

if TYPE_CHECKING:
    from warroom.runtime import Runtime


@timers.handler(reverts.REMINDER)
def _revert_reminder(runtime: Runtime, conn: sa.Connection, timer: timers.Timer) -> None:
    reverts.fire(runtime, conn, timer)


@timers.handler(reverts.BREACH)
def _revert_breach(runtime: Runtime, conn: sa.Connection, timer: timers.Timer) -> None:
    reverts.fire(runtime, conn, timer)


@worker.periodic("runbook-schedules", timedelta(seconds=30))
def _schedules(runtime: Runtime) -> None:
    scheduling.run_due(runtime)


@worker.periodic("runbook-automation", timedelta(0))
def _automation(runtime: Runtime) -> None:
    automation.run_queued(runtime)


@worker.periodic("runbook-registry", timedelta(days=1), singleton=False)
def _registry(runtime: Runtime) -> None:
    """Load (and lint) the runbooks when the engine starts, so lint errors are logged with
    file:line at startup rather than on the first request that needs them."""
    registry(runtime)


def rule_action(runtime: Runtime, conn: sa.Connection, incident_id: str, action: Any) -> None:
    """A rule's `run_step` action, queued in the intake transaction (see automation)."""
    runbook, step, rule = (getattr(action, name, None) for name in ("runbook", "step", "rule"))
    if runbook and step:
        automation.run_step_for_rule(runtime, conn, incident_id, str(runbook), str(step),
                                     str(rule or "rule"))


def install(runtime: Runtime) -> None:
    """Check the `runbooks:` config section now (its errors name the file and line), and
    take over `run_step` rule actions from the intake pipeline when it is present."""
    parse_settings(runtime.config.runbooks, runtime.loaded.origins.where)
    try:
        from warroom.intake import pipeline
    except ImportError:  # intake not installed: rules call run_step_for_rule themselves
        return
    hooks = getattr(pipeline, "RUN_STEP_HOOKS", None)
    if isinstance(hooks, list) and rule_action not in hooks:
        hooks.append(rule_action)
