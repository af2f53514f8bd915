"""`warroom runbook`: lint runbook YAML, import Markdown runbooks, print the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import typer
import yaml
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from warroom.cli.common import api, fail, friendly_errors, out, print_json
from warroom.runbooks.importer import (
    ImportResult,
    import_markdown,
    make_ids_unique,
    render_markdown,
)
from warroom.runbooks.linter import has_errors, lint_paths
from warroom.runbooks.model import json_schema

COMMAND = "runbook"
SOURCES = "sources"  # folder of the output directory that keeps imported Markdown
app = typer.Typer(help="Runbooks as code: lint, import, schema; list, run steps, approve.",
                  no_args_is_help=True)


def _console() -> Console:
    return Console(width=140)


@app.command("lint")
def lint(paths: list[Path] = typer.Argument(..., help="Runbook files or directories")) -> None:
    """Check runbooks; exits 1 when any error is found (warnings alone exit 0)."""
    console = _console()
    missing = [p for p in paths if not p.exists()]
    if missing:
        console.print(f"[red]no such file or directory: {', '.join(map(str, missing))}[/red]")
        raise typer.Exit(2)
    findings = lint_paths(paths)
    if findings:
        # file:line must stay on one line so editors and terminals can jump to it
        widest = max(len(f.where()) for f in findings)
        console = Console(width=max(140, widest + 110))
        table = Table(show_lines=False)
        table.add_column("Where", no_wrap=True, min_width=widest)
        for name in ("Severity", "Code", "Message"):
            table.add_column(name)
        for f in findings:
            colour = "red" if f.severity == "error" else "yellow"
            table.add_row(f.where(), f"[{colour}]{f.severity}[/{colour}]", f.code, f.message)
        console.print(table)
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    console.print(f"{errors} error(s), {warnings} warning(s)")
    if has_errors(findings):
        raise typer.Exit(1)


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


@app.command("import")
def import_(
    files: list[Path] = typer.Argument(None, help="Markdown runbooks (directories are searched)"),
    out: Path | None = typer.Option(None, "--out",
                                    help="Directory for the runbook YAML and report"),
    explain: str | None = typer.Option(None, "--explain", metavar="FILE:LINE", help=(
        "Print what one source line became (a step, expected output, a note, ...) and exit")),
) -> None:
    """Import Markdown runbooks into runbook YAML, import-report.md and proposals.yaml."""
    console = _console()
    if explain is not None:
        _explain(console, explain)
        return
    if not files or out is None:
        console.print("[red]give the Markdown files to import and --out DIR "
                      "(or --explain FILE:LINE)[/red]")
        raise typer.Exit(2)
    sources: list[Path] = []
    for path in files:
        if path.is_dir():
            sources += sorted(p for p in path.rglob("*") if p.is_file()
                              and p.suffix.lower() in (".md", ".markdown", ".txt")
                              and p.name.upper() != "LICENSE")
        elif path.exists():
            sources.append(path)
        else:
            console.print(f"[red]no such file: {path}[/red]")
            raise typer.Exit(2)
    common = _common_root(sources)
    results: list[ImportResult] = []
    documents: dict[str, bytes] = {}
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("importing", total=len(sources))
        for source in sources:
            relative = source.resolve().relative_to(common) if common else Path(source.name)
            name = relative.as_posix()
            documents[name] = source.read_bytes()
            results.append(import_markdown(documents[name], name))
            progress.advance(task)
    make_ids_unique(results)
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for result in results:
        if result.runbooks:
            # the source stays beside its runbooks, for the console's side-by-side review
            kept = out / SOURCES / result.source
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_bytes(documents[result.source])
        for runbook in result.runbooks:
            runbook = {**runbook, "source_document": f"{SOURCES}/{result.source}"}
            (out / f"{runbook['id']}.yaml").write_text(_dump(runbook), encoding="utf-8")
            written += 1
    (out / "import-report.md").write_text(render_markdown(results), encoding="utf-8")
    proposals: dict[str, Any] = {"kind": "import-proposals", "severity_schemes": [],
                                 "escalation_policies": [], "templates": [], "contacts": []}
    for result in results:
        for key, values in result.proposals.as_dict().items():
            proposals[key] += values
    (out / "proposals.yaml").write_text(_dump(proposals), encoding="utf-8")
    console.print(f"imported {len(sources)} document(s) into {written} runbook(s) in {out}; "
                  f"see {out / 'import-report.md'}")


def _explain(console: Console, where: str) -> None:
    path_text, sep, line_text = where.rpartition(":")
    if not sep or not line_text.isdigit() or int(line_text) < 1:
        console.print(f"[red]--explain takes FILE:LINE (a line number from 1), got {where!r}[/red]")
        raise typer.Exit(2)
    path = Path(path_text)
    if not path.is_file():
        console.print(f"[red]no such file: {path}[/red]")
        raise typer.Exit(2)
    line = int(line_text)
    result = import_markdown(path.read_bytes(), str(path))
    source = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    typer.echo(result.explain(line))
    if line <= len(source) and source[line - 1].strip():
        typer.echo(f"    {source[line - 1].strip()}")


def _common_root(paths: list[Path]) -> Path | None:
    if not paths:
        return None
    parents = [p.resolve().parent for p in paths]
    root = parents[0]
    while not all(p == root or root in p.parents for p in parents):
        root = root.parent
    return root


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of a runbook file."""
    typer.echo(json.dumps(json_schema(), indent=2))


