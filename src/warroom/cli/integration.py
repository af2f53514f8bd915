"""`warroom integration list|create`: intake integrations, their keys and URLs (admin)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from warroom.cli.common import api, friendly_errors, out, print_json

COMMAND = "integration"

app = typer.Typer(help="Intake integrations: keys and ready-to-paste URLs (admin token).",
                  no_args_is_help=True)
JSON = typer.Option(False, "--json", help="print JSON instead of a table")


@app.command("list")
def list_(as_json: bool = JSON) -> None:
    """List integrations with their keys and intake URLs."""
    with friendly_errors():
        items = api("GET", "/api/v1/integrations")["items"]
    if as_json:
        print_json(items)
        return
    table = Table("name", "kind", "service", "key", "url")
    for item in items:
        url = item["url"]
        if item.get("prometheus_alerting"):
            url = "prometheus.yml: see the alerting block below"
        table.add_row(item["name"], item["kind"], item["service"] or "-", item["key"], url)
    out.print(table)
    for item in items:
        _print_alerting(item)


def _print_alerting(item: dict[str, Any]) -> None:
    """Prometheus integrations get the block to paste, not a URL: a URL ending in
    /api/v2/alerts pasted as `path_prefix` would make Prometheus post to it twice over."""
    block = item.get("prometheus_alerting")
    if not block:
        return
    out.print(f"\n[bold]{item['name']}[/]: paste into prometheus.yml "
              "(Prometheus appends /api/v2/alerts itself):")
    out.print(block.rstrip("\n"), markup=False, highlight=False, soft_wrap=True)


@app.command("create")
def create(name: str, kind: str = typer.Option(..., "--kind", "-k",
                                               help="alertmanager, prometheus, pagerduty, "
                                               "generic or heartbeat"),
           service: str = typer.Option(None, "--service"),
           rate_limit: float = typer.Option(None, "--rate-limit", help="requests per second"),
           interval: str = typer.Option(None, "--interval", help="heartbeats: e.g. 10m"),
           as_json: bool = JSON) -> None:
    """Create an integration; its key is generated and shown with the intake URL."""
    body = {"name": name, "kind": kind, "service": service, "rate_limit": rate_limit,
            "interval": interval}
    with friendly_errors():
        created = api("POST", "/api/v1/integrations",
                      {k: v for k, v in body.items() if v is not None})
    if as_json:
        print_json(created)
        return
    out.print(f"[green]✓[/] integration [bold]{created['name']}[/] ({created['kind']})")
    out.print(f"  key: {created['key']}")
    if created.get("prometheus_alerting"):
        _print_alerting(created)
    else:
        out.print(f"  url: {created['url']}")
