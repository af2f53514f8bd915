"""Import fidelity: how faithfully `warroom runbook import` turns a folder of Markdown into
runbooks, by source line and by step.

    .venv/bin/python bench/import_fidelity.py FOLDER [FOLDER ...] [--json]

For every folder (searched recursively for .md, .markdown and .txt files, README.md and
LICENSE files skipped) it prints one row:

- files, runbooks, steps;
- source lines (non-blank) and where they went: kept in a step (command, manual step,
  rule), attached as expected output, elsewhere in a runbook (headings, notes, labels,
  description), in a template or proposal, report-only, and silently lost (in neither the
  runbooks nor the report — must be 0);
- destructive steps without approval: a step whose command, snippet, title or comments the
  danger rules call destructive, with no `requires_approval` (must be 0);
- read-only gated: a read-only shell command (get, describe, list, logs, ...) or a PromQL
  query that needs approval (must be 0);
- output as shell steps: shell commands that still hold a line shaped like output (a tree
  diagram, a log line, YAML, a table, a nested-shell prompt, a bare `exit`) (must be 0);
- lint errors and warnings of the imported runbooks (`warroom runbook lint`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from warroom.runbooks.importer.fidelity import COLUMNS, measure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="list every lost line, ungated or gated step, output as shell")
    args = parser.parse_args(argv)
    rows: dict[str, dict[str, Any]] = {}
    for folder in args.folders:
        row, problems = measure(folder)
        rows[str(folder)] = row
        if args.verbose:
            for problem in problems:
                print(problem)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print("| folder | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for folder, row in rows.items():
        print(f"| {folder} | " + " | ".join(str(row[c]) for c in COLUMNS) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
