"""Importing runbook styles the corpus does not have, and hostile input."""

from __future__ import annotations

import time
from pathlib import Path

import yaml

from warroom.runbooks.importer import count_code_lines, import_markdown
from warroom.runbooks.importer.text import repair_mojibake
from warroom.runbooks.linter import lint_paths
from warroom.testing.server import load_scale

NUMBERED_WITH_PROMPTS = """\
# Disk full on database host

**Owner:** storage-team

## Procedure

1. Confirm the disk is full:

   ```console
   $ df -h /var/lib/postgresql
   Filesystem      Size  Used Avail Use% Mounted on
   /dev/sdb1       100G  100G     0 100% /var/lib/postgresql
   ```

2. Find the largest directories with `du -sh /var/lib/postgresql/* | sort -h`.
3. Page the DBA on call.

## Resolution

### Option A: Remove old WAL archives

```sh
$ find /var/lib/postgresql/archive -mtime +7 -delete
```

### Option B: Grow the volume

Requires approval from the incident commander and security. Must be reverted within 30 minutes.

```bash
aws ec2 modify-volume --volume-id <volume-id> --size 200
sudo growpart /dev/sdb 1 && \\
  sudo resize2fs /dev/sdb1
```

## Rollback

⚠️ LAST RESORT: stop the database.

```bash
sudo systemctl stop postgresql@${PG_VERSION}-main
```
"""

SETEXT_WIKI = """\
Service: checkout

Symptoms
========

p99 latency above 2s.

Investigation
-------------

Look at latency with this PromQL:

```promql
histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))
```

```sql
SELECT pid, query FROM pg_stat_activity WHERE state = 'active';
```

Remediation
-----------

* Restart the slow pods: `kubectl -n ${NAMESPACE} rollout restart deploy/checkout`
* Kill the long query: `psql -c "SELECT pg_terminate_backend([PID])"`

Verification
------------

- [ ] p99 back under 500ms
- [ ] error rate normal
"""


def steps_of(text: str, name: str = "doc.md") -> list[dict[str, object]]:
    [runbook] = import_markdown(text, name).runbooks
    return list(runbook["steps"])


def test_numbered_procedure_with_prompts_options_approvals_and_revert() -> None:
    result = import_markdown(NUMBERED_WITH_PROMPTS, "disk.md")
    [runbook] = result.runbooks
    assert runbook["owner"] == "storage-team"
    by_command = {s["executor"].get("command"): s for s in runbook["steps"]}
    assert by_command["df -h /var/lib/postgresql"]["title"] == "Confirm the disk is full"
    assert "du -sh /var/lib/postgresql/* | sort -h" in by_command
    wal = by_command["find /var/lib/postgresql/archive -mtime +7 -delete"]
    assert (wal["option"], wal["phase"], wal["dangerous"]) == ("A", "mitigate", True)
    grow = by_command["aws ec2 modify-volume --volume-id {{volume_id}} --size 200"]
    assert grow["option"] == "B"
    assert grow["requires_approval"] == {"roles": ["commander", "security"], "count": 2}
    assert grow["revert"] == {"within": "30m"}
    stop = by_command["sudo systemctl stop postgresql@{{pg_version}}-main"]
    assert stop["dangerous"] and stop["phase"] == "mitigate"
    assert [p["name"] for p in runbook["parameters"]] == ["volume_id", "pg_version"]
    assert runbook["steps"][-1]["phase"] == "verify"        # placeholder after mitigations
    output = [e for e in result.report if "sample output" in e.detail]
    assert output and len(output[0].code_lines) == 2        # the df output, kept as a note
    assert result.accounting.total == count_code_lines(NUMBERED_WITH_PROMPTS) == 8


def test_setext_headings_inline_commands_checklists_and_snippets() -> None:
    [runbook] = import_markdown(SETEXT_WIKI, "checkout-latency.md").runbooks
    assert runbook["applies_to"]["services"] == ["checkout"]
    kinds = [(s["phase"], s["executor"]["type"]) for s in runbook["steps"]]
    assert kinds == [("diagnose", "promql"), ("diagnose", "manual"), ("mitigate", "shell"),
                     ("mitigate", "shell"), ("verify", "manual"), ("verify", "manual")]
    sql = runbook["steps"][1]["executor"]
    assert sql["snippet_language"] == "sql" and "pg_stat_activity" in sql["snippet"]
    kill = runbook["steps"][3]
    assert kill["executor"]["command"] == 'psql -c "SELECT pg_terminate_backend({{pid}})"'
    assert kill["requires_approval"]
    assert runbook["steps"][4]["title"] == "p99 back under 500ms"


def test_imported_styles_lint_clean(tmp_path: Path) -> None:
    for name, text in (("a.md", NUMBERED_WITH_PROMPTS), ("b.md", SETEXT_WIKI)):
        for runbook in import_markdown(text, name).runbooks:
            (tmp_path / f"{runbook['id']}.yaml").write_text(yaml.safe_dump(runbook))
    assert [f for f in lint_paths([tmp_path]) if f.severity == "error"] == []


def test_mojibake_front_matter_and_crlf_survive() -> None:
    raw = ("---\r\ntitle: \"CafÃ© API down\"\r\nowner: cafe-team\r\n---\r\n# CafeApiDown\r\n\r\n"
           "## Mitigation\r\n\r\n\u00e2\u0161\u00a0\u00ef\u00b8\u008f DANGER\r\n\r\n```\r\n"
           "kubectl delete pod -l app=cafe -n $NAMESPACE\r\n```\r\n").encode("utf-8")
    result = import_markdown(raw, "cafe.md")
    [runbook] = result.runbooks
    assert runbook["title"] == "Café API down" and runbook["owner"] == "cafe-team"
    assert runbook["applies_to"]["alerts"] == ["alertname=CafeApiDown"]
    assert runbook["steps"][0]["requires_approval"]
    assert result.repaired_characters >= 2


def test_repair_leaves_correct_text_alone() -> None:
    assert repair_mojibake("café — naïve ✅") == ("café — naïve ✅", 0)
    assert repair_mojibake("Is it down? â†’ P1 ðŸš¨") == ("Is it down? → P1 🚨", 2)


def test_empty_and_blank_documents_import_to_nothing_with_a_reason() -> None:
    for text in ("", "\n\n  \n", "---\ntitle: only front matter\n---\n"):
        result = import_markdown(text, "empty.md")
        assert result.runbooks == [] and result.accounting.total == 0
        assert any(e.kind == "skipped" for e in result.report)


def test_broken_front_matter_and_unclosed_fence_do_not_crash() -> None:
    text = "---\n: [\n---\n# X\n\n## Fix\n\n```bash\nsystemctl restart x\n"
    result = import_markdown(text, "broken.md")
    assert any("front matter" in e.became for e in result.report)
    assert result.runbooks[0]["steps"][0]["executor"]["command"] == "systemctl restart x"


def test_a_huge_document_imports_quickly() -> None:
    section = ("## Scenario {n}\n\n### Diagnosis\n\n```bash\n# Look\nkubectl get pods -n ns{n}\n"
               "```\n\n### Mitigation\n\n- Restart it: `kubectl rollout restart deploy/a{n}`\n\n")
    text = "# Big\n\n" + "".join(section.format(n=n) for n in range(1500))
    started = time.monotonic()
    result = import_markdown(text, "big.md")
    # A guard against quadratic blow-up, not a benchmark: the bound grows with the load.
    assert time.monotonic() - started < 20 * load_scale()
    assert len(result.runbooks) == 1500
    assert result.accounting.total == 3000 == result.accounting.in_steps
