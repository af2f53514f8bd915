"""Every linter finding, from real files on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from warroom.runbooks.linter import CODES, has_errors, lint_paths


def lint_text(tmp_path: Path, text: str, name: str = "rb.yaml") -> list[tuple[str, int | None]]:
    path = tmp_path / name
    path.write_text(text)
    return [(f.code, f.line) for f in lint_paths([tmp_path])]


CLEAN = """\
id: clean
title: Clean
capture_evidence_first: true
parameters:
  - name: namespace
    source: label:namespace
steps:
  - id: logs
    title: Logs
    phase: evidence
    executor: {type: shell, command: "kubectl -n {{namespace}} logs deploy/web"}
  - id: drop
    title: Delete the bad pod
    phase: mitigate
    requires_approval: {roles: [commander]}
    executor: {type: shell, command: "kubectl -n ${namespace} delete pod web-0"}
  - id: check
    title: Check
    phase: verify
    executor: {type: promql, query: up}
"""


def test_a_clean_runbook_has_no_findings(tmp_path: Path) -> None:
    assert lint_text(tmp_path, CLEAN) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("id: a\ntitle: A\nsteps:\n  - id: s\n    title: S\n    phase: nope\n", ("schema", 6)),
    ("id: a\ntitle: [x\n", ("yaml", 3)),
    ("id: a\ntitle: A\nsteps:\n  - {id: s, title: S}\n  - {id: s, title: T}\n",
     ("duplicate-step-id", 5)),
    ("id: a\ntitle: A\nsteps:\n  - id: s\n    title: S\n"
     "    executor: {type: shell, command: 'echo {{pod}}'}\n", ("undeclared-parameter", 6)),
    ("id: a\ntitle: A\nsteps:\n  - id: s\n    title: S\n"
     "    executor: {type: shell, command: 'echo ${pod}'}\n", ("undeclared-parameter", 6)),
    ("id: a\ntitle: A\nparameters: [{name: pod}]\nsteps:\n  - {id: s, title: S}\n",
     ("unused-parameter", 3)),
    ("id: a\ntitle: A\nsteps:\n  - id: s\n    title: S\n"
     "    executor: {type: shell, command: 'redis-cli FLUSHDB'}\n",
     ("dangerous-without-approval", 6)),
    ("id: a\ntitle: A\nsteps:\n  - id: s\n    title: S\n    dangerous: true\n",
     ("dangerous-without-approval", 4)),
    ("id: a\ntitle: A\nsteps:\n  - {id: s, title: S, phase: mitigate}\n",
     ("mitigation-without-verify", 4)),
    ("id: a\ntitle: A\ncapture_evidence_first: true\nsteps:\n"
     "  - {id: s, title: S, phase: mitigate}\n  - {id: v, title: V, phase: verify}\n",
     ("mitigation-before-evidence", 5)),
    ("id: a\ntitle: A\nsteps:\n  - id: s\n    title: S\n    revert: {within: 1h, step: nope}\n",
     ("unknown-revert-step", 6)),
    ("id: a\ntitle: A\nsteps:\n  - {id: w, title: W, executor: {type: wait}}\n"
     "  - {id: s, title: S}\n", ("unreachable-step", 5)),
    ("id: a\ntitle: A\nsteps:\n  - id: s\n    title: S\n    auto: true\n"
     "    requires_approval: {roles: [commander]}\n"
     "    executor: {type: shell, command: 'true'}\n", ("auto-with-approval", 6)),
    ("id: a\ntitle: A\nsteps:\n  - {id: s, title: S, auto: true}\n", ("auto-manual", 4)),
    ("id: a\ntitle: A\n", ("empty-runbook", 1)),
])
def test_each_problem_is_found_at_its_line(tmp_path: Path, text: str,
                                            expected: tuple[str, int]) -> None:
    assert expected in lint_text(tmp_path, text)


@pytest.mark.parametrize("command", [
    "rm -rf /var/lib/app", "kubectl delete ns prod", "redis-cli FLUSHALL",
    "psql -c 'DROP TABLE users'", "psql -c 'TRUNCATE events'",
    "kubectl scale deploy/web --replicas=0", "psql -c 'select pg_terminate_backend(42)'",
    "sudo ufw deny from any to any", "kill -9 1234", "iptables -A INPUT -s 1.2.3.4 -j DROP",
    "sudo shutdown -h now", "sudo reboot",
])
def test_dangerous_commands_need_approval(tmp_path: Path, command: str) -> None:
    text = (f"id: a\ntitle: A\nsteps:\n  - id: s\n    title: S\n"
            f"    executor: {{type: shell, command: \"{command}\"}}\n")
    assert ("dangerous-without-approval", 6) in lint_text(tmp_path, text)


def test_harmless_commands_are_not_dangerous(tmp_path: Path) -> None:
    text = ("id: a\ntitle: A\nsteps:\n  - id: s\n    title: S\n"
            "    executor: {type: shell, command: 'kubectl get pods -n web'}\n")
    assert lint_text(tmp_path, text) == []


def test_a_shell_variable_the_command_assigns_is_not_a_parameter(tmp_path: Path) -> None:
    text = ("id: a\ntitle: A\nsteps:\n  - id: s\n    title: S\n"
            "    executor: {type: shell, command: 'for i in 1 2; do echo ${i}; done'}\n")
    assert lint_text(tmp_path, text) == []


def test_duplicate_runbook_ids_across_files(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text("id: a\ntitle: A\nsteps: [{id: s, title: S}]\n")
    (tmp_path / "two.yaml").write_text("id: a\ntitle: A\nsteps: [{id: s, title: S}]\n")
    findings = lint_paths([tmp_path])
    assert [(f.code, Path(f.file).name) for f in findings] == [("duplicate-runbook-id",
                                                               "two.yaml")]
    assert has_errors(findings) and "one.yaml:1" in findings[0].message


def test_every_code_is_documented() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "runbooks.md").read_text()
    missing = [code for code in CODES if f"`{code}`" not in docs]
    assert missing == []



UNSAFE_NESTED = [
    'sh -c "echo {{pod}}"', "bash -c 'kubectl logs {{pod}}'", 'eval "kubectl logs {{pod}}"',
    'ssh bastion "kubectl logs {{pod}}"', "ssh bastion kubectl logs {{pod}}",
    'kubectl exec -n prod web-0 -- sh -c "ls /data/{{pod}}"', "sh <<EOF\necho {{pod}}\nEOF",
    "ssh bastion <<'EOF'\nls {{pod}}\nEOF", "echo {{pod}} | bash", 'su -c "ls {{pod}}" app',
    "python3 -c 'print(\"{{pod}}\")'", "watch kubectl get pod {{pod}}",
    "awk {{pod}} /var/log/x", "sed -n {{pod}} /var/log/x", "sed -e s/a/b/ -e {{pod}} f",
    "ssh -o {{pod}} bastion true", "{{pod}} --version",
]


def _write_step(path: Path, command: str, source: str | None = "label:pod",
                **extra: object) -> None:
    param: dict[str, object] = {"name": "pod", **({"source": source} if source else {}),
                                **extra}
    path.write_text(yaml.safe_dump({"id": "a", "title": "A", "parameters": [param], "steps": [
        {"id": "look", "title": "Look", "executor": {"type": "shell", "command": command}}]}))


@pytest.mark.parametrize("command", UNSAFE_NESTED)
def test_an_alert_value_inside_a_nested_shell_is_an_error(tmp_path: Path, command: str) -> None:
    _write_step(tmp_path / "rb.yaml", command)
    found = lint_paths([tmp_path])
    assert [(f.code, f.severity) for f in found] == [
        ("untrusted-parameter-in-nested-shell", "error")]
    assert found[0].line is not None
    assert "step 'look' puts parameter 'pod' (filled from label:pod)" in found[0].message


@pytest.mark.parametrize("command", UNSAFE_NESTED)
def test_a_value_typed_by_a_responder_is_not_refused(tmp_path: Path, command: str) -> None:
    _write_step(tmp_path / "rb.yaml", command, source=None)
    assert "untrusted-parameter-in-nested-shell" not in [f.code for f in lint_paths([tmp_path])]


@pytest.mark.parametrize("command", [
    "sh -c 'kubectl logs \"$WR_P_POD\"'", "kubectl exec web-0 -- sh -c 'ls \"$1\"' _ {{pod}}",
    'ssh bastion "ls $(printf %q "$WR_P_POD")"', "kubectl logs {{pod}} | grep -c err",
])
def test_the_environment_form_is_clean_and_counts_as_use(tmp_path: Path, command: str) -> None:
    _write_step(tmp_path / "rb.yaml", command, "annotation:pod")
    assert lint_paths([tmp_path]) == []


def test_an_alert_value_in_a_data_here_doc_is_a_warning(tmp_path: Path) -> None:
    _write_step(tmp_path / "rb.yaml", "kubectl apply -f - <<EOF\nmetadata: {name: {{pod}}}\nEOF")
    assert [(f.code, f.severity) for f in lint_paths([tmp_path])] == [
        ("untrusted-parameter-in-here-doc", "warning")]


@pytest.mark.parametrize("command", [*UNSAFE_NESTED, "cat <<EOF > /tmp/x\n{{pod}}\nEOF",
                                     "ssh -i key {{pod}} uptime"])
def test_a_free_text_parameter_in_any_nested_context_is_an_error(tmp_path: Path,
                                                                 command: str) -> None:
    _write_step(tmp_path / "rb.yaml", command, free_text=True)
    found = [(f.code, f.severity) for f in lint_paths([tmp_path])]
    assert ("free-text-in-nested-context", "error") in found, found


def test_a_free_text_parameter_in_the_runners_own_shell_is_clean(tmp_path: Path) -> None:
    _write_step(tmp_path / "rb.yaml", 'logger -t warroom "{{pod}}"', free_text=True)
    assert lint_paths([tmp_path]) == []


@pytest.mark.parametrize("pattern", [".*", r"\S+", "[^/]+", "[a-z ]+", "x;y", "[a-z$]+", "("])
def test_a_pattern_that_can_match_metacharacters_does_not_load(tmp_path: Path,
                                                              pattern: str) -> None:
    _write_step(tmp_path / "rb.yaml", "echo {{pod}}", pattern=pattern)
    found = lint_paths([tmp_path])
    assert [(f.code, f.severity) for f in found] == [("schema", "error")], found
    assert found[0].line is not None and "pattern" in found[0].message
    lines = (tmp_path / "rb.yaml").read_text().splitlines()
    assert lines[found[0].line - 1].lstrip(" -").startswith("pattern:"), found[0]


def test_a_safe_pattern_loads_and_pattern_with_free_text_does_not(tmp_path: Path) -> None:
    _write_step(tmp_path / "rb.yaml", "echo {{pod}}", pattern=r"[a-z]+(_[a-z]+)*")
    assert lint_paths([tmp_path]) == []
    _write_step(tmp_path / "rb.yaml", "echo {{pod}}", pattern="[a-z]+", free_text=True)
    assert "choose one" in lint_paths([tmp_path])[0].message
