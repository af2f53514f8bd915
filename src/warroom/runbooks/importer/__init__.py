"""Markdown runbooks in, runbook YAML, proposed config and an import report out.

`import_markdown(text, source)` is the entry point; see docs/runbooks.md for what it
recognises. Every non-blank code line ends up in a step, a template or the report, and
`ImportResult.accounting` counts where.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from warroom.runbooks.importer.builder import Builder, Proposals
from warroom.runbooks.importer.markdown import count_code_lines, parse
from warroom.runbooks.importer.report import ReportEntry, render_markdown
from warroom.runbooks.importer.text import normalise, split_front_matter
from warroom.runbooks.model import Runbook

__all__ = ["CodeAccounting", "ImportResult", "Proposals", "ReportEntry", "count_code_lines",
           "import_markdown", "make_ids_unique", "render_markdown"]


@dataclass(frozen=True)
class CodeAccounting:
    total: int
    in_steps: int
    in_templates: int
    in_report: int


@dataclass
class ImportResult:
    source: str
    runbooks: list[dict[str, Any]]
    proposals: Proposals
    report: list[ReportEntry]
    accounting: CodeAccounting
    repaired_characters: int = 0
    front_matter: dict[str, Any] = field(default_factory=dict)
    lines: dict[int, str] = field(default_factory=dict)   # non-blank source line -> became

    def explain(self, line: int) -> str:
        """What source line `line` became, in one sentence."""
        if line in self.lines:
            return f"{self.source}:{line}: {self.lines[line]}"
        return f"{self.source}:{line}: blank or beyond the end of the document: nothing to import"

    def models(self) -> list[Runbook]:
        return [Runbook.model_validate(rb) for rb in self.runbooks]


def import_markdown(text: str | bytes, source_name: str) -> ImportResult:
    """Import one Markdown runbook document (any size, any of the usual shapes)."""
    clean, repaired = normalise(text)
    front, body, problem = split_front_matter(clean)
    root = parse(body)
    builder = Builder(source_name, root, front)
    if repaired:
        builder.note("repair", None, None, "text repaired",
                     f"{repaired} mis-encoded character run(s) decoded as UTF-8")
    if problem:
        builder.note("skipped", 1, None, "front matter ignored", problem)
    runbooks = builder.run()
    if not body.strip():
        builder.note("skipped", None, None, "nothing", "empty document: nothing to import")
    elif not runbooks:
        builder.note("skipped", None, None, "no runbook",
                     "no commands, checklists or numbered procedures found")
    # front matter is blanked in `body` so line numbers hold: it is the leading newlines
    front_lines = len(body) - len(body.lstrip("\n")) if front or problem else 0
    lines = builder.account_lines(clean, front_lines)
    validated = [_compact(Runbook.model_validate(rb)) for rb in runbooks]
    buckets = builder.accounted.values()
    accounting = CodeAccounting(
        total=count_code_lines(body),
        in_steps=sum(1 for b in buckets if b == "steps"),
        in_templates=sum(1 for b in buckets if b == "templates"),
        in_report=sum(1 for b in buckets if b == "report"))
    return ImportResult(source_name, validated, builder.proposals, builder.report, accounting,
                        repaired, front, lines)



def _compact(runbook: Runbook) -> dict[str, Any]:
    """The runbook as plain data without default values, but every executor keeps its type."""
    data = runbook.model_dump(mode="json", exclude_defaults=True)
    for step in data.get("steps", []):
        step["executor"] = {"type": "manual", **step.get("executor", {})}
    data.setdefault("steps", [])
    return data


def make_ids_unique(results: Sequence[ImportResult]) -> None:
    """Rename runbooks whose id another document already used, by adding a suffix."""
    seen: set[str] = set()
    for result in results:
        for runbook in result.runbooks:
            base, n = runbook["id"], 2
            while runbook["id"] in seen:
                runbook["id"] = f"{base}-{n}"
                n += 1
            seen.add(runbook["id"])
