"""Integrations: named intake endpoints with a kind, a default service, a key and limits.

Declared under `integrations:` in config (the key from `${ENV_VAR}` or generated and kept in
the database) or created by admins through the API; all of them live in `intake_integrations`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from warroom.domain.errors import Conflict
from warroom.routing.duration import Duration
from warroom.store.alerts import integrations as table

Kind = Literal["alertmanager", "prometheus", "pagerduty", "generic", "heartbeat"]
KINDS: tuple[str, ...] = ("alertmanager", "prometheus", "pagerduty", "generic", "heartbeat")
_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


class IntegrationConfig(BaseModel):
    """One entry of the `integrations:` config section."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
    kind: Kind
    service: str | None = None
    key: str | None = Field(None, description="`${ENV_VAR}` or a literal; generated if omitted.")
    rate_limit: float | None = Field(None, gt=0, description="Requests per second (sustained).")
    burst: int | None = Field(None, ge=1, description="Requests allowed at once; default 2x "
                              "rate_limit.")
    interval: Duration | None = Field(None, description="Heartbeats: the longest gap allowed.")


@dataclass(frozen=True)
class Integration:
    name: str
    kind: str
    service: str | None
    key: str
    rate_limit: float | None = None
    burst: int | None = None
    interval: timedelta | None = None
    origin: str = "config"


class IntegrationConfigError(ValueError):
    """`integrations:` entries that do not validate; one `file:line: problem` per line."""


def parse_integrations(raw: Sequence[dict[str, Any]], where: Any = None,
                       services: Sequence[str] = (),
                       env: dict[str, str] | None = None) -> list[tuple[IntegrationConfig,
                                                                         str | None]]:
    """Validate the config section; returns each config with its resolved key (None: generate).

    `where(loc)` names file:line for a config location.
    """
    env = dict(os.environ) if env is None else env
    problems: list[str] = []
    out: list[tuple[IntegrationConfig, str | None]] = []
    seen: set[str] = set()

    def place(loc: tuple[str | int, ...]) -> str:
        return f"{where(loc)}: " if where is not None else ""

    for index, item in enumerate(raw):
        loc: tuple[str | int, ...] = ("integrations", index)
        try:
            config = IntegrationConfig.model_validate(item)
        except ValidationError as exc:
            for error in exc.errors():
                field = ".".join(str(p) for p in error["loc"])
                problems.append(f"{place((*loc, *error['loc']))}integrations[{index}].{field}: "
                                f"{error['msg']}")
            continue
        if config.name in seen:
            problems.append(f"{place((*loc, 'name'))}integrations[{index}]: duplicate "
                            f"integration name {config.name!r}")
        seen.add(config.name)
        if config.service and services and config.service not in services:
            problems.append(f"{place((*loc, 'service'))}integrations[{index}].service: unknown "
                            f"service {config.service!r}; defined services: "
                            f"{', '.join(services)}")
        if config.kind == "heartbeat" and config.interval is None:
            problems.append(f"{place(loc)}integrations[{index}]: a heartbeat needs `interval`, "
                            "e.g. interval: 10m")
        key = config.key
        if key is not None:
            found = _ENV_REF.match(key)
            if found:
                key = env.get(found.group(1))
                if not key:
                    problems.append(f"{place((*loc, 'key'))}integrations[{index}].key: "
                                    f"environment variable {found.group(1)} is not set; set it "
                                    "or remove `key` to have warroom generate one")
            elif len(key) < 16:
                problems.append(f"{place((*loc, 'key'))}integrations[{index}].key: keys must be "
                                "at least 16 characters; use ${ENV_VAR} or omit it")
        out.append((config, key))
    if problems:
        raise IntegrationConfigError("\n".join(problems))
    return out


def new_key() -> str:
    return secrets.token_hex(16)  # 32 characters, like a PagerDuty routing key


def _from_row(row: Any) -> Integration:
    return Integration(row.name, row.kind, row.service, row.key, row.rate_limit, row.burst,
                       timedelta(seconds=row.interval_seconds)
                       if row.interval_seconds is not None else None, row.origin)


def sync_config(conn: sa.Connection, configs: Sequence[tuple[IntegrationConfig, str | None]],
                now: datetime) -> None:
    """Make the table hold every configured integration; existing generated keys are kept."""
    existing = {row.name: row for row in conn.execute(sa.select(table))}
    for config, key in configs:
        values = {"kind": config.kind, "service": config.service,
                  "rate_limit": config.rate_limit, "burst": config.burst,
                  "interval_seconds": config.interval.total_seconds()
                  if config.interval else None, "origin": "config"}
        row = existing.get(config.name)
        if row is None:
            conn.execute(sa.insert(table).values(name=config.name, key=key or new_key(),
                                                 created_by="config", created_at=now, **values))
        else:
            if key and key != row.key:
                values["key"] = key
            current = {name: getattr(row, name) for name in values}
            if current != values:
                conn.execute(sa.update(table).where(table.c.name == config.name)
                             .values(**values))


