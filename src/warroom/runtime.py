"""Runtime: the settings, database, config and clock one warroom process works with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from warroom.clock import Clock, SystemClock
from warroom.config.loader import LoadedConfig, load_config
from warroom.config.models import OrgConfig
from warroom.domain.events import Event
from warroom.domain.incident import IncidentState, Vocabulary
from warroom.settings import Settings, persistent_secret
from warroom.store import db

# Called inside the transaction that appends events: schedule outbox rows and timers here.
InTransactionHook = Callable[[sa.Connection, IncidentState, list[Event]], None]
# Called after commit: live updates, metrics. Must not raise.
AfterCommitHook = Callable[[IncidentState, list[Event]], None]


@dataclass
class Hooks:
    in_transaction: list[InTransactionHook] = field(default_factory=list)
    after_commit: list[AfterCommitHook] = field(default_factory=list)
    # Called in the same transaction once every in_transaction hook has seen the events; may
    # append events of its own (the incident rules), which pass through all hooks again.
    after_events: list[InTransactionHook] = field(default_factory=list)


@dataclass
class Runtime:
    settings: Settings
    engine: sa.Engine
    loaded: LoadedConfig
    clock: Clock
    hooks: Hooks = field(default_factory=Hooks)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> OrgConfig:
        return self.loaded.config

    @property
    def vocab(self) -> Vocabulary:
        cfg = self.config
        return Vocabulary(scheme=cfg.severity_scheme(), types=cfg.incident_types_all(),
                          roles=cfg.roles_all(), restricted_types=cfg.restricted_types())

    @property
    def secret_key(self) -> str:
        return persistent_secret(self.settings.data_dir, "secret_key")


def build_runtime(settings: Settings, clock: Clock | None = None, migrate: bool = True,
                  engine: sa.Engine | None = None) -> Runtime:
    loaded = load_config(settings.config or None)
    engine = engine or db.create_engine(settings.database_url)
    if migrate:
        db.upgrade(engine)
    runtime = Runtime(settings=settings, engine=engine, loaded=loaded,
                      clock=clock or SystemClock())
    from warroom.engine.plugins import install

    install(runtime)
    return runtime
