"""The `warroom` command. Command groups are modules in this package that define `app` and
`COMMAND` (the group's name); they are mounted here in name order."""

from __future__ import annotations

import importlib
import pkgutil

import typer

import warroom.cli
from warroom.cli import serve

app = typer.Typer(name="warroom", help="Self-hosted incident response.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
app.command("serve")(serve.serve)
app.command("worker")(serve.worker)


def _mount() -> None:
    for info in sorted(pkgutil.iter_modules(warroom.cli.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"warroom.cli.{info.name}")
        for name in ("app", "user_app", "token_app", "db_app"):
            group = getattr(module, name, None)
            command = getattr(module, f"{name.upper()}_COMMAND", None) or (
                getattr(module, "COMMAND", None) if name == "app" else None)
            if isinstance(group, typer.Typer) and command:
                app.add_typer(group, name=command)


_mount()


def main() -> None:
    app()
