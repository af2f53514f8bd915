"""`warroom notifications ...`: the outbox, dead letters and manual retries (admin)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from warroom.cli.common import api, friendly_errors, out, print_json

COMMAND = "notifications"

app = typer.Typer(help="The notification outbox through the API (admin token).",
                  no_args_is_help=True)


@app.command("list")
def list_rows(status: str = typer.Option(None, "--status", help="pending, sending, sent, "
                                         "failed or dead"),
              limit: int = typer.Option(50), as_json: bool = typer.Option(False, "--json")
              ) -> None:
    """Outbox rows, newest first."""
    params: dict[str, Any] = {"limit": limit} | ({"status": status} if status else {})
    with friendly_errors():
        result: dict[str, Any] = api("GET", "/api/v1/notifications", params=params)
    if as_json:
        print_json(result)
        return
    table = Table("id", "status", "channel", "destination", "kind", "attempts", "last error",
                  "subject")
    for row in result["items"]:
        table.add_row(str(row["id"]), row["status"], row["channel"], row["destination"] or "-",
                      row["kind"], str(row["attempts"]), row["last_error"] or "-",
                      row["subject"] or "")
    out.print(table)
    out.print(", ".join(f"{k}: {v}" for k, v in sorted(result["depth"].items())) or "empty")


@app.command("retry")
def retry(row_id: int) -> None:
    """Send a dead-lettered notification again."""
    with friendly_errors():
        api("POST", f"/api/v1/notifications/{row_id}/retry")
    out.print(f"[green]✓[/] notification {row_id} is pending again")
