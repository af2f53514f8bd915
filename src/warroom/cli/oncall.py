"""`warroom oncall ...`: who is on call, shifts, overrides, iCal (a thin API client)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from warroom.cli.common import api, friendly_errors, out, print_json

COMMAND = "oncall"

app = typer.Typer(help="On-call schedules through the API (WARROOM_URL, WARROOM_TOKEN).",
                  no_args_is_help=True)
JSON = typer.Option(False, "--json", help="print JSON instead of a table")


@app.command("who")
def who(at: str = typer.Option(None, "--at", help="an instant, e.g. 2026-02-14T20:00:00Z "
                               "(default: now)"),
        schedule: str = typer.Option(None, "--schedule", "-s", help="only this schedule"),
        as_json: bool = JSON) -> None:
    """Who is on call, per schedule."""
    params = {k: v for k, v in {"at": at, "schedule": schedule}.items() if v}
    with friendly_errors():
        result: dict[str, Any] = api("GET", "/api/v1/oncall", params=params)
    if as_json:
        print_json(result)
        return
    table = Table("schedule", "on call", "until", "from layer", title=f"On call at "
                  f"{result['at']}")
    for item in result["schedules"]:
        first = item["layers"][0] if item["layers"] else None
        table.add_row(item["schedule"], item["on_call"] or "[red]nobody[/]",
                      first["end"] if first else "-", first["layer"] if first else "-")
    out.print(table)


@app.command("shifts")
def shifts(schedule: str, start: str = typer.Option(None), end: str = typer.Option(None),
           as_json: bool = JSON) -> None:
    """A schedule's shifts over a range (default: the next 28 days)."""
    params = {k: v for k, v in {"start": start, "end": end}.items() if v}
    with friendly_errors():
        result: dict[str, Any] = api("GET", f"/api/v1/schedules/{schedule}/oncall",
                                     params=params)
    if as_json:
        print_json(result)
        return
    table = Table("user", "start", "end", "layer", "source", title=schedule)
    for shift in result["shifts"]:
        table.add_row(shift["user"], shift["start"], shift["end"], shift["layer"],
                      shift["source"])
    out.print(table)


@app.command("override")
def override(schedule: str, user: str = typer.Option(..., "--user", "-u"),
             start: str = typer.Option(...), end: str = typer.Option(...),
             reason: str = typer.Option(""), as_json: bool = JSON) -> None:
    """Put USER on call for SCHEDULE from START to END (ISO 8601 instants)."""
    with friendly_errors():
        result = api("POST", f"/api/v1/schedules/{schedule}/overrides",
                     {"user": user, "start": start, "end": end, "reason": reason})
    if as_json:
        print_json(result)
    else:
        out.print(f"[green]✓[/] {user} is on call for {schedule} from {result['start']} to "
                  f"{result['end']} (override #{result['id']})")
