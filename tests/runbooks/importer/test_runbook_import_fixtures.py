"""Importing the fixture set: Markdown runbooks in many styles, each with the outcome an
on-call engineer expects (`NAME.expect.yaml` next to `NAME.md`)."""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from warroom.runbooks.importer import ImportResult, import_markdown
from warroom.runbooks.importer.fidelity import check_step, measure
from warroom.runbooks.model import Runbook

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.md"))


@cache
def imported(name: str) -> ImportResult:
    return import_markdown((FIXTURES / f"{name}.md").read_bytes(), f"{name}.md")


def expected(name: str) -> dict[str, Any]:
    data = yaml.safe_load((FIXTURES / f"{name}.expect.yaml").read_text())
    assert isinstance(data, dict)
    return data


def steps_with(result: ImportResult, text: str) -> list[dict[str, Any]]:
    """Steps whose command or snippet holds `text`."""
    found = [s for rb in result.runbooks for s in rb["steps"]
             if text in (s["executor"].get("command") or s["executor"].get("snippet") or "")]
    assert found, f"no step runs {text!r}"
    return found


def gated(step: dict[str, Any]) -> bool:
    return bool(step.get("dangerous") or step.get("requires_approval"))


def test_every_fixture_has_an_expected_outcome() -> None:
    assert len(NAMES) >= 6
    for name in NAMES:
        assert (FIXTURES / f"{name}.expect.yaml").is_file(), name


@pytest.mark.parametrize("name", NAMES)
def test_runbook_count_and_alert_matchers(name: str) -> None:
    result, want = imported(name), expected(name)
    assert len(result.runbooks) == want["runbooks"], [rb["id"] for rb in result.runbooks]
    for rid, alerts in (want.get("alerts") or {}).items():
        runbook = next(rb for rb in result.runbooks if rb["id"] == rid)
        assert runbook["applies_to"]["alerts"] == alerts


@pytest.mark.parametrize("name", NAMES)
def test_destructive_steps_need_approval_and_read_only_ones_never(name: str) -> None:
    result, want = imported(name), expected(name)
    for text in want.get("dangerous", []):
        for step in steps_with(result, text):
            assert step.get("dangerous") and step.get("requires_approval"), (text, step)
    for text in want.get("not_gated", []):
        for step in steps_with(result, text):
            assert not gated(step), (text, step)
    titles = {s["title"]: s for rb in result.runbooks for s in rb["steps"]}
    for start in want.get("manual_gated", []):
        [step] = [s for t, s in titles.items() if t.startswith(start)]
        assert gated(step), step
    for start in want.get("manual_not_gated", []):
        [step] = [s for t, s in titles.items() if t.startswith(start)]
        assert not gated(step), step
    for text, rule in (want.get("approval") or {}).items():
        for step in steps_with(result, text):
            assert step["requires_approval"] == rule
    for text, within in (want.get("revert") or {}).items():
        for step in steps_with(result, text):
            assert step["revert"] == {"within": within}


@pytest.mark.parametrize("name", NAMES)
def test_output_attaches_to_the_step_before_it(name: str) -> None:
    result, want = imported(name), expected(name)
    for line in want.get("output_lines", []):
        assert "output" in result.lines[line] or "interactive session" in result.lines[line], \
            (line, result.lines[line])
    for line in want.get("session_lines", []):
        assert result.lines[line].startswith("typed in or printed by the interactive session"), \
            (line, result.lines[line])
    commands = [s["executor"].get("command") for rb in result.runbooks for s in rb["steps"]]
    for command in want.get("commands", []):
        assert command in commands
    queries = [s["executor"].get("query", "") for rb in result.runbooks for s in rb["steps"]]
    for query in want.get("promql", []):
        assert any(query in q for q in queries), queries
    manual = [s["executor"].get("instructions", "") for rb in result.runbooks for s in rb["steps"]
              if s["executor"]["type"] == "manual"]
    for command in want.get("manual", []):
        assert any(command in m for m in manual)
        assert not any(command in (c or "") for c in commands)
    for line, became in (want.get("lines") or {}).items():
        assert became in result.lines[line], (line, result.lines[line])


@pytest.mark.parametrize("name", NAMES)
def test_placeholders_become_declared_parameters(name: str) -> None:
    result, want = imported(name), expected(name)
    for text, names in (want.get("parameters") or {}).items():
        for step in steps_with(result, text):
            command = step["executor"].get("command") or step["executor"]["snippet"]
            assert all("{{" + n + "}}" in command for n in names), command
            assert "<" not in command.replace("< /", "").replace("<<", "") or "$" in command
    params = {p["name"]: p for rb in result.runbooks for p in rb.get("parameters", [])}
    for start, names in (want.get("manual_parameters") or {}).items():
        [step] = [s for rb in result.runbooks for s in rb["steps"]
                  if s["title"].startswith(start)]
        assert all("{{" + n + "}}" in step["executor"]["instructions"] and n in params
                   for n in names), step
    for pname in want.get("unbound", []):
        assert "source" not in params[pname]


@pytest.mark.parametrize("name", NAMES)
def test_templates_and_proposals(name: str) -> None:
    result, want = imported(name), expected(name)
    if "templates" in want:
        assert len(result.proposals.templates) == want["templates"]
        assert all(t["kind"] == "communication" and "kubectl" not in t["body"]
                   and "SELECT" not in t["body"] for t in result.proposals.templates)
    for key, count in (want.get("proposals") or {}).items():
        assert len(result.proposals.as_dict()[key]) == count, result.proposals.as_dict()[key]


@pytest.mark.parametrize("name", NAMES)
def test_no_step_breaks_a_promise(name: str) -> None:
    """No destructive step without approval, no read-only step gated, no output as shell."""
    result = imported(name)
    row: Counter[str] = Counter()
    problems = [p for rb in result.runbooks for s in Runbook.model_validate(rb).steps
                for p in check_step(name, rb["id"], s, row)]
    assert problems == []


def test_the_fixture_set_loses_no_line_and_lints_clean() -> None:
    row, problems = measure(FIXTURES)
    assert problems == []
    assert row["lost"] == 0 and row["lines"] > 150
    assert row["lint errors"] == 0
    assert row["as output"] >= 20 and row["report-only"] > 0
