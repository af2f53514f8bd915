"""The import report: what each part of a document became, and what stayed as notes and why."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from warroom.runbooks.importer import ImportResult

EntryKind = Literal["step", "template", "proposal", "note", "skipped", "repair", "runbook"]


@dataclass(frozen=True)
class ReportEntry:
    source: str                    # document name
    first_line: int | None
    last_line: int | None
    kind: EntryKind
    became: str                    # e.g. "runbook x, step y (shell)" or "note"
    detail: str = ""               # why, or the text kept
    code_lines: tuple[int, ...] = field(default=())   # code lines this entry accounts for
    text: str = ""                 # the full text kept, for notes that hold code

    def where(self) -> str:
        if self.first_line is None:
            return self.source
        if self.last_line and self.last_line != self.first_line:
            return f"{self.source}:{self.first_line}-{self.last_line}"
        return f"{self.source}:{self.first_line}"


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _source_lines(lines: dict[int, str]) -> list[str]:
    """Per source line what it became, runs of lines that became the same thing joined."""
    if not lines:
        return []
    out = ["### Source lines", "", "| Lines | Became |", "|---|---|"]
    run: list[int] = []
    for number in sorted(lines):
        if run and lines[run[0]] == lines[number]:
            run.append(number)
            continue
        if run:
            out.append(_run_row(run, lines[run[0]]))
        run = [number]
    out.append(_run_row(run, lines[run[0]]))
    return [*out, ""]


def _run_row(run: list[int], became: str) -> str:
    where = str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}"
    return f"| {where} | {_cell(became)} |"


def render_markdown(results: Sequence[ImportResult]) -> str:
    """The report for a batch of imported documents as Markdown."""
    out = ["# Runbook import report", ""]
    total = Counter[str]()
    for result in results:
        total["documents"] += 1
        total["runbooks"] += len(result.runbooks)
        total["steps"] += sum(len(rb.get("steps", [])) for rb in result.runbooks)
        total["code lines"] += result.accounting.total
    out.append(", ".join(f"{n} {k}" for k, n in total.items()) + ".")
    out.append("")
    for result in results:
        acc = result.accounting
        out += [f"## {result.source}", ""]
        out.append(f"- runbooks: {', '.join(rb['id'] for rb in result.runbooks) or 'none'}")
        kinds = Counter(step.get("executor", {}).get("type", "manual")
                        for rb in result.runbooks for step in rb.get("steps", []))
        out.append("- steps: " + (", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
                                  or "none"))
        prop = result.proposals
        out.append(f"- proposals: {len(prop.severity_schemes)} severity scheme(s), "
                   f"{len(prop.escalation_policies)} escalation policy(ies), "
                   f"{len(prop.templates)} template(s)")
        out.append(f"- code lines: {acc.total} — {acc.in_steps} in steps, {acc.in_templates} "
                   f"in templates, {acc.in_report} kept in this report")
        out.append("")
        out += ["| Lines | Kind | Became | Detail |", "|---|---|---|---|"]
        for entry in result.report:
            out.append(f"| {entry.where()} | {entry.kind} | {_cell(entry.became)} | "
                       f"{_cell(entry.detail)} |")
        out.append("")
        out += _source_lines(result.lines)
        kept = [e for e in result.report if e.text]
        if kept:
            out += ["### Kept as notes, in full", ""]
            for entry in kept:
                out += [f"{entry.where()} — {entry.detail}", "", "```text", entry.text, "```", ""]
    return "\n".join(out) + "\n"
