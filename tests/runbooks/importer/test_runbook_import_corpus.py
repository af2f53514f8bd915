"""Importing the shared corpus: specific facts, no lost code line, lint-clean output."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import cache
from pathlib import Path

import pytest
import yaml

from warroom.runbooks.durations import parse_duration
from warroom.runbooks.importer import ImportResult, count_code_lines, import_markdown
from warroom.runbooks.linter import lint_paths

# The shared corpus sits next to the checkout (main) or two levels up (a worktree in wt/).
CORPUS = next((p / "shared" / "corpus" / "runbooks" for p in Path(__file__).resolve().parents
               if (p / "shared" / "corpus" / "runbooks").is_dir()),
              Path(__file__).resolve().parents[4] / "shared" / "corpus" / "runbooks")
DOCUMENTS = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix in (".md", ".txt")
                   and p.name != "README.md")
pytestmark = pytest.mark.skipif(not DOCUMENTS, reason=f"corpus not found at {CORPUS}")


@cache
def imported(name: str) -> ImportResult:
    path = CORPUS / name
    return import_markdown(path.read_bytes(), name)


def names() -> list[str]:
    return [str(p.relative_to(CORPUS)) for p in DOCUMENTS]


def fence_lines(text: str) -> list[int]:
    """Non-blank lines inside ``` or ~~~ fences, by a scanner independent of the importer."""
    found, fence = [], None
    for number, line in enumerate(text.splitlines(), start=1):
        m = re.match(r"^\s*(```+|~~~+)", line)
        if fence is None and m:
            fence = m.group(1)
        elif fence is not None and m and line.strip().startswith(fence) and \
                not line.strip()[len(fence):].strip():
            fence = None
        elif fence is not None and line.strip():
            found.append(number)
    return found


def ranges(source: str | None) -> set[int]:
    m = re.search(r":(\d+)(?:-(\d+))?$", source or "")
    if not m:
        return set()
    return set(range(int(m.group(1)), int(m.group(2) or m.group(1)) + 1))


def test_severity_table_with_four_levels_and_their_response_times() -> None:
    [scheme] = imported("seeds/001_c5abfdc7ca6b643b.txt").proposals.severity_schemes
    levels = {lv["key"]: lv for lv in scheme["levels"]}
    assert list(levels) == ["P0", "P1", "P2", "P3"]
    assert {k: parse_duration(lv["ack_sla"]) for k, lv in levels.items()} == {
        "P0": timedelta(minutes=5), "P1": timedelta(minutes=15), "P2": timedelta(hours=1),
        "P3": timedelta(hours=24)}
    assert levels["P0"]["name"] == "Critical"


def test_p1_to_p4_scheme_is_read_too() -> None:
    [scheme] = imported("seeds/003_e7e4589ca359a344.txt").proposals.severity_schemes
    assert [(lv["key"], parse_duration(lv["ack_sla"])) for lv in scheme["levels"]] == [
        ("P1", timedelta(minutes=15)), ("P2", timedelta(hours=1)), ("P3", timedelta(hours=4)),
        ("P4", timedelta(hours=24))]


def test_p0_escalation_matrix_becomes_a_policy() -> None:
    policies = imported("seeds/001_c5abfdc7ca6b643b.txt").proposals.escalation_policies
    p0 = next(p for p in policies if p.get("severity") == "P0")
    assert [(parse_duration(s["after"]), s["action"], s["stakeholder"]) for s in p0["steps"]] == [
        (timedelta(0), "PagerDuty alert", "On-call Engineer"),
        (timedelta(minutes=5), "Slack notification", "Engineering Team"),
        (timedelta(minutes=10), "Email notification", "Engineering Manager"),
        (timedelta(minutes=20), "Phone call", "Director of Engineering"),
        (timedelta(minutes=30), "Executive briefing", "CTO/CEO")]
    assert any(p.get("severity") == "P1" for p in policies)


