"""Loading a directory of runbook files, with file-and-line problems."""

from __future__ import annotations

from pathlib import Path

from warroom.runbooks.loader import load_runbooks


def test_valid_files_load_and_other_kinds_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: a\ntitle: A\nsteps:\n  - id: s\n    title: S\n")
    (tmp_path / "proposals.yaml").write_text("kind: import-proposals\ntemplates: []\n")
    (tmp_path / "notes.md").write_text("# not yaml")
    result = load_runbooks([tmp_path])
    assert [r.runbook.id for r in result.runbooks] == ["a"]
    assert result.skipped == [tmp_path / "proposals.yaml"]
    assert result.problems == []


def test_schema_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: bad\ntitle: Bad\nsteps:\n  - id: s\n    title: S\n    phase: fixing\n")
    [problem] = load_runbooks([path]).problems
    assert (problem.file, problem.line, problem.code) == (str(path), 6, "schema")
    assert "steps.0.phase" in problem.message


def test_broken_yaml_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text("id: x\ntitle: [unclosed\n")
    [problem] = load_runbooks([path]).problems
    assert problem.code == "yaml" and problem.file == str(path) and problem.line is not None