# ---------------------------------------------------------------- API clients (WARROOM_URL)


def _params(values: list[str]) -> dict[str, str]:
    found = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep:
            fail(f"--param takes NAME=VALUE, got {item!r}")
        found[name] = value
    return found


def _show_steps(run: dict[str, Any]) -> None:
    table = Table(title=f"run {run['id']} — {run['runbook_id']} ({run['status']})")
    for name in ("#", "Step", "Phase", "Executor", "State", "Detail"):
        table.add_column(name)
    for i, step in enumerate(run["steps"], 1):
        flags = " ⚠" if step.get("dangerous") else ""
        flags += " 🔒" if step.get("requires_approval") else ""
        table.add_row(str(i), f"{step['step_id']}{flags}", step.get("phase") or "",
                      step.get("executor") or "", step["state"],
                      (step.get("detail") or step.get("note") or "")[:60])
    out.print(table)


def _show_step(step: dict[str, Any]) -> None:
    out.print(f"{step['step_id']}: [bold]{step['state']}[/bold]  {step.get('detail') or ''}")
    if step.get("rendered"):
        out.print(f"  rendered: {step['rendered']}", highlight=False, markup=False)
    if step.get("output_url"):
        out.print(f"  output:   {step['output_url']}", highlight=False)


@app.command("list")
def list_(tag: str | None = typer.Option(None, help="Only runbooks with this tag"),
          json_out: bool = typer.Option(False, "--json")) -> None:
    """Runbooks the server loaded from its configured directory."""
    with friendly_errors():
        data = api("GET", "/api/v1/runbooks", params={"tag": tag} if tag else None)
    if json_out:
        print_json(data)
        return
    table = Table(title=f"{data['count']} runbook(s) — execution: {data['execution']}")
    for name in ("Id", "Title", "Steps", "Schedule", "Runnable"):
        table.add_column(name)
    for rb in data["items"]:
        table.add_row(rb["id"], rb["title"], str(rb["steps"]), rb.get("schedule") or "",
                      "yes" if rb["runnable"] else "[red]lint errors[/red]")
    out.print(table)


@app.command("show")
def show(runbook_id: str) -> None:
    """One runbook with its lint findings (JSON)."""
    with friendly_errors():
        print_json(api("GET", f"/api/v1/runbooks/{runbook_id}"))


@app.command("suggest")
def suggest(incident: str) -> None:
    """Runbooks ranked for an incident."""
    with friendly_errors():
        data = api("GET", f"/api/v1/incidents/{incident}/runbooks/suggested")
    for item in data["items"]:
        out.print(f"{item['score']:>4}  {item['runbook_id']}  — {'; '.join(item['reasons'])}",
                  highlight=False)


@app.command("attach")
def attach(incident: str, runbook_id: str) -> None:
    """Attach a runbook to an incident."""
    with friendly_errors():
        api("POST", f"/api/v1/incidents/{incident}/runbooks", {"runbook": runbook_id})
    out.print(f"attached {runbook_id} to {incident}")


@app.command("detach")
def detach(incident: str, runbook_id: str) -> None:
    """Detach a runbook from an incident."""
    with friendly_errors():
        api("DELETE", f"/api/v1/incidents/{incident}/runbooks/{runbook_id}")
    out.print(f"detached {runbook_id} from {incident}")


