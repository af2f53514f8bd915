"""Intake in the engine: config checks and key sync at start, heartbeat and probe passes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from pydantic import ValidationError

from warroom.config.loader import ConfigError
from warroom.engine.worker import periodic
from warroom.intake import heartbeat as heartbeat_format
from warroom.intake import integrations as integ
from warroom.intake import probes, prometheus, triggers
from warroom.intake.dedup import Submission
from warroom.intake.pipeline import IntakeConfigError, compile_plan
from warroom.intake.signal import Signal
from warroom.intake.writer import writer_for
from warroom.store.alerts import EXPIRY_WHERE, alerts, heartbeats, probe_results, probe_states
from warroom.store.alerts import integrations as integration_table
from warroom.store.db import read

if TYPE_CHECKING:
    from warroom.runtime import Runtime

log = logging.getLogger(__name__)

PROBE_INTEGRATION = "probes"


@dataclass(frozen=True)
class ServiceProbe:
    service: str
    probe: probes.ProbeConfig


def install(runtime: Runtime) -> None:
    """Check integrations, routes, rules, windows and probes now, so `serve` fails at start
    with file:line; then make the database hold the configured integrations."""
    origins = runtime.loaded.origins
    try:
        configs = integ.parse_integrations(runtime.config.integrations, origins.where,
                                           runtime.config.service_names())
        runtime.extras["intake.plan"] = compile_plan(runtime)
        runtime.extras["intake.probes"] = service_probes(runtime)
        triggers.install(runtime, writer_for(runtime).pipeline)
    except integ.IntegrationConfigError as exc:
        raise ConfigError(str(exc).splitlines()) from None
    except IntakeConfigError as exc:
        raise ConfigError(exc.problems) from None
    if sa.inspect(runtime.engine).has_table(integration_table.name):
        with runtime.engine.begin() as conn:
            integ.sync_config(conn, configs, runtime.clock.now())


def service_probes(runtime: Runtime) -> list[ServiceProbe]:
    out: list[ServiceProbe] = []
    problems: list[str] = []
    for s_index, service in enumerate(runtime.config.services):
        for p_index, raw in enumerate(service.probes):
            try:
                out.append(ServiceProbe(service.name, probes.ProbeConfig.model_validate(raw)))
            except ValidationError as exc:
                loc = ("services", s_index, "probes", p_index)
                problems.extend(f"{runtime.loaded.origins.where((*loc, *e['loc']))}: "
                                f"{'.'.join(map(str, (*loc, *e['loc'])))}: {e['msg']}"
                                for e in exc.errors())
    if problems:
        raise IntakeConfigError(problems)
    return out


# ---------------------------------------------------------------- heartbeats


@periodic("intake.heartbeats", timedelta(seconds=5))
def check_heartbeats(runtime: Runtime) -> None:
    """Raise an alert for every heartbeat silent for longer than its interval."""
    now = runtime.clock.now()
    with runtime.engine.connect() as conn:
        beats = [i for i in integ.list_all(conn) if i.kind == "heartbeat" and i.interval]
        if not beats:
            return
        last = {row.integration: row.last_seen for row in conn.execute(sa.select(heartbeats))}
        created = {row.name: row.created_at for row in conn.execute(
            sa.select(integration_table.c.name, integration_table.c.created_at))}
        open_keys = {(row.integration, row.dedup_key) for row in conn.execute(
            sa.select(alerts.c.integration, alerts.c.dedup_key).where(
                alerts.c.status == "firing", alerts.c.source == heartbeat_format.SOURCE))}
    for integration in beats:
        assert integration.interval is not None
        beat = heartbeat_format.Heartbeat(integration.name, integration.name,
                                          integration.interval, integration.service)
        seen: datetime = last.get(integration.name) or created[integration.name]
        alerting = (integration.name, heartbeat_format.dedup_key(beat)) in open_keys
        signal = heartbeat_format.evaluate(beat, seen, now, alerting)
        if signal is not None and signal.status == "firing":
            writer_for(runtime).write(Submission(integration, [signal]))


# ---------------------------------------------------------------- expiry

EXPIRE_BATCH = 1000  # alerts per pass; a bigger backlog drains over the next passes


@periodic("intake.expiry", timedelta(seconds=1))
def expire_alerts(runtime: Runtime) -> None:
    """Resolve firing alerts from the Alertmanager API (Prometheus pointed at warroom, amtool)
    whose `endsAt` passed without a re-send: Alertmanager's own rule. `ends_at` is the durable
    timer; alerts posted without one got `now + WARROOM_RESOLVE_TIMEOUT` at intake."""
    now = runtime.clock.now()
    with read(runtime.engine) as conn:
        rows = conn.execute(
            sa.select(alerts.c.integration, alerts.c.dedup_key, alerts.c.summary,
                      alerts.c.labels, alerts.c.annotations, alerts.c.ends_at)
            .where(sa.text(EXPIRY_WHERE), alerts.c.ends_at <= now)
            .order_by(alerts.c.ends_at).limit(EXPIRE_BATCH)).all()
        if not rows:
            return
        known = {i.name: i for i in integ.list_all(conn)}
    by_integration: dict[str, list[Signal]] = {}
    for row in rows:
        by_integration.setdefault(row.integration, []).append(Signal(
            prometheus.SOURCE, row.integration, row.dedup_key, "resolved", row.summary,
            labels=dict(row.labels), annotations=dict(row.annotations), ends_at=row.ends_at,
            raw={"expired": True}))
    for name, signals in by_integration.items():
        integration = known.get(name) or integ.Integration(name, "prometheus", None, "",
                                                           origin="engine")
        writer_for(runtime).write(Submission(integration, signals, expiry=True))


# ---------------------------------------------------------------- probes


@periodic("intake.probes", timedelta(seconds=1))
def run_probes(runtime: Runtime) -> None:
    """Run every probe whose interval has passed; keep the result; alert after N failures."""
    declared = runtime.extras.get("intake.probes")
    if not declared:
        return
    now = runtime.clock.now()
    with runtime.engine.connect() as conn:
        states = {(row.probe, row.kind): row for row in conn.execute(sa.select(probe_states))}
    with probes.ProbeClients() as clients:
        for item in declared:
            kinds: list[probes.ProbeKind] = ["http"]
            if item.probe.tls_expiry_days is not None:
                kinds.append("tls")
            for kind in kinds:
                row = states.get((item.probe.name, kind))
                if row is not None and now - row.last_run_at < item.probe.interval:
                    continue
                result = (probes.run_http_probe(item.probe, clients.for_probe(item.probe),
                                                runtime.clock)
                          if kind == "http" else
                          probes.check_certificate(item.probe, runtime.clock))
                state = probes.ProbeState(row.consecutive_failures, row.alerting) if row \
                    else probes.ProbeState()
                _record(runtime, item, result, state, row is not None)


def _record(runtime: Runtime, item: ServiceProbe, result: probes.ProbeResult,
            state: probes.ProbeState, exists: bool) -> None:
    new_state, signal = probes.observe(item.probe, state, result, PROBE_INTEGRATION,
                                       item.service)
    with runtime.engine.begin() as conn:
        conn.execute(sa.insert(probe_results).values(
            probe=result.probe, service=item.service, kind=result.kind, at=result.at,
            ok=result.ok, detail=result.detail, status_code=result.status_code,
            duration_ms=result.duration_ms, cert_expires_at=result.cert_expires_at))
        values = {"consecutive_failures": new_state.consecutive_failures,
                  "alerting": new_state.alerting, "last_run_at": result.at}
        if exists:
            conn.execute(sa.update(probe_states).where(
                probe_states.c.probe == result.probe, probe_states.c.kind == result.kind)
                .values(**values))
        else:
            conn.execute(sa.insert(probe_states).values(probe=result.probe, kind=result.kind,
                                                        **values))
    if signal is not None:
        integration = integ.Integration(PROBE_INTEGRATION, "probe", item.service, "",
                                        origin="engine")
        writer_for(runtime).write(Submission(integration, [signal]))
