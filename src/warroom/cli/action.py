"""`warroom action`: list, create and update action items through the server's API."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from warroom.cli.common import api, friendly_errors, out, print_json

COMMAND = "action"
app = typer.Typer(help="Action items: the follow-ups of incidents.", no_args_is_help=True)


def _table(items: list[dict[str, Any]]) -> Table:
    table = Table(title="Action items", title_justify="left")
    for column in ("#", "Incident", "Title", "Owner", "Due", "Priority", "Status"):
        table.add_column(column)
    for item in items:
        status = item["status"] + (" [red](overdue)[/]" if item.get("overdue") else "")
        table.add_row(str(item["id"]), item["incident"], escape(item["title"]),
                      escape(item["owner"] or "—"), (item["due_at"] or "—")[:10],
                      item["priority"], status)
    return table


@app.command("list")
def list_items(
    ref: Annotated[str | None, typer.Argument(help="Only this incident's items.")] = None,
    status: Annotated[str | None, typer.Option(help="open, in_progress, done or wontfix.")]
    = None,
    owner: Annotated[str | None, typer.Option(help="Only items owned by this user.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
) -> None:
    """List action items (overdue ones are marked)."""
    with friendly_errors():
        if ref:
            items = api("GET", f"/api/v1/incidents/{ref}/action-items")["items"]
            items = [i for i in items if (not status or i["status"] == status)
                     and (not owner or i["owner"] == owner)]
        else:
            params = {k: v for k, v in (("status", status), ("owner", owner)) if v}
            items = api("GET", "/api/v1/action-items", params=params)["items"]
    if as_json:
        print_json(items)
    else:
        out.print(_table(items))


@app.command()
def create(
    ref: Annotated[str, typer.Argument(help="Incident, e.g. INC-2026-0042.")],
    title: Annotated[str | None, typer.Argument(help="What must be done.")] = None,
    owner: Annotated[str | None, typer.Option(help="Who owns it.")] = None,
    due: Annotated[str | None, typer.Option(help="YYYY-MM-DD or an ISO instant.")] = None,
    priority: Annotated[str, typer.Option(help="P0, P1, P2 or P3.")] = "P2",
    from_postmortem: Annotated[bool, typer.Option(
        "--from-postmortem", help="Create one item per line of the postmortem's Action "
                                  "Items list instead.")] = False,
) -> None:
    """Create an action item, or all of those listed in the postmortem."""
    with friendly_errors():
        if from_postmortem:
            items = api("POST", f"/api/v1/incidents/{ref}/action-items/from-postmortem")["items"]
            out.print(_table(items))
            return
        if not title:
            raise typer.BadParameter("give a TITLE, or --from-postmortem")
        body = {k: v for k, v in (("title", title), ("owner", owner), ("due_at", due),
                                  ("priority", priority)) if v}
        item = api("POST", f"/api/v1/incidents/{ref}/action-items", body)
    out.print(f"created action item #{item['id']} on {item['incident']}", highlight=False)


@app.command()
def update(
    item_id: Annotated[int, typer.Argument(metavar="ID", help="The item's number.")],
    status: Annotated[str | None, typer.Option(help="open, in_progress, done or wontfix.")]
    = None,
    owner: Annotated[str | None, typer.Option(help="New owner.")] = None,
    due: Annotated[str | None, typer.Option(help="New due date.")] = None,
    priority: Annotated[str | None, typer.Option(help="New priority.")] = None,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Link in the external tracker.")]
    = None,
) -> None:
    """Change an action item's fields."""
    body = {k: v for k, v in (("status", status), ("owner", owner), ("due_at", due),
                              ("priority", priority), ("title", title),
                              ("external_url", url)) if v is not None}
    if not body:
        raise typer.BadParameter("nothing to change; give --status, --owner, --due, "
                                 "--priority, --title or --url")
    with friendly_errors():
        item = api("PATCH", f"/api/v1/action-items/{item_id}", body)
    out.print(f"action item #{item['id']}: {item['status']}, owner "
              f"{item['owner'] or 'unassigned'}, due {item['due_at'] or 'none'}",
              highlight=False)
