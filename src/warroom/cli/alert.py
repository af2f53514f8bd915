"""`warroom alert list|show`: stored alerts through the API."""

from __future__ import annotations

import typer
from rich.table import Table

from warroom.cli.common import api, friendly_errors, out, print_json

COMMAND = "alert"

app = typer.Typer(help="Stored alerts (WARROOM_URL, WARROOM_TOKEN).", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="print JSON instead of a table")


@app.command("list")
def list_(status: str = typer.Option(None, "--status", help="firing or resolved"),
          service: str = typer.Option(None, "--service"),
          incident: str = typer.Option(None, "--incident"),
          limit: int = typer.Option(50, "--limit"), as_json: bool = JSON) -> None:
    """List alerts, newest first."""
    params = {"status": status, "service": service, "incident": incident, "limit": limit}
    with friendly_errors():
        items = api("GET", "/api/v1/alerts",
                    params={k: v for k, v in params.items() if v is not None})["items"]
    if as_json:
        print_json(items)
        return
    table = Table("id", "status", "service", "count", "summary", "silenced")
    for item in items:
        table.add_row(str(item["id"]), item["status"], item["service"] or "-",
                      str(item["count"]), item["summary"], item["silenced_by"] or "")
    out.print(table)


@app.command("show")
def show(alert_id: int) -> None:
    """Show one alert with its raw payload."""
    with friendly_errors():
        print_json(api("GET", f"/api/v1/alerts/{alert_id}"))