def test_prometheus_operator_diagnosis_commands_become_shell_steps_with_parameters() -> None:
    [runbook] = imported("prometheus-operator/kubernetes/KubePodCrashLooping.md").runbooks
    assert runbook["id"] == "KubePodCrashLooping"
    assert runbook["applies_to"]["alerts"] == ["alertname=KubePodCrashLooping"]
    shell = [s for s in runbook["steps"] if s["executor"]["type"] == "shell"]
    assert [s["executor"]["command"] for s in shell] == [
        "kubectl -n {{namespace}} get pod {{pod}}",
        "kubectl -n {{namespace}} describe pod {{pod}}",
        "kubectl -n {{namespace}} logs {{pod}} -c {{container}}"]
    assert all(s["phase"] == "diagnose" for s in shell)
    params = {p["name"]: p for p in runbook["parameters"]}
    assert params["namespace"]["source"] == "label:namespace"
    assert params["pod"]["source"] == "label:pod"
    assert runbook["title"] == "Kube Pod Crash Looping"   # from the front matter


def test_dangerous_commands_options_and_templates_from_a_playbook() -> None:
    result = imported("seeds/003_e7e4589ca359a344.txt")
    steps = {s["executor"].get("command"): s for rb in result.runbooks for s in rb["steps"]}
    flush = steps["redis-cli FLUSHDB"]
    assert flush["dangerous"] and flush["requires_approval"]["roles"] == ["commander"]
    assert steps["sudo ufw deny from any to any"]["requires_approval"]
    assert [steps[c]["option"] for c in ("kubectl rollout undo deployment/duetright-dashboard",
                                         "docker-compose restart dashboard",
                                         "./scripts/failover-to-backup.sh")] == ["A", "B", "C"]
    kinds = {t["name"]: t["kind"] for t in result.proposals.templates}
    assert kinds["Post-Mortem Template"] == "postmortem"
    assert kinds["Slack Alert Template"] == "communication"
    assert result.repaired_characters > 0
    assert "🚨" in next(t["body"] for t in result.proposals.templates
                        if t["name"] == "Slack Alert Template")


def test_checklists_become_manual_steps_and_maintenance_gets_a_schedule() -> None:
    runbooks = {rb["id"]: rb for rb in imported("seeds/000_f7d1f4d526951633.txt").runbooks}
    daily = runbooks["daily-tasks"]
    assert daily["schedule"] == "0 9 * * *"
    assert [s["title"] for s in daily["steps"]][:2] == ["Check system health dashboards",
                                                       "Review security alerts"]
    assert all(s["executor"]["type"] == "manual" for s in daily["steps"])
    rollback = runbooks["rollback-procedures"]
    risky = [s for s in rollback["steps"] if "--replicas=0" in s["executor"].get("command", "")]
    assert risky and all(s["dangerous"] and s["requires_approval"] for s in risky)


@pytest.mark.parametrize("name", names())
def test_no_code_line_is_lost(name: str) -> None:
    text = (CORPUS / name).read_bytes().decode("utf-8", errors="replace")
    result = imported(name)
    expected = fence_lines(text)
    assert result.accounting.total == len(expected) == count_code_lines(text)
    acc = result.accounting
    assert acc.in_steps + acc.in_templates + acc.in_report == acc.total
    covered: set[int] = set()
    for runbook in result.runbooks:
        for step in runbook["steps"]:
            covered |= ranges(step.get("source"))
    for template in result.proposals.templates:
        covered |= ranges(template["source"])
    for entry in result.report:
        covered |= set(entry.code_lines)
    assert [n for n in expected if n not in covered] == []


def test_every_document_yields_a_runbook_or_says_why() -> None:
    for name in names():
        result = imported(name)
        assert result.runbooks or any(e.kind == "skipped" for e in result.report), name


def test_the_imported_corpus_lints_clean(tmp_path: Path) -> None:
    seen: set[str] = set()
    for name in names():
        for runbook in imported(name).runbooks:
            rid = runbook["id"] if runbook["id"] not in seen else runbook["id"] + "-dup"
            seen.add(rid)
            (tmp_path / f"{rid}.yaml").write_text(yaml.safe_dump({**runbook, "id": rid}))
    errors = [f for f in lint_paths([tmp_path]) if f.severity == "error"]
    assert errors == []
    assert len(seen) > 100
