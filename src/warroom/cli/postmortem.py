"""`warroom postmortem`: show, edit, export (Markdown or HTML) and move a postmortem through
review, through the server's API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markdown import Markdown
from rich.markup import escape

from warroom.cli.common import api, friendly_errors, out, print_json
from warroom.cli.evidence import fetch_bytes

COMMAND = "postmortem"
app = typer.Typer(help="Postmortems: show, edit, export and review them.", no_args_is_help=True)
STATUSES = ("draft", "in_review", "published")


@app.command()
def show(
    ref: Annotated[str, typer.Argument(help="Incident, e.g. INC-2026-0042.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
    revisions: Annotated[bool, typer.Option("--revisions", help="List revisions.")] = False,
) -> None:
    """Print the current postmortem (rendered), or its revision history."""
    with friendly_errors():
        if revisions:
            found = api("GET", f"/api/v1/incidents/{ref}/postmortem/revisions")
            if as_json:
                print_json(found)
                return
            for rev in found["revisions"]:
                out.print(f"revision {rev['revision']}  {rev['at']}  by {escape(rev['author'])}")
            return
        pm = api("GET", f"/api/v1/incidents/{ref}/postmortem")
    if as_json:
        print_json(pm)
        return
    due = f", review due {pm['due_at']}" if pm.get("due_at") else ""
    out.print(f"[bold]{escape(pm['incident'])}[/] postmortem — {pm['status']}, revision "
              f"{pm['revision']} by {escape(pm['author'])}{due}", highlight=False)
    out.print(Markdown(pm["markdown"]))


@app.command()
def export(
    ref: Annotated[str, typer.Argument(help="Incident, e.g. INC-2026-0042.")],
    format: Annotated[str, typer.Option("--format", help="markdown or html.")] = "markdown",
    output: Annotated[Path | None, typer.Option(
        "--out", help="File to write (default: standard output).")] = None,
) -> None:
    """Export the postmortem as a Markdown or standalone HTML document."""
    if format not in ("markdown", "html"):
        raise typer.BadParameter("use markdown or html", param_hint="--format")
    content = fetch_bytes(f"/api/v1/incidents/{ref}/postmortem", {"format": format})
    if output is None:
        typer.echo(content.decode("utf-8"), nl=False)
    else:
        output.write_bytes(content)
        out.print(f"wrote {escape(str(output))}", highlight=False)


@app.command()
def edit(
    ref: Annotated[str, typer.Argument(help="Incident, e.g. INC-2026-0042.")],
    source: Annotated[Path, typer.Argument(help="Markdown file holding the whole postmortem.")],
) -> None:
    """Save a file as the postmortem's next revision."""
    try:
        markdown = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(f"cannot read {source}: {exc}") from exc
    with friendly_errors():
        pm = api("PUT", f"/api/v1/incidents/{ref}/postmortem", {"markdown": markdown})
    out.print(f"saved revision {pm['revision']} of {escape(pm['incident'])}'s postmortem",
              highlight=False)


@app.command()
def status(
    ref: Annotated[str, typer.Argument(help="Incident, e.g. INC-2026-0042.")],
    new_status: Annotated[str, typer.Argument(metavar="STATUS",
                                              help="draft, in_review or published.")],
) -> None:
    """Move the postmortem: draft → in_review → published (publishing needs commander)."""
    if new_status not in STATUSES:
        raise typer.BadParameter(f"use one of {', '.join(STATUSES)}", param_hint="STATUS")
    with friendly_errors():
        pm = api("POST", f"/api/v1/incidents/{ref}/postmortem/status", {"status": new_status})
    out.print(f"{escape(pm['incident'])} postmortem is now {pm['status']}", highlight=False)
