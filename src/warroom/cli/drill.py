"""`warroom drill`: run a drill scenario through the real intake, score the drill incident,
and list runbooks whose drill cadence has lapsed."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from warroom.cli.common import api, api_url, fail, friendly_errors, out, print_json
from warroom.evidence.drill_runner import (
    DrillError,
    HttpInjector,
    incident_of_run,
    inject_scenario,
)
from warroom.evidence.drills import DrillScenario, ScenarioError, load_scenario, runbook_problems

COMMAND = "drill"
app = typer.Typer(help="Drills: rehearse incidents from scenario files and score them.",
                  no_args_is_help=True)
FIND_TIMEOUT = 15.0
POLL = 0.5


def _scenario(path: Path) -> DrillScenario:
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        fail(str(exc), 2)


def _scorecard_table(card: dict[str, Any], incident: str) -> Table:
    verdict = "[green]PASSED[/]" if card["passed"] else "[red]MISSED TARGETS[/]"
    table = Table(title=f"Drill {card['scenario']} on {incident} — {verdict}",
                  title_justify="left")
    for column in ("Measure", "Target", "Actual", "Result"):
        table.add_column(column)

    def secs(value: float | None) -> str:
        from warroom.evidence.durations import format_duration

        return format_duration(value) if value is not None else "never happened"

    table.add_row("Time to acknowledge", "", secs(card["time_to_ack"]), "")
    table.add_row("Time to runbook start", "", secs(card["time_to_runbook_start"]), "")
    table.add_row("Time to mitigation", "", secs(card["time_to_mitigation"]), "")
    table.add_row("Steps done", "", ", ".join(card["steps_done"]) or "none", "")
    table.add_row("Steps skipped", "", ", ".join(card["steps_skipped"]) or "none", "")
    for target in card["targets"]:
        table.add_row(target["name"], escape(target["target"]), escape(target["actual"]),
                      "[green]met[/]" if target["met"] else "[red]missed[/]")
    return table


def _runbook_steps(directory: Path | None) -> dict[str, list[str]] | None:
    """Runbook id -> step ids, from `directory` or else the runbooks directory of
    WARROOM_CONFIG; None when neither is set."""
    from warroom.config.loader import load_config
    from warroom.runbooks.registry import build_registry, config_dir, load_directory, parse_settings
    from warroom.settings import Settings

    if directory is None:
        config = Settings.from_env().config
        if not config:
            return None
        with friendly_errors():
            loaded = load_config(config)
            registry = build_registry(parse_settings(loaded.config.runbooks,
                                                     loaded.origins.where), config_dir(config))
        books = registry.loaded
    else:
        if not directory.is_dir():
            fail(f"{directory}: no such runbooks directory", 2)
        books, _ = load_directory(directory)
    return {rid: [step.id for step in lr.runbook.steps] for rid, lr in books.items()}


@app.command()
def check(scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
          runbooks: Annotated[Path | None, typer.Option(
              "--runbooks", help="Runbooks directory the scenario's expected_runbook and "
              "steps_required must exist in (default: the one WARROOM_CONFIG configures).")]
          = None) -> None:
    """Validate a scenario file, and that the runbook and steps it names exist."""
    found = _scenario(scenario)
    steps = _runbook_steps(runbooks)
    problems = runbook_problems(found, steps) if steps is not None else []
    if problems:
        fail(escape("\n".join(f"{scenario}: {problem}" for problem in problems)), 2)
    out.print(f"{escape(str(scenario))}: {found.name} ({found.severity}, {found.mode}, "
              f"{found.cadence}) — {len(found.alerts)} alert(s)", highlight=False)
    if steps is None and found.expected_runbook:
        out.print("[yellow]note:[/] set WARROOM_CONFIG or pass --runbooks to check that "
                  f"runbook {escape(found.expected_runbook)} and its steps exist",
                  highlight=False)


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    key: Annotated[str, typer.Option(
        "--key", envvar="WARROOM_DRILL_KEY",
        help="Key of a generic intake integration (see `warroom integration list`).")],
    wait: Annotated[bool, typer.Option(
        "--wait", help="Stay until the drill incident resolves, then print its scorecard.")]
    = False,
) -> None:
    """Inject the scenario's alerts through the generic intake webhook, like a monitor would,
    and print the drill incident they open."""
    found = _scenario(scenario)
    try:
        run_id, payloads = inject_scenario(found, HttpInjector(api_url(), key))
    except DrillError as exc:
        fail(str(exc))
    out.print(f"[bold][DRILL][/] injected {len(payloads)} alert(s) for {found.name} "
              f"(run {run_id})", highlight=False)
    deadline = time.monotonic() + FIND_TIMEOUT
    incident_id = None
    with friendly_errors():
        while incident_id is None and time.monotonic() < deadline:
            # By the run's label, not by service: routes or the integration's default
            # service may place the alerts elsewhere than the scenario says. Newest first.
            alerts = api("GET", "/api/v1/alerts", params={"limit": 1000})["items"]
            incident_id = incident_of_run(alerts, run_id)
            if incident_id is None:
                time.sleep(POLL)  # the intake writer commits asynchronously
        if incident_id is None:
            fail("the alerts were accepted but opened no incident; check the integration's "
                 "routes and silences (`warroom alert list`)")
        incident = api("GET", f"/api/v1/incidents/{incident_id}")
    ref = incident["human_id"]
    out.print(f"drill incident [bold]{ref}[/]: {escape(incident['title'])}", highlight=False)
    if not incident.get("is_drill"):
        out.print("[yellow]warning:[/] the intake declared it without the drill flag, so "
                  "its notifications carry no [DRILL] prefix", highlight=False)
    if not wait:
        out.print(f"when it is over: warroom drill score {escape(str(scenario))} {ref}",
                  highlight=False)
        return
    with friendly_errors():
        while api("GET", f"/api/v1/incidents/{ref}")["status"] not in ("resolved", "closed"):
            time.sleep(5)
    score(scenario, ref)


@app.command()
def score(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    incident: Annotated[str, typer.Argument(help="The drill incident, e.g. INC-2026-0042.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
) -> None:
    """Score a drill incident against the scenario's targets and record the runbook tested."""
    _scenario(scenario)
    with friendly_errors():
        result = api("POST", "/api/v1/reports/drills/score",
                     {"incident": incident, "scenario": scenario.read_text(encoding="utf-8")})
    if as_json:
        print_json(result)
        return
    out.print(_scorecard_table(result["scorecard"], result["incident"]))
    if not result["scorecard"]["passed"]:
        raise typer.Exit(1)


@app.command()
def overdue(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List runbooks whose test cadence lapsed (P0 monthly, P1 quarterly unless configured)."""
    with friendly_errors():
        items = api("GET", "/api/v1/reports/runbooks-overdue")["items"]
    if as_json:
        print_json(items)
        return
    table = Table(title="Runbooks overdue for a drill", title_justify="left")
    for column in ("Runbook", "Severity", "Cadence", "Last tested", "Due"):
        table.add_column(column)
    for item in items:
        table.add_row(item["runbook_id"], item["severity"], item["cadence"],
                      (item["last_tested"] or "never")[:10], (item["due_at"] or "now")[:10])
    out.print(table)
