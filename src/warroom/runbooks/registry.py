"""The runbooks this process may run: the `runbooks:` config section and the directory it
names, loaded and linted once per runtime."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from warroom.config.loader import ConfigError
from warroom.runbooks.executors.shell import DEFAULT_ENV_ALLOWLIST, ShellPolicy
from warroom.runbooks.linter import Finding, lint_runbook
from warroom.runbooks.loader import LoadedRunbook, load_runbooks, runbook_files
from warroom.runbooks.model import Duration, ExecutionMode, Runbook

if TYPE_CHECKING:
    from warroom.runtime import Runtime

log = logging.getLogger(__name__)
EXTRAS_KEY = "runbooks.registry"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ShellSettings(_Strict):
    timeout: Duration = timedelta(seconds=60)
    output_cap: int = Field(default=64 * 1024, ge=1)
    workdir: str | None = None
    env_allowlist: list[str] = Field(default_factory=lambda: sorted(DEFAULT_ENV_ALLOWLIST))
    env: dict[str, str] = Field(default_factory=dict, description=(
        "Fixed variables set for every command (after the allowlist)"))


class AutomationSettings(_Strict):
    max_runs_per_service_per_hour: int = Field(default=3, ge=0)
    cooldown: Duration = timedelta(minutes=10)


class NotifySettings(_Strict):
    channels: list[str] = Field(default_factory=list, description=(
        "Channels that receive approval requests and revert reminders"))


def _dry_run_by_default() -> dict[str, ExecutionMode]:
    return {"default": "dry-run"}


class RunbookSettings(_Strict):
    """The `runbooks:` config section."""

    directory: str = "../runbooks"
    environment: str = "default"
    execution: dict[str, ExecutionMode] = Field(default_factory=_dry_run_by_default)
    shell: ShellSettings = Field(default_factory=ShellSettings)
    http_timeout: Duration = timedelta(seconds=10)
    prometheus_url: str | None = None
    automation: AutomationSettings = Field(default_factory=AutomationSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    revert_reminder_at: float = Field(default=0.75, gt=0, lt=1, description=(
        "Fraction of revert.within after which the reminder is sent"))

    def mode(self) -> ExecutionMode:
        """The execution mode of the configured environment (`execution.default` otherwise)."""
        return self.execution.get(self.environment, self.execution.get("default", "dry-run"))


@dataclass
class Registry:
    settings: RunbookSettings
    directory: Path | None
    loaded: dict[str, LoadedRunbook] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def runbooks(self) -> list[Runbook]:
        return [lr.runbook for lr in self.loaded.values()]

    def get(self, runbook_id: str) -> Runbook | None:
        found = self.loaded.get(runbook_id)
        return found.runbook if found else None

    def findings_for(self, runbook_id: str) -> list[Finding]:
        found = self.loaded.get(runbook_id)
        if found is None:
            return []
        return [f for f in self.findings if f.file == found.smap.file]

    def runnable(self, runbook_id: str) -> bool:
        """Runbooks with lint errors are listed but never run."""
        return runbook_id in self.loaded and not any(
            f.severity == "error" for f in self.findings_for(runbook_id))

    def shell_policy(self) -> ShellPolicy:
        s = self.settings.shell
        workdir = Path(s.workdir) if s.workdir else None
        return ShellPolicy(mode=self.settings.mode(), timeout=s.timeout,
                           output_cap=s.output_cap, workdir=workdir,
                           env_allowlist=frozenset(s.env_allowlist), extra_env=dict(s.env))


def config_dir(config_path: str) -> Path | None:
    """The directory relative paths in config are resolved against."""
    if not config_path:
        return None
    path = Path(config_path)
    return path if path.is_dir() else path.parent


def parse_settings(raw: dict[str, Any], where: Any = None) -> RunbookSettings:
    """Validate the `runbooks:` section; errors name the config file and line."""
    try:
        return RunbookSettings.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ("runbooks", *err["loc"])
            place = where(loc) if where else "<config>"
            dotted = ".".join(str(p) for p in loc)
            problems.append(f"{place}: {dotted}: {err['msg']}")
        raise ConfigError(problems) from exc


_DirectoryKey = tuple[str, tuple[tuple[str, int, int], ...]]
_LOADED_DIRECTORIES: dict[_DirectoryKey, tuple[dict[str, LoadedRunbook], list[Finding]]] = {}


def _directory_key(directory: Path) -> _DirectoryKey:
    """The directory and the name, mtime and size of every runbook file in it."""
    stats = []
    for path in runbook_files([directory]):
        st = path.stat()
        stats.append((str(path), st.st_mtime_ns, st.st_size))
    return str(directory), tuple(stats)


def load_directory(directory: Path) -> tuple[dict[str, LoadedRunbook], list[Finding]]:
    """Load and lint every runbook in `directory`; unchanged directories come from a
    per-process cache, so many runtimes over one directory (tests, CLI) parse it once."""
    key = _directory_key(directory)
    cached = _LOADED_DIRECTORIES.get(key)
    if cached is not None:
        return dict(cached[0]), list(cached[1])
    result = load_runbooks([directory])
    loaded: dict[str, LoadedRunbook] = {}
    findings = [Finding(p.file, p.line, "error", p.code, p.message) for p in result.problems]
    for item in result.runbooks:
        rid = item.runbook.id
        if rid in loaded:
            findings.append(Finding(
                item.smap.file, item.smap.line_of(("id",)), "error", "duplicate-runbook-id",
                f"runbook id {rid!r} is also declared in "
                f"{loaded[rid].smap.where(('id',))} — runbook ids must be unique"))
            continue
        loaded[rid] = item
        findings.extend(lint_runbook(item.runbook, item.smap))
    findings.sort(key=lambda f: (f.file, f.line or 0, f.code))
    _LOADED_DIRECTORIES[key] = (loaded, findings)
    return dict(loaded), list(findings)


def build_registry(settings: RunbookSettings, base: Path | None) -> Registry:
    """The registry of the configured directory (relative to `base`, the config dir)."""
    directory: Path | None = None
    if base is not None or Path(settings.directory).is_absolute():
        directory = ((base or Path("/")) / settings.directory).resolve()
    registry = Registry(settings, directory)
    if directory is not None and directory.is_dir():
        registry.loaded, registry.findings = load_directory(directory)
    return registry


_LOADING = threading.Lock()


def registry(runtime: Runtime) -> Registry:
    """The runtime's registry, loaded on first use and cached in `runtime.extras`."""
    cached = runtime.extras.get(EXTRAS_KEY)
    if isinstance(cached, Registry):
        return cached
    with _LOADING:
        cached = runtime.extras.get(EXTRAS_KEY)
        if isinstance(cached, Registry):
            return cached
        return _load(runtime)


def _load(runtime: Runtime) -> Registry:
    settings = parse_settings(runtime.config.runbooks, runtime.loaded.origins.where)
    reg = build_registry(settings, config_dir(runtime.settings.config))
    for finding in reg.findings:
        if finding.severity == "error":
            log.warning("runbook %s: %s [%s] — this runbook will not run until fixed",
                        finding.where(), finding.message, finding.code)
    runtime.extras[EXTRAS_KEY] = reg
    return reg