@app.command("start")
def start(runbook_id: str,
          incident: str | None = typer.Option(None, help="Incident to run it on"),
          param: list[str] = typer.Option([], help="NAME=VALUE (repeatable)")) -> None:
    """Start a run; prints its id and steps."""
    with friendly_errors():
        run = api("POST", "/api/v1/runs", {"runbook": runbook_id, "incident": incident,
                                           "params": _params(param)})
    _show_steps(run)


@app.command("runs")
def runs(runbook_id: str | None = typer.Option(None, "--runbook"),
         incident: str | None = typer.Option(None)) -> None:
    """Run history (scheduled runs included)."""
    params = {k: v for k, v in {"runbook": runbook_id, "incident": incident}.items() if v}
    with friendly_errors():
        data = api("GET", "/api/v1/runs", params=params)
    for run in data["items"]:
        out.print(f"{run['created_at']}  {run['id']}  {run['runbook_id']}  {run['status']}  "
                  f"{run['trigger']}  {run.get('counts')}", highlight=False)


@app.command("steps")
def steps(run_id: str) -> None:
    """Every step of a run with its state."""
    with friendly_errors():
        _show_steps(api("GET", f"/api/v1/runs/{run_id}"))


@app.command("run")
def run(run_id: str, step_id: str,
        param: list[str] = typer.Option([], help="NAME=VALUE (repeatable)"),
        retry: bool = typer.Option(False, help="Run a failed or skipped step again")) -> None:
    """Run one step now."""
    verb = "retry" if retry else "run"
    with friendly_errors():
        try:
            _show_step(api("POST", f"/api/v1/runs/{run_id}/steps/{step_id}/{verb}",
                           {"params": _params(param)}))
        except httpx.TimeoutException:
            # the server keeps running the step within its own timeout
            fail(f"no answer yet; step {step_id} is still running on the server — follow it "
                 f"with `warroom runbook steps {run_id}`")


@app.command("done")
def done(run_id: str, step_id: str, note: str = typer.Option(..., help="What you did")) -> None:
    """Mark a manual step done."""
    with friendly_errors():
        _show_step(api("POST", f"/api/v1/runs/{run_id}/steps/{step_id}/done", {"note": note}))


@app.command("skip")
def skip(run_id: str, step_id: str, reason: str = typer.Option(...)) -> None:
    """Skip a step, with a reason."""
    with friendly_errors():
        _show_step(api("POST", f"/api/v1/runs/{run_id}/steps/{step_id}/skip",
                       {"reason": reason}))


@app.command("request-approval")
def request_approval(run_id: str, step_id: str, reason: str = typer.Option(...)) -> None:
    """Ask the approvers to allow a gated step."""
    with friendly_errors():
        req = api("POST", f"/api/v1/runs/{run_id}/steps/{step_id}/approval",
                  {"reason": reason})
    out.print(f"approval request {req['id']}: needs {req['count']} of "
              f"{', '.join(req['roles'])}", highlight=False)


def _decide(verb: str, request_id: str, reason: str) -> None:
    with friendly_errors():
        req = api("POST", f"/api/v1/approvals/{request_id}/{verb}", {"reason": reason})
    out.print(f"request {req['id']}: {req['status']} ({req['approvals']}/{req['count']} "
              "approvals)", highlight=False)


@app.command("approve")
def approve(request_id: str, reason: str = typer.Option("", help="Why")) -> None:
    """Approve someone else's request."""
    _decide("approve", request_id, reason)


@app.command("deny")
def deny(request_id: str, reason: str = typer.Option(...)) -> None:
    """Deny a request."""
    _decide("deny", request_id, reason)


@app.command("revoke")
def revoke(request_id: str, reason: str = typer.Option("")) -> None:
    """Withdraw your approval before the step runs."""
    _decide("revoke", request_id, reason)


@app.command("approvals")
def approvals(status: str = typer.Option("pending")) -> None:
    """Approval requests (pending by default)."""
    with friendly_errors():
        data = api("GET", "/api/v1/approvals", params={"status": status})
    for req in data["items"]:
        out.print(f"{req['id']}  run {req['run_id']} step {req['step_id']}  by "
                  f"{req['requested_by']}  {req['approvals']}/{req['count']} of "
                  f"{', '.join(req['roles'])}  — {req['reason']}", highlight=False)
        if req.get("rendered"):
            out.print(f"  command:    {req['rendered']}", highlight=False, markup=False)
        if req.get("parameters"):
            shown = " ".join(f"{k}={v}" for k, v in req["parameters"].items())
            out.print(f"  parameters: {shown}", highlight=False, markup=False)
