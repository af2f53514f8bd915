"""`warroom runbook` lint / import / schema through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from warroom.cli.runbook import app

runner = CliRunner()
DOC = """\
# WebDown

## Diagnosis

- Check pods: `kubectl -n $NAMESPACE get pods`

## Mitigation

```bash
# Restart everything
kubectl -n $NAMESPACE delete pods --all
```

## Severity

| Severity | Response time |
|---|---|
| SEV1 | 10 minutes |
| SEV2 | 1 hour |
"""


def test_import_writes_runbooks_report_and_proposals_that_lint_clean(tmp_path: Path) -> None:
    source = tmp_path / "in" / "web.md"
    source.parent.mkdir()
    source.write_text(DOC)
    out = tmp_path / "out"
    result = runner.invoke(app, ["import", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    runbook = yaml.safe_load((out / "WebDown.yaml").read_text())
    assert runbook["steps"][1]["requires_approval"]["roles"] == ["commander"]
    # the source is kept beside the runbooks for review, byte for byte
    assert runbook["source_document"] == "sources/web.md"
    assert (out / "sources" / "web.md").read_bytes() == source.read_bytes()
    proposals = yaml.safe_load((out / "proposals.yaml").read_text())
    assert proposals["kind"] == "import-proposals"
    assert [lv["ack_sla"] for lv in proposals["severity_schemes"][0]["levels"]] == ["10m", "1h"]
    assert "WebDown" in (out / "import-report.md").read_text()
    lint = runner.invoke(app, ["lint", str(out)])
    assert lint.exit_code == 0, lint.output
    assert "0 error(s)" in lint.output


def test_lint_exits_1_on_errors_and_shows_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "id: bad\ntitle: Bad\nsteps:\n  - id: s\n    title: S\n"
        "    executor: {type: shell, command: 'redis-cli FLUSHALL'}\n")
    result = runner.invoke(app, ["lint", str(tmp_path)])
    assert result.exit_code == 1
    assert "bad.yaml:6" in result.output and "dangerous-without-approval" in result.output


def test_lint_warnings_alone_exit_0(tmp_path: Path) -> None:
    (tmp_path / "warn.yaml").write_text("id: w\ntitle: W\nsteps:\n  - {id: s, title: S, "
                                        "phase: mitigate}\n")
    result = runner.invoke(app, ["lint", str(tmp_path / "warn.yaml")])
    assert result.exit_code == 0 and "1 warning(s)" in result.output


def test_missing_paths_are_reported(tmp_path: Path) -> None:
    assert runner.invoke(app, ["lint", str(tmp_path / "nope")]).exit_code == 2
    assert runner.invoke(app, ["import", str(tmp_path / "nope.md"), "--out",
                               str(tmp_path)]).exit_code == 2


def test_schema_prints_json_schema() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.output)["title"] == "warroom runbook"
