"""Import fidelity, by source line and by step: what `bench/import_fidelity.py` prints and the
importer's fixture tests assert (0 lost lines, 0 destructive steps without approval, 0
read-only steps gated, 0 output lines left as shell commands)."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import yaml

from warroom.runbooks.danger import is_read_only
from warroom.runbooks.importer import ImportResult, import_markdown, make_ids_unique
from warroom.runbooks.importer.commands import command_starts, output_shape, session_prompt
from warroom.runbooks.linter import lint_paths, step_danger
from warroom.runbooks.model import Runbook, Step

COLUMNS = ("files", "runbooks", "steps", "lines", "as step", "as output", "in runbook",
           "template/proposal", "report-only", "lost", "destructive ungated", "read-only gated",
           "output as shell", "lint errors", "lint warnings")


def documents(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()
                  and p.suffix.lower() in (".md", ".markdown", ".txt")
                  and p.name.upper() not in ("README.MD", "LICENSE", "LICENSE.TXT"))


def where(became: str) -> str:
    if became.startswith("report only"):
        return "report-only"
    if became.startswith(("expected output", "typed in or printed by the interactive")):
        return "as output"
    if became.startswith(("template", "proposal")):
        return "template/proposal"
    if ", step " in became or became.startswith("code fence of runbook"):
        return "as step"
    return "in runbook"


def output_in_command(command: str) -> bool:
    return any(output_shape(line) or session_prompt(line) for line in command_starts(command)
               if not line.strip().startswith("#"))


def measure(folder: Path, paths: list[Path] | None = None
            ) -> tuple[dict[str, int], list[str]]:
    """The fidelity row for the Markdown documents under `folder`, and what went wrong."""
    paths = documents(folder) if paths is None else paths
    results: list[ImportResult] = []
    row: Counter[str] = Counter(files=len(paths))
    problems: list[str] = []
    for path in paths:
        name = str(path.relative_to(folder))
        result = import_markdown(path.read_bytes(), name)
        results.append(result)
        text = path.read_bytes().decode("utf-8", errors="replace")
        for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
            if not line.strip():
                continue
            row["lines"] += 1
            became = result.lines.get(number)
            if became is None:
                row["lost"] += 1
                problems.append(f"lost {name}:{number}: {line.strip()[:80]}")
            else:
                row[where(became)] += 1
    make_ids_unique(results)
    with tempfile.TemporaryDirectory() as tmp:
        for result in results:
            for data in result.runbooks:
                row["runbooks"] += 1
                runbook = Runbook.model_validate(data)
                for step in runbook.steps:
                    row["steps"] += 1
                    problems += check_step(result.source, runbook.id, step, row)
                (Path(tmp) / f"{data['id']}.yaml").write_text(yaml.safe_dump(data))
        for finding in lint_paths([Path(tmp)]):
            row["lint errors" if finding.severity == "error" else "lint warnings"] += 1
    return {c: row[c] for c in COLUMNS}, problems


def check_step(source: str, runbook: str, step: Step, row: Counter[str]) -> list[str]:
    out: list[str] = []
    ex = step.executor
    danger = step_danger(step)
    if danger and step.requires_approval is None:
        row["destructive ungated"] += 1
        out.append(f"ungated {step.source}: {runbook}/{step.id}: {danger}")
    command = getattr(ex, "command", None)
    read_only = ex.type == "promql" or (command is not None and is_read_only(command))
    if read_only and step.requires_approval is not None:
        row["read-only gated"] += 1
        out.append(f"read-only gated {step.source}: {runbook}/{step.id}")
    if command is not None and output_in_command(command):
        row["output as shell"] += 1
        out.append(f"output as shell {step.source}: {runbook}/{step.id}: {command[:80]!r}")
    return out
