"""Checks on runbooks beyond the schema: parameters, danger without approval, order of phases."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from warroom.runbooks.danger import dangerous_reason, is_read_only, prose_danger
from warroom.runbooks.loader import load_runbooks
from warroom.runbooks.model import (
    HttpExecutor,
    ManualExecutor,
    NotifyExecutor,
    PromqlExecutor,
    Runbook,
    ShellExecutor,
    Step,
    WaitExecutor,
)
from warroom.runbooks.shellsafety import (
    data_uses,
    env_references,
    explain_use,
    nested_uses,
    unsafe_uses,
    untrusted_parameters,
)
from warroom.runbooks.templating import references
from warroom.yamlfile import SourceMap

Severity = Literal["error", "warning"]

# code -> (severity, what it means); docs/runbooks.md lists every one.
CODES: dict[str, tuple[Severity, str]] = {
    "yaml": ("error", "the file is not valid YAML"),
    "schema": ("error", "the file does not match the runbook schema"),
    "duplicate-runbook-id": ("error", "two files declare the same runbook id"),
    "duplicate-step-id": ("error", "two steps in one runbook share an id"),
    "undeclared-parameter": ("error", "a step uses {{name}} or ${name} that is not declared"),
    "unused-parameter": ("warning", "a declared parameter is never used"),
    "dangerous-without-approval": ("error",
                                   "a dangerous step has no requires_approval"),
    "mitigation-without-verify": ("warning", "a mitigate step has no verify step after it"),
    "mitigation-before-evidence": ("error", "capture_evidence_first is set but a mitigate step "
                                   "comes before any evidence step"),
    "unknown-revert-step": ("error", "revert.step names a step that does not exist"),
    "unreachable-step": ("error", "a step comes after a wait that never ends, so cannot run"),
    "auto-with-approval": ("error", "auto: true on a step that needs approval never runs alone"),
    "auto-manual": ("error", "auto: true on a manual step, which only a person can do"),
    "empty-runbook": ("warning", "the runbook has no steps"),
    "read-only-gated": ("warning", "a read-only command (get, describe, logs, ...) needs "
                        "approval, which slows responders for nothing"),
    "untrusted-parameter-in-nested-shell": ("error", "a parameter filled from an alert sits "
                                            "inside sh -c, eval, ssh, a here-doc or pipe "
                                            "read by a shell, where it would become code"),
    "free-text-in-nested-context": ("error", "a free_text parameter sits where a second "
                                    "parser (shell, ssh, here-doc, awk, sed) reads it"),
    "untrusted-parameter-in-here-doc": ("warning", "a parameter filled from an alert sits in "
                                        "a here-doc another program reads as data"),
}


@dataclass(frozen=True, order=True)
class Finding:
    file: str
    line: int | None
    severity: Severity
    code: str
    message: str

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


def _finding(code: str, smap: SourceMap, loc: Sequence[str | int], message: str) -> Finding:
    return Finding(smap.file, smap.line_of(loc), CODES[code][0], code, message)


_Text = tuple[tuple[str, ...], str, bool]


def _step_texts(step: Step) -> list[_Text]:
    """(location under the step, text, is shell) for every field that may reference params."""
    ex = step.executor
    out: list[_Text]
    if isinstance(ex, ShellExecutor):
        out = [(("executor", "command"), ex.command, True)]
        if ex.workdir:
            out.append((("executor", "workdir"), ex.workdir, False))
        return out
    if isinstance(ex, HttpExecutor):
        out = [(("executor", "url"), ex.url, False)]
        out += [(("executor", "headers", k), v, False) for k, v in ex.headers.items()]
        if ex.body:
            out.append((("executor", "body"), ex.body, False))
        return out
    if isinstance(ex, PromqlExecutor):
        out = [(("executor", "query"), ex.query, False)]
        return out
    if isinstance(ex, ManualExecutor):   # rendered for the person who does the step
        out = [(("executor", "instructions"), ex.instructions, False)] if ex.instructions else []
        if ex.snippet:
            out.append((("executor", "snippet"), ex.snippet, False))
        return out
    if isinstance(ex, NotifyExecutor) and ex.message:
        out = [(("executor", "message"), ex.message, False)]
        return out
    return []


def step_danger(step: Step) -> str | None:
    """Why a step is dangerous (its flag, its command, or an HTTP DELETE), or None."""
    ex = step.executor
    if isinstance(ex, ShellExecutor):
        reason = dangerous_reason(ex.command)
        if reason:
            return f"its command {reason}"
    if isinstance(ex, HttpExecutor) and ex.method == "DELETE":
        return "it sends an HTTP DELETE"
    if step.dangerous:
        return "it is marked dangerous"
    return _described_danger(step)


def _described_danger(step: Step) -> str | None:
    """Danger the words around a command state: its title or a comment in it ("# Restore from
    backup"), or an attached shell/SQL snippet — the knowledge the importer uses too."""
    ex = step.executor
    if isinstance(ex, ShellExecutor) and not is_read_only(ex.command):
        comments = " ".join(line.strip().lstrip("#") for line in ex.command.splitlines()
                            if line.strip().startswith("#"))
        said = prose_danger(step.title) or prose_danger(comments)
        if said:
            return f"it says {said!r}"
    if isinstance(ex, ManualExecutor) and ex.snippet and (ex.snippet_language or "") in (
            "sql", "psql", "bash", "sh", "shell", "console", "mysql", ""):
        reason = dangerous_reason(ex.snippet)
        if reason:
            return f"its snippet {reason}"
    return None


def _read_only_gated(step: Step, smap: SourceMap, at: tuple[str, int]) -> list[Finding]:
    ex = step.executor
    gated = step.requires_approval is not None and not step.dangerous
    if gated and (isinstance(ex, PromqlExecutor) or
                  (isinstance(ex, ShellExecutor) and is_read_only(ex.command))):
        return [_finding("read-only-gated", smap, (*at, "requires_approval"),
                         f"step {step.id!r} only reads, yet needs approval — drop "
                         "requires_approval, or mark it dangerous: true if it really is")]
    return []


def lint_runbook(runbook: Runbook, smap: SourceMap) -> list[Finding]:
    """Every finding for one valid runbook."""
    found: list[Finding] = []
    declared = runbook.parameter_names()
    untrusted = untrusted_parameters(runbook)
    used: set[str] = set()
    seen: dict[str, int] = {}
    ids = {s.id for s in runbook.steps}
    if not runbook.steps:
        found.append(_finding("empty-runbook", smap, (), f"runbook {runbook.id!r} has no steps"))
    terminal_at: int | None = None
    for i, step in enumerate(runbook.steps):
        at = ("steps", i)
        if step.id in seen:
            found.append(_finding("duplicate-step-id", smap, (*at, "id"),
                                  f"step id {step.id!r} is already used by step "
                                  f"{seen[step.id] + 1} — give each step its own id"))
        seen.setdefault(step.id, i)
        for loc, text, shell in _step_texts(step):
            if shell:
                used |= env_references(text, declared)
                for use in unsafe_uses(text, declared, untrusted):
                    found.append(_finding("untrusted-parameter-in-nested-shell", smap,
                                          (*at, *loc), explain_use(step.id, use,
                                                               untrusted[use.parameter])))
                free = {p.name for p in runbook.parameters if p.free_text}
                for use in nested_uses(text, declared):
                    if use.parameter in free:
                        found.append(_finding(
                            "free-text-in-nested-context", smap, (*at, *loc),
                            f"step {step.id!r} puts free_text parameter {use.parameter!r} "
                            f"inside {use.context}; free_text is only for values used inside "
                            "one shell's quotes — drop free_text (and use pattern: if the "
                            "value needs more characters) or move the value out of the "
                            "nested context"))
                for use in data_uses(text, declared, untrusted):
                    found.append(_finding("untrusted-parameter-in-here-doc", smap,
                                          (*at, *loc), explain_use(step.id, use,
                                                               untrusted[use.parameter])))
            for name in references(text, shell=shell):
                used.add(name)
                if name not in declared:
                    found.append(_finding(
                        "undeclared-parameter", smap, (*at, *loc),
                        f"step {step.id!r} uses parameter {name!r}, which is not declared — "
                        f"add it under parameters: (- name: {name})"))
        danger = step_danger(step)
        if danger and step.requires_approval is None:
            found.append(_finding(
                "dangerous-without-approval", smap, (*at, "executor"),
                f"step {step.id!r} is dangerous ({danger}) but has no approval rule — add "
                "requires_approval: {roles: [commander], count: 1}"))
        found.extend(_read_only_gated(step, smap, at))
        if step.revert and step.revert.step and step.revert.step not in ids:
            found.append(_finding("unknown-revert-step", smap, (*at, "revert", "step"),
                                  f"step {step.id!r} reverts with step {step.revert.step!r}, "
                                  f"which does not exist — known steps: {', '.join(sorted(ids))}"))
        if step.auto and step.requires_approval:
            found.append(_finding("auto-with-approval", smap, (*at, "auto"),
                                  f"step {step.id!r} needs approval so it can never run "
                                  "automatically — remove auto: true or the approval rule"))
        if step.auto and step.executor.type == "manual":
            found.append(_finding("auto-manual", smap, (*at, "auto"),
                                  f"step {step.id!r} is manual, so auto: true cannot apply — "
                                  "give it a shell, http or promql executor or drop auto"))
        if terminal_at is not None:
            found.append(_finding("unreachable-step", smap, (*at, "id"),
                                  f"step {step.id!r} comes after step "
                                  f"{runbook.steps[terminal_at].id!r}, a wait with no duration "
                                  "that ends the run — give that wait a duration or move this "
                                  "step before it"))
        elif isinstance(step.executor, WaitExecutor) and step.executor.duration is None:
            terminal_at = i
    found.extend(_phase_order(runbook, smap))
    for p_index, param in enumerate(runbook.parameters):
        if param.name not in used:
            found.append(_finding("unused-parameter", smap, ("parameters", p_index, "name"),
                                  f"parameter {param.name!r} is declared but no step uses it"))
    return found


def _phase_order(runbook: Runbook, smap: SourceMap) -> list[Finding]:
    found: list[Finding] = []
    steps = runbook.steps
    evidence_seen = False
    for i, step in enumerate(steps):
        if step.phase == "evidence" or step.captures_evidence:
            evidence_seen = True
        if step.phase != "mitigate":
            continue
        if runbook.capture_evidence_first and not evidence_seen:
            found.append(_finding(
                "mitigation-before-evidence", smap, ("steps", i, "phase"),
                f"step {step.id!r} mitigates before any evidence is captured, and the runbook "
                "says capture_evidence_first — add an evidence step (phase: evidence or "
                "captures_evidence: true) before it"))
        if not any(later.phase == "verify" for later in steps[i + 1:]):
            found.append(_finding(
                "mitigation-without-verify", smap, ("steps", i, "phase"),
                f"mitigation {step.id!r} has no verify step after it — add a step with "
                "phase: verify that checks it worked"))
    return found


def lint_paths(paths: Iterable[Path]) -> list[Finding]:
    """Load and lint every runbook under `paths`; findings sorted by file and line."""
    result = load_runbooks(paths)
    found = [Finding(p.file, p.line, "error", p.code, p.message) for p in result.problems]
    first: dict[str, str] = {}
    for loaded in result.runbooks:
        rid = loaded.runbook.id
        if rid in first:
            found.append(_finding("duplicate-runbook-id", loaded.smap, ("id",),
                                  f"runbook id {rid!r} is also declared in {first[rid]} — "
                                  "runbook ids must be unique"))
        else:
            first[rid] = loaded.smap.where(("id",))
        found.extend(lint_runbook(loaded.runbook, loaded.smap))
    return sorted(found, key=lambda f: (f.file, f.line or 0, f.code))



def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)
