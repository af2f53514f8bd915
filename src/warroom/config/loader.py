"""Load the organisation config from a YAML file or directory, with errors naming file:line."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from warroom import yamlfile
from warroom.config.models import OrgConfig

ALLOWED_SECTIONS = list(OrgConfig.model_fields)


class ConfigError(ValueError):
    """The config is invalid; `problems` are 'file:line: path: message' lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Origins:
    """Where each merged value came from: loc path -> 'file:line'."""

    places: dict[tuple[str | int, ...], str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def where(self, loc: tuple[str | int, ...] | list[str | int]) -> str:
        path = tuple(loc)
        while path:
            if path in self.places:
                return self.places[path]
            path = path[:-1]
        return ", ".join(self.files) or "<config>"


@dataclass
class LoadedConfig:
    config: OrgConfig
    origins: Origins
    raw: dict[str, Any]


def _files(path: Path) -> list[Path]:
    if not path.exists():
        raise ConfigError([f"{path}: no such file or directory (set WARROOM_CONFIG to a YAML "
                           "file or a directory of YAML files)"])
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")
                       and p.is_file() and not _is_ignored(p.relative_to(path)))
        return found
    return [path]


def _is_ignored(rel: Path) -> bool:
    # Runbooks and drills have their own loaders and live beside the org config.
    return any(part in ("runbooks", "drills") or part.startswith(".") for part in rel.parts)


def _merge(raw: dict[str, Any], origins: Origins, doc: Any, smap: yamlfile.SourceMap,
           problems: list[str]) -> None:
    if doc is None:
        return
    if not isinstance(doc, dict):
        problems.append(f"{smap.where(())}: the top level must be a mapping of sections "
                        f"({', '.join(ALLOWED_SECTIONS)})")
        return
    for key, value in doc.items():
        if key not in OrgConfig.model_fields:
            problems.append(f"{smap.where((key,))}: unknown section {key!r}; allowed: "
                            f"{', '.join(ALLOWED_SECTIONS)}")
            continue
        if key not in raw:
            raw[key] = [] if isinstance(value, list) else {} if isinstance(value, dict) else None
        current = raw[key]
        if isinstance(value, list) and isinstance(current, list):
            offset = len(current)
            current.extend(value)
            for loc, line in smap.lines.items():
                if loc[:1] == (key,) and len(loc) >= 2 and isinstance(loc[1], int):
                    origins.places[(key, loc[1] + offset, *loc[2:])] = f"{smap.file}:{line}"
            origins.places.setdefault((key,), smap.where((key,)))
        elif isinstance(value, dict) and isinstance(current, dict):
            for sub, subval in value.items():
                if sub in current:
                    problems.append(f"{smap.where((key, sub))}: {key}.{sub} is also defined in "
                                    f"{origins.where((key, sub))}")
                current[sub] = subval
            for loc, line in smap.lines.items():
                if loc[:1] == (key,):
                    origins.places[loc] = f"{smap.file}:{line}"
        elif current is None or raw.get(key) in ([], {}):
            raw[key] = value
            for loc, line in smap.lines.items():
                if loc[:1] == (key,):
                    origins.places[loc] = f"{smap.file}:{line}"
        else:
            problems.append(f"{smap.where((key,))}: section {key!r} is a "
                            f"{type(value).__name__} here but a {type(current).__name__} in "
                            f"{origins.where((key,))}")


def load_config(path: Path | str | None) -> LoadedConfig:
    """Load and validate; raises ConfigError listing every problem with file:line."""
    if path in (None, ""):
        return LoadedConfig(OrgConfig(), Origins(), {})
    files = _files(Path(path))
    raw: dict[str, Any] = {}
    origins = Origins(files=[str(f) for f in files])
    problems: list[str] = []
    for file in files:
        try:
            doc, smap = yamlfile.load(file)
        except yamlfile.YamlError as exc:
            problems.append(str(exc))
            continue
        _merge(raw, origins, doc, smap, problems)
    if problems:
        raise ConfigError(problems)
    try:
        config = OrgConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError([_describe(err, origins) for err in exc.errors()]) from exc
    cross = cross_check(config, origins)
    if cross:
        raise ConfigError(cross)
    return LoadedConfig(config, origins, raw)


def _describe(err: Any, origins: Origins) -> str:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
    dotted = ".".join(str(p) for p in loc) or "(top level)"
    msg = err["msg"]
    if err.get("type") == "extra_forbidden":
        parent = loc[:-1]
        msg = f"unknown field {loc[-1]!r}" + _allowed_fields_hint(parent)
    elif err.get("type") == "literal_error":
        msg = f"{msg} (got {err.get('input')!r})"
    return f"{origins.where(loc)}: {dotted}: {msg}"


def _allowed_fields_hint(parent: tuple[str | int, ...]) -> str:
    model: Any = OrgConfig
    for part in parent:
        if isinstance(part, int):
            continue
        fld = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if fld is None:
            return ""
        ann = fld.annotation
        args = getattr(ann, "__args__", None)
        model = args[0] if args else ann
    if hasattr(model, "model_fields"):
        return "; allowed: " + ", ".join(model.model_fields)
    return ""


def cross_check(config: OrgConfig, origins: Origins) -> list[str]:
    """References between sections must resolve; duplicates are named with both places."""
    problems: list[str] = []
    for section, names in (("severities", [s.key for s in config.severities]),
                           ("teams", [t.name for t in config.teams]),
                           ("services", [s.name for s in config.services]),
                           ("users", [u.name for u in config.users])):
        for name, count in Counter(names).items():
            if count > 1:
                idx = [i for i, n in enumerate(names) if n == name]
                places = " and ".join(origins.where((section, i)) for i in idx)
                problems.append(f"{origins.where((section, idx[1]))}: {section}: {name!r} is "
                                f"defined more than once ({places})")
    if not config.severities:
        problems.append(f"{origins.where(('severities',))}: severities: at least one level "
                        "is required")
    teams = {t.name for t in config.teams}
    users = {u.name for u in config.users}
    for i, svc in enumerate(config.services):
        if svc.team and svc.team not in teams:
            problems.append(f"{origins.where(('services', i, 'team'))}: services.{i}.team: "
                            f"unknown team {svc.team!r}; defined teams: "
                            f"{', '.join(sorted(teams)) or 'none'}")
    levels = [s.key for s in config.severities]
    for i, svc in enumerate(config.services):
        for j, key in enumerate(svc.auto_publish):
            if key not in levels:
                problems.append(f"{origins.where(('services', i, 'auto_publish', j))}: "
                                f"services.{i}.auto_publish.{j}: unknown severity {key!r}; "
                                f"this organisation defines {', '.join(levels)}")
        if svc.auto_publish and not svc.public:
            problems.append(f"{origins.where(('services', i, 'auto_publish'))}: services.{i}."
                            f"auto_publish: {svc.name} is not public; set public: true or "
                            "remove auto_publish")
    for i, team in enumerate(config.teams):
        for j, member in enumerate(team.members):
            if users and member not in users:
                problems.append(f"{origins.where(('teams', i, 'members', j))}: teams.{i}."
                                f"members.{j}: unknown user {member!r}; defined users: "
                                f"{', '.join(sorted(users))}")
    return problems


def json_schema() -> str:
    return json.dumps(OrgConfig.model_json_schema(), indent=2)
