"""`warroom rules explain`: the route, rules and map that give an alert its severity (API)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from warroom.cli.common import api, fail, friendly_errors, out, print_json

COMMAND = "rules"

app = typer.Typer(help="Routing and triage rules (WARROOM_URL, WARROOM_TOKEN).",
                  no_args_is_help=True)


def _pairs(option: str, items: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            fail(f"{option} takes name=value, got {item!r}")
        found[name.strip()] = value
    return found


def _read(path: Path) -> dict[str, Any]:
    name = "<stdin>" if str(path) == "-" else str(path)
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text()
    except OSError as exc:
        fail(f"{name}: cannot read: {exc.strerror}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{name}:{exc.lineno}: not JSON: {exc.msg}")
    if not isinstance(data, dict):
        fail(f"{name}:1: expected an object with labels, annotations, values, summary")
    return data


@app.command("explain")
def explain(alert: Path = typer.Argument(None, help="JSON alert (labels, annotations, values, "
                                         "summary, severity, service); - reads stdin"),
            label: list[str] = typer.Option([], "--label", "-l", help="name=value"),
            annotation: list[str] = typer.Option([], "--annotation", "-a", help="name=value"),
            summary: str = typer.Option(None, "--summary"),
            service: str = typer.Option(None, "--service",
                                        help="the integration's default service"),
            as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Show which route, rule and severity map decide an alert's severity."""
    body = _read(alert) if alert is not None else {}
    body["labels"] = {**body.get("labels", {}), **_pairs("--label", label)}
    body["annotations"] = {**body.get("annotations", {}), **_pairs("--annotation", annotation)}
    if summary is not None:
        body["summary"] = summary
    if service is not None:
        body["service"] = service
    with friendly_errors():
        found = api("POST", "/api/v1/rules/explain", body)
    if as_json:
        print_json(found)
        return
    out.print(f"severity  {found['severity']}: {found['reason']}")
    out.print(f"route     {found['route']} (service {found['service'] or '-'}; maps to "
              f"{found['route_severity'] or 'nothing'}"
              f"{' by its ' + found['route_severity_source'] if found['route_severity'] else ''})")
    out.print(f"rules     {', '.join(found['matched_rules']) or 'none matched'}")
    if found["values"]:
        out.print("values    " + ", ".join(f"{k}={v}" for k, v in found["values"].items()))
    if found["suppressed_by"]:
        out.print(f"[yellow]suppressed[/] by {found['suppressed_by']}: no incident")
    elif not found["declares"]:
        out.print("[yellow]no rule declares[/]: the alert is stored without an incident")
    for error in found["errors"]:
        out.print(f"[red]rule error[/] {error}")