def create(conn: sa.Connection, config: IntegrationConfig, created_by: str,
           now: datetime) -> Integration:
    """A new integration made through the API (key generated unless given)."""
    if conn.execute(sa.select(table.c.name).where(table.c.name == config.name)).first():
        raise Conflict(f"an integration named {config.name!r} already exists; pick another "
                       "name or list them with `warroom integration list`")
    if config.kind == "heartbeat" and config.interval is None:
        raise Conflict("a heartbeat integration needs `interval`, e.g. \"10m\"")
    key = config.key or new_key()
    if conn.execute(sa.select(table.c.name).where(table.c.key == key)).first():
        # Keys identify the sender: two integrations can never share one.
        raise Conflict("another integration already uses this key; omit `key` to have one "
                       "generated")
    conn.execute(sa.insert(table).values(
        name=config.name, kind=config.kind, service=config.service, key=key,
        rate_limit=config.rate_limit, burst=config.burst,
        interval_seconds=config.interval.total_seconds() if config.interval else None,
        origin="api", created_by=created_by, created_at=now))
    return Integration(config.name, config.kind, config.service, key, config.rate_limit,
                       config.burst, config.interval, "api")


def list_all(conn: sa.Connection) -> list[Integration]:
    return [_from_row(row) for row in conn.execute(sa.select(table).order_by(table.c.name))]


def prometheus_alerting(public_url: str, integration: Integration) -> str | None:
    """The `alerting:` block to paste into prometheus.yml for a Prometheus integration: the key
    travels as a bearer token and Prometheus appends `/api/v2/alerts` to `path_prefix` itself,
    so the block names the server, never the full intake URL."""
    if integration.kind != "prometheus":
        return None
    parts = urlsplit(public_url.rstrip("/"))
    scheme = parts.scheme or "http"
    host = parts.netloc or parts.path
    if parts.port is None and ":" not in host.rsplit("]", 1)[-1]:
        host = f"{host}:{443 if scheme == 'https' else 80}"
    path_prefix = parts.path if parts.netloc and parts.path else "/"
    return (f"alerting:\n"
            f"  alertmanagers:\n"
            f"    - scheme: {scheme}\n"
            f"      path_prefix: {path_prefix}\n"
            f"      static_configs:\n"
            f"        - targets: [{json.dumps(host)}]\n"
            f"      authorization:\n"
            f"        type: Bearer\n"
            f"        credentials: {json.dumps(integration.key)}\n")


def intake_url(public_url: str, integration: Integration) -> str:
    """The ready-to-paste URL (or base URL, for PagerDuty and Prometheus) for a sender."""
    base = public_url.rstrip("/")
    if integration.kind == "pagerduty":
        return f"{base}/v2/enqueue"
    if integration.kind == "prometheus":
        return f"{base}/api/v1/intake/prometheus/{integration.key}/api/v2/alerts"
    return f"{base}/api/v1/intake/{integration.kind}/{integration.key}"


class Registry:
    """Key -> integration lookups for the intake hot path, cached; a miss asks the database,
    so integrations created on another instance are found too."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._by_key: dict[str, Integration] = {}
        self._lock = threading.Lock()

    def by_key(self, key: str) -> Integration | None:
        found = self._by_key.get(key)
        if found is not None:
            return found
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(table).where(table.c.key == key)).first()
        if row is None:
            return None
        integration = _from_row(row)
        with self._lock:
            self._by_key[key] = integration
        return integration

    def by_name(self, name: str) -> Integration | None:
        for integration in list(self._by_key.values()):
            if integration.name == name:
                return integration
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(table).where(table.c.name == name)).first()
        return _from_row(row) if row is not None else None

    def forget(self) -> None:
        with self._lock:
            self._by_key.clear()


class RateLimiter:
    """A token bucket per integration; `take` returns 0 when allowed, else seconds to wait."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # name -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, integration: Integration, now: float) -> float:
        rate = integration.rate_limit
        if rate is None:
            return 0.0
        capacity = float(integration.burst or max(1, int(rate * 2)))
        with self._lock:
            tokens, at = self._buckets.get(integration.name, (capacity, now))
            tokens = min(capacity, tokens + max(0.0, now - at) * rate)
            if tokens >= 1.0:
                self._buckets[integration.name] = (tokens - 1.0, now)
                return 0.0
            self._buckets[integration.name] = (tokens, now)
            return (1.0 - tokens) / rate
