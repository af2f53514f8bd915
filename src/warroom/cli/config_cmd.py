"""`warroom config check|schema`."""

from __future__ import annotations

from pathlib import Path

import typer

from warroom.cli.common import friendly_errors, out
from warroom.config.loader import json_schema, load_config
from warroom.settings import Settings

COMMAND = "config"

app = typer.Typer(help="Validate the organisation config or print its JSON Schema.",
                  no_args_is_help=True)


@app.command("check")
def check(path: Path = typer.Argument(None, help="file or directory (default: "
                                      "WARROOM_CONFIG)")) -> None:
    """Validate the config; errors name the file and line."""
    target = path or Settings.from_env().config
    with friendly_errors():
        loaded = load_config(target or None)
    cfg = loaded.config
    out.print(f"[green]ok[/] {target or '(built-in defaults)'}: {len(cfg.severities)} "
              f"severities, {len(cfg.services)} services, {len(cfg.teams)} teams, "
              f"{len(cfg.users)} users")


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of the organisation config."""
    typer.echo(json_schema())


@app.command("settings")
def settings_table() -> None:
    """Print the table of WARROOM_* settings (as in docs/configuration.md)."""
    from warroom.settings import settings_markdown

    typer.echo(settings_markdown())
