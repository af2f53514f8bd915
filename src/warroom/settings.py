"""Process settings: each declared once as name, default and help, read from WARROOM_* env vars."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str

    @property
    def env(self) -> str:
        return f"WARROOM_{self.name.upper()}"


SETTINGS: tuple[Setting, ...] = (
    Setting("database_url", "sqlite:///./warroom.db",
            "SQLAlchemy URL. SQLite (default) or postgresql+psycopg://user@host/db."),
    Setting("bind", "127.0.0.1:8080", "Host and port `warroom serve` listens on."),
    Setting("config", "", "Organisation config: a YAML file or a directory of YAML files. "
            "Empty means built-in defaults only."),
    Setting("data_dir", "./.warroom", "Directory for generated state: the secret key, the "
            "evidence signing key, generated integration keys and caches."),
    Setting("public_url", "", "Base URL people and monitoring use to reach this server; "
            "defaults to http://<bind>."),
    Setting("log_level", "info", "Log level: debug, info, warning or error."),
    Setting("max_body_bytes", "1048576", "Largest accepted request body in bytes (413 above)."),
    Setting("intake_queue_limit", "4096", "Intake submissions waiting for the writer before "
            "intake answers 503 with Retry-After (senders such as Alertmanager retry)."),
    Setting("workers", "1", "Run the engine (timers, outbox) inside `serve`: 1 on, 0 off."),
    Setting("bootstrap_admin", "admin", "Name of the admin created on first start when no "
            "user exists; its one-time password is printed once. Empty disables it."),
    Setting("resolve_timeout", "5m", "Alerts posted to the Alertmanager API (`/api/v2/alerts`) "
            "without `endsAt` resolve this long after their last re-send, as in Alertmanager."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


class SettingsError(ValueError):
    """A setting has a value warroom cannot use."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    bind: str
    config: str
    data_dir: Path
    public_url: str
    log_level: str
    max_body_bytes: int
    intake_queue_limit: int
    workers: bool
    bootstrap_admin: str
    resolve_timeout: timedelta = timedelta(minutes=5)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: str) -> Settings:
        source = os.environ if env is None else env
        raw = {s.name: source.get(s.env, s.default) for s in SETTINGS}
        for key, value in overrides.items():
            if key not in _BY_NAME:
                raise SettingsError(f"unknown setting {key!r}")
            raw[key] = value
        try:
            max_body = int(raw["max_body_bytes"])
        except ValueError as exc:
            raise SettingsError(
                f"WARROOM_MAX_BODY_BYTES must be a whole number of bytes, got "
                f"{raw['max_body_bytes']!r}") from exc
        try:
            queue_limit = int(raw["intake_queue_limit"])
        except ValueError as exc:
            raise SettingsError(
                f"WARROOM_INTAKE_QUEUE_LIMIT must be a whole number of submissions, got "
                f"{raw['intake_queue_limit']!r}") from exc
        if ":" not in raw["bind"]:
            raise SettingsError(f"WARROOM_BIND must be host:port, got {raw['bind']!r}")
        return cls(
            database_url=raw["database_url"],
            bind=raw["bind"],
            config=raw["config"],
            data_dir=Path(raw["data_dir"]),
            public_url=(raw["public_url"] or f"http://{raw['bind']}").rstrip("/"),
            log_level=raw["log_level"],
            max_body_bytes=max_body,
            intake_queue_limit=queue_limit,
            workers=raw["workers"] not in ("0", "false", "no", "off"),
            bootstrap_admin=raw["bootstrap_admin"],
            resolve_timeout=_duration("WARROOM_RESOLVE_TIMEOUT", raw["resolve_timeout"]),
        )

    @property
    def host(self) -> str:
        return self.bind.rsplit(":", 1)[0]

    @property
    def port(self) -> int:
        return int(self.bind.rsplit(":", 1)[1])


def _duration(name: str, text: str) -> timedelta:
    from warroom.domain.durations import parse_duration

    try:
        value = parse_duration(text)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a duration such as 5m or 1h30m: {exc}") from None
    if value <= timedelta(0):
        raise SettingsError(f"{name} must be longer than zero, got {text!r}")
    return value


def persistent_secret(data_dir: Path, name: str, nbytes: int = 32) -> str:
    """Read a generated secret from data_dir, creating it (mode 0600) on first use."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / name
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value


def settings_markdown() -> str:
    """The settings table for docs/configuration.md (a test keeps the doc in step)."""
    rows = ["| Environment variable | Default | What it does |", "|---|---|---|"]
    for s in SETTINGS:
        default = f"`{s.default}`" if s.default else "(empty)"
        rows.append(f"| `{s.env}` | {default} | {s.help} |")
    return "\n".join(rows)
