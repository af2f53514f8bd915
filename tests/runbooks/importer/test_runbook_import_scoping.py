"""Where danger markers and approval rules apply, and `import --explain FILE:LINE`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from warroom.cli.runbook import app
from warroom.runbooks.importer import import_markdown


def steps(text: str) -> dict[str, dict[str, Any]]:
    result = import_markdown(text, "doc.md")
    return {s["executor"].get("command") or s["title"]: s
            for rb in result.runbooks for s in rb["steps"]}


def gated(step: dict[str, Any]) -> bool:
    return bool(step.get("dangerous") or step.get("requires_approval"))


DISCLAIMER = """\
# Platform playbook

⚠️ **Disclaimer:** this playbook is a template. Review each step before use. Dangerous!

## Diagnosis

```bash
kubectl -n web get pods
kubectl -n web rollout history deploy/web
```

## Mitigation

⚠️ High risk: the next command takes the service down.

```bash
kubectl -n web rollout undo deploy/web
```

```bash
kubectl -n web rollout status deploy/web
./scripts/warm-cache.sh web
```

### Cleanup

```bash
./scripts/rotate-logs.sh web
```
"""


def test_a_document_disclaimer_does_not_gate_every_step() -> None:
    found = steps(DISCLAIMER)
    assert not gated(found["kubectl -n web get pods"])
    assert not gated(found["kubectl -n web rollout history deploy/web"])


def test_a_marker_in_prose_gates_the_block_after_it_only() -> None:
    found = steps(DISCLAIMER)
    assert gated(found["kubectl -n web rollout undo deploy/web"])
    assert not gated(found["./scripts/warm-cache.sh web"])
    assert not gated(found["./scripts/rotate-logs.sh web"])     # a child section


def test_a_marker_that_says_it_covers_the_following_steps_does() -> None:
    text = DISCLAIMER.replace("⚠️ High risk: the next command takes the service down.",
                              "⚠️ High risk: all of the following steps change production.")
    found = steps(text)
    assert gated(found["./scripts/warm-cache.sh web"])
    assert not gated(found["kubectl -n web rollout status deploy/web"])   # read-only
    assert not gated(found["./scripts/rotate-logs.sh web"])               # a child section


def test_a_heading_marker_covers_its_section_and_children() -> None:
    text = "# Db\n\n## Restore from backup\n\n```bash\n./restore.sh\n```\n\n" \
           "### Then\n\n```bash\n./reindex.sh\nkubectl get pods\n```\n"
    found = steps(text)
    assert gated(found["./restore.sh"]) and gated(found["./reindex.sh"])
    assert not gated(found["kubectl get pods"])


def test_a_rule_before_code_governs_that_code_and_a_rule_after_governs_the_step_before() -> None:
    text = """\
# Bypass

## Mitigation

Requires approval from the incident commander. Must be reverted within 30 minutes.

```bash
./scripts/open-firewall.sh
```

```bash
./scripts/disable-waf.sh
```

The WAF bypass must be:

1. approved by the incident commander and the security team,
2. documented in the evidence,
3. reverted within 2 hours.

