"""`warroom silence create|list|expire`: silences through the API."""

from __future__ import annotations

import typer
from rich.table import Table

from warroom.cli.common import api, friendly_errors, out, print_json

COMMAND = "silence"

app = typer.Typer(help="Silence alerts by label matchers (WARROOM_URL, WARROOM_TOKEN).",
                  no_args_is_help=True)
JSON = typer.Option(False, "--json", help="print JSON instead of a table")


@app.command("create")
def create(matcher: list[str] = typer.Option(..., "--matcher", "-m",
                                             help='e.g. alertname="DiskFull" (repeatable)'),
           duration: str = typer.Option("1h", "--duration", "-d", help="e.g. 2h, 30m"),
           starts_at: str = typer.Option(None, "--starts-at", help="RFC 3339; default now"),
           comment: str = typer.Option(..., "--comment", "-c"),
           as_json: bool = JSON) -> None:
    """Create a silence for alerts matching every --matcher."""
    body = {"matchers": matcher, "duration": duration, "comment": comment}
    if starts_at:
        body["starts_at"] = starts_at
    with friendly_errors():
        created = api("POST", "/api/v1/silences", body)
    if as_json:
        print_json(created)
        return
    out.print(f"[green]✓[/] silence {created['id']} until {created['ends_at']} "
              f"({', '.join(created['matchers'])})", highlight=False)


@app.command("list")
def list_(all_: bool = typer.Option(False, "--all", help="include expired silences"),
          as_json: bool = JSON) -> None:
    """List active and pending silences."""
    with friendly_errors():
        items = api("GET", "/api/v1/silences", params={"all": str(all_).lower()})["items"]
    if as_json:
        print_json(items)
        return
    table = Table("id", "state", "matchers", "ends", "by", "comment")
    for item in items:
        table.add_row(item["id"], item["state"], ", ".join(item["matchers"]), item["ends_at"],
                      item["created_by"], item["comment"])
    out.print(table)


@app.command("expire")
def expire(silence_id: str, as_json: bool = JSON) -> None:
    """End a silence now."""
    with friendly_errors():
        done = api("POST", f"/api/v1/silences/{silence_id}/expire", {})
    if as_json:
        print_json(done)
        return
    out.print(f"[green]✓[/] silence {done['id']} expired at {done['ends_at']}")
