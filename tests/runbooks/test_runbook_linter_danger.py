"""Lint knows what the importer knows: danger named in titles and comments, destructive
snippets, and read-only commands that need approval for nothing."""

from __future__ import annotations

from pathlib import Path

from warroom.runbooks.linter import lint_paths


def codes(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "rb.yaml").write_text(text)
    return [f.code for f in lint_paths([tmp_path])]


def test_a_restore_under_a_comment_needs_approval(tmp_path: Path) -> None:
    text = """\
id: a
title: A
steps:
  - id: s
    title: Bring the data back
    executor:
      type: shell
      command: |
        # Restore from backup
        kubectl exec -i db-0 -- psql -U postgres app < backup.sql
"""
    assert "dangerous-without-approval" in codes(tmp_path, text)


def test_a_title_naming_a_destructive_action_needs_approval(tmp_path: Path) -> None:
    text = """\
id: a
title: A
steps:
  - id: s
    title: Rotate the leaked credentials
    executor: {type: shell, command: "./scripts/new-keys.sh prod"}
"""
    assert codes(tmp_path, text) == ["dangerous-without-approval"]


def test_a_destructive_sql_snippet_needs_approval(tmp_path: Path) -> None:
    text = """\
id: a
title: A
steps:
  - id: s
    title: Clean up
    executor: {type: manual, snippet: "TRUNCATE events;", snippet_language: sql}
"""
    assert codes(tmp_path, text) == ["dangerous-without-approval"]


def test_read_only_commands_with_approval_are_flagged(tmp_path: Path) -> None:
    text = """\
id: a
title: A
steps:
  - id: s
    title: Restore from backup — first look
    requires_approval: {roles: [commander]}
    executor: {type: shell, command: "kubectl -n db describe pod db-0"}
  - id: q
    title: Error rate
    requires_approval: {roles: [commander]}
    executor: {type: promql, query: "rate(errors_total[5m])"}
"""
    assert codes(tmp_path, text) == ["read-only-gated", "read-only-gated"]


def test_a_read_only_command_under_a_scary_title_is_fine(tmp_path: Path) -> None:
    text = """\
id: a
title: A
steps:
  - id: s
    title: Before you restore from backup, list the pods
    executor: {type: shell, command: "kubectl -n db get pods"}
"""
    assert codes(tmp_path, text) == []