```bash
./scripts/notify.sh
```
"""
    found = steps(text)
    assert found["./scripts/open-firewall.sh"]["requires_approval"] == {"roles": ["commander"]}
    assert found["./scripts/open-firewall.sh"]["revert"] == {"within": "30m"}
    waf = found["./scripts/disable-waf.sh"]
    assert waf["requires_approval"] == {"roles": ["commander", "security"], "count": 2}
    assert waf["revert"] == {"within": "2h"}
    assert not gated(found["./scripts/notify.sh"]) and "revert" not in found["./scripts/notify.sh"]


def test_environment_prefixed_commands_are_steps_not_defaults() -> None:
    text = "# Queue\n\n## Mitigation\n\n```bash\nSENTRY_CONF=/etc/sentry sentry queues purge " \
           "events\n```\n"
    found = steps(text)
    assert gated(found["SENTRY_CONF=/etc/sentry sentry queues purge events"])


def test_explain_prints_what_one_line_became(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("# Disk\n\n## Diagnosis\n\n```console\n$ df -h /var\nFilesystem  Size\n"
                   "/dev/sda1   100G\n```\n\nAsk in #storage if unsure.\n")
    runner = CliRunner()
    out = runner.invoke(app, ["import", "--explain", f"{doc}:7"])
    assert out.exit_code == 0, out.output
    assert "expected output of runbook" in out.output and "Filesystem" in out.output
    out = runner.invoke(app, ["import", "--explain", f"{doc}:6"])
    assert "step" in out.output and "(shell)" in out.output
    out = runner.invoke(app, ["import", "--explain", f"{doc}:11"])
    assert "notes in runbook" in out.output
    out = runner.invoke(app, ["import", "--explain", f"{doc}:x"])
    assert out.exit_code == 2 and "FILE:LINE" in out.output
    out = runner.invoke(app, ["import", "--explain", f"{tmp_path}/missing.md:1"])
    assert out.exit_code == 2 and "no such file" in out.output


def test_the_report_lists_every_source_line(tmp_path: Path) -> None:
    doc = tmp_path / "in" / "doc.md"
    doc.parent.mkdir()
    doc.write_text("# Disk\n\nIntro prose.\n\n## Diagnosis\n\n```bash\ndf -h\n```\n")
    out = CliRunner().invoke(app, ["import", str(doc), "--out", str(tmp_path / "out")])
    assert out.exit_code == 0, out.output
    report = (tmp_path / "out" / "import-report.md").read_text()
    assert "### Source lines" in report
    assert "| 7-9 |" in report or "| 8 |" in report


def test_each_step_exposes_the_source_lines_it_came_from() -> None:
    from warroom.runbooks.model import Runbook
    from warroom.runbooks.views import runbook_json

    text = ("# Disk\n\n## Diagnosis\n\n```console\n$ df -h /var\nFilesystem  Size\n"
            "/dev/sda1   100G\n```\n\n- Restart the agent: `sudo systemctl restart agent`\n")
    [data] = import_markdown(text, "runbooks/disk.md").runbooks
    shown = runbook_json(Runbook.model_validate(data), True, [], "disk.yaml")["step_sources"]
    steps = data["steps"]
    assert shown[steps[0]["id"]] == {"file": "runbooks/disk.md", "first_line": 6,
                                     "last_line": 8}          # command and its output
    assert shown[steps[1]["id"]] == {"file": "runbooks/disk.md", "first_line": 11,
                                     "last_line": 11}


def test_a_rule_after_a_read_only_step_does_not_gate_it() -> None:
    text = ("# Secrets\n\n## Diagnosis\n\n```bash\nkubectl -n app get secret db -o name\n```\n\n"
            "Reading secrets must be approved by the security team.\n")
    result = import_markdown(text, "doc.md")
    [step] = [s for rb in result.runbooks for s in rb["steps"]]
    assert not gated(step)
    assert "never needs approval" in result.lines[9]


def test_a_table_of_commands_makes_a_runbook_on_its_own() -> None:
    text = ("# Cache\n\n## Flush\n\n| Step | Command |\n|---|---|\n"
            "| Look | `redis-cli INFO keyspace` |\n| Flush | `redis-cli FLUSHALL` |\n")
    found = steps(text)
    assert not gated(found["redis-cli INFO keyspace"])
    assert gated(found["redis-cli FLUSHALL"])


def test_contact_lists_and_tables_are_proposed_not_dropped() -> None:
    text = ("# Payments on-call\n\n## Contacts\n\n**Primary On-Call:** Jane (+1 555 0100)\n"
            "**Secondary On-Call:** Omar (+1 555 0101)\n**Escalation:** Head of Payments\n\n"
            "## Escalation\n\n| | Primary | Secondary |\n|---|---|---|\n"
            "| Name | Jane | Omar |\n| Phone | +1 555 0100 | +1 555 0101 |\n")
    result = import_markdown(text, "doc.md")
    [listed, table] = result.proposals.contacts
    assert listed["entries"] == [{"primary": "Jane (+1 555 0100)",
                                  "secondary": "Omar (+1 555 0101)",
                                  "escalation": "Head of Payments"}]
    assert table["kind"] == "escalation matrix" and len(table["entries"]) == 2
    assert all(result.lines[n].startswith("proposal") for n in (5, 6, 7, 11, 13, 14))


def test_a_rule_list_nested_in_a_step_stops_at_the_next_step() -> None:
    text = """\
# Deploy freeze

## Mitigation

1. Lift the deploy block:

   ```bash
   aws organizations detach-policy --policy-id p-1 --target-id ou-prod
   ```

   Policy bypass must be:

   1. approved by the incident commander + security team,
   2. reverted within 1 hour.

2. Tell the #deploys channel.
"""
    found = steps(text)
    bypass = found["aws organizations detach-policy --policy-id p-1 --target-id ou-prod"]
    assert bypass["requires_approval"] == {"roles": ["commander", "security"], "count": 2}
    assert bypass["revert"] == {"within": "1h"}
    assert "Tell the #deploys channel" in found


def test_a_rule_written_as_a_nested_list_item_governs_the_step_before() -> None:
    text = """\
# Deploy freeze

## Mitigation

- Lift the block: `aws organizations detach-policy --policy-id p-1 --target-id ou-prod`
- Policy bypass must be:
  - approved by the incident commander and the security team
  - reverted within 30 minutes
- Restart the deploy queue: `./scripts/deploy-queue.sh restart`
"""
    found = steps(text)
    bypass = found["aws organizations detach-policy --policy-id p-1 --target-id ou-prod"]
    assert bypass["requires_approval"] == {"roles": ["commander", "security"], "count": 2}
    assert bypass["revert"] == {"within": "30m"}
    assert not gated(found["./scripts/deploy-queue.sh restart"])


def test_a_root_prompt_transcript_is_commands_and_output() -> None:
    text = ("# Nginx\n\n## Mitigation\n\n```bash\n[root@web-1 ~]# systemctl restart nginx\n"
            "[root@web-1 ~]# systemctl status nginx\n● nginx.service - web server\n"
            "   Active: active (running)\n```\n")
    result = import_markdown(text, "doc.md")
    found = {s["executor"].get("command"): s for rb in result.runbooks for s in rb["steps"]}
    assert "systemctl restart nginx" in found
    status = found["systemctl status nginx"]
    assert status["expected_output"] == "● nginx.service - web server\n   Active: active (running)"
    assert result.lines[8].startswith("expected output")
