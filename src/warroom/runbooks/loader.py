"""Reading runbook YAML files from a directory, with errors that name file and line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from warroom.runbooks.model import Runbook
from warroom.yamlfile import SourceMap, YamlError, format_pydantic_errors, load

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class LoadedRunbook:
    runbook: Runbook
    path: Path
    smap: SourceMap


@dataclass(frozen=True)
class LoadProblem:
    """A file that is not a valid runbook; `code` is "yaml" or "schema"."""

    file: str
    line: int | None
    code: str
    message: str


@dataclass
class LoadResult:
    runbooks: list[LoadedRunbook] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)

    def by_id(self) -> dict[str, Runbook]:
        return {loaded.runbook.id: loaded.runbook for loaded in self.runbooks}


def runbook_files(paths: Iterable[Path]) -> list[Path]:
    """YAML files named by `paths`; directories are searched recursively, in name order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES
                                and p.is_file()))
        else:
            found.append(path)
    return found


def _problem_from_line(text: str, code: str) -> LoadProblem:
    """Split 'file:line: message' (the yamlfile error shape) into its parts."""
    head, _, message = text.partition(": ")
    file, _, line = head.rpartition(":")
    if file and line.isdigit():
        return LoadProblem(file, int(line), code, message)
    return LoadProblem(head, None, code, message)


def load_file(path: Path) -> LoadedRunbook | list[LoadProblem] | None:
    """One runbook, its problems, or None for a YAML file that declares another `kind`."""
    try:
        data, smap = load(path)
    except YamlError as exc:
        return [_problem_from_line(str(exc), "yaml")]
    except OSError as exc:
        return [LoadProblem(str(path), None, "yaml", f"cannot read: {exc.strerror}")]
    if isinstance(data, dict) and data.get("kind", "runbook") != "runbook":
        return None
    if not isinstance(data, dict):
        return [LoadProblem(str(path), smap.line_of(()), "schema",
                            "a runbook file holds one mapping with id, title and steps")]
    data = {k: v for k, v in data.items() if k != "kind"}
    try:
        runbook = Runbook.model_validate(data)
    except ValidationError as exc:
        return [_problem_from_line(line, "schema")
                for line in format_pydantic_errors(exc.errors(), smap)]
    return LoadedRunbook(runbook, path, smap)


def load_runbooks(paths: Iterable[Path]) -> LoadResult:
    """Load every runbook under `paths`; invalid files become problems, never exceptions."""
    result = LoadResult()
    for path in runbook_files(paths):
        outcome = load_file(path)
        if outcome is None:
            result.skipped.append(path)
        elif isinstance(outcome, LoadedRunbook):
            result.runbooks.append(outcome)
        else:
            result.problems.extend(outcome)
    return result
