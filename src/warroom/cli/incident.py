"""`warroom incident ...`: a thin client of the API (WARROOM_URL, WARROOM_TOKEN)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from warroom.cli.common import api, fail, friendly_errors, out, print_json

COMMAND = "incident"

app = typer.Typer(help="Work incidents through the API (WARROOM_URL, WARROOM_TOKEN).",
                  no_args_is_help=True)
JSON = typer.Option(False, "--json", help="print JSON instead of a table")

SEVERITY_STYLE = {"P0": "bold white on red", "P1": "bold red", "P2": "yellow", "P3": "cyan"}


def _show(incident: dict[str, Any]) -> None:
    sev = incident["severity"]
    out.print(f"[{SEVERITY_STYLE.get(sev, 'bold')}] {sev} [/] [bold]{incident['human_id']}[/]"
              f" {incident['title']}", highlight=False)
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_row("status", incident["status"])
    table.add_row("type", incident["type"])
    table.add_row("visibility", incident["visibility"])
    table.add_row("services", ", ".join(incident["services"]) or "-")
    table.add_row("roles", ", ".join(f"{k}: {v}" for k, v in incident["roles"].items()) or "-")
    table.add_row("impact", incident["impact"] or "-")
    table.add_row("ack deadline", str(incident["ack_deadline"]) +
                  (" (breached)" if incident["ack_sla_breached"] else ""))
    for name, at in incident["milestones"].items():
        if at:
            table.add_row(name, at)
    out.print(table)


def _command(ref: str, path: str, body: dict[str, Any] | None, as_json: bool) -> None:
    with friendly_errors():
        result = api("POST", f"/api/v1/incidents/{ref}/{path}", body or {})
    if as_json:
        print_json(result)
    else:
        for event in result["events"]:
            out.print(f"[green]✓[/] {event['kind']} (#{event['seq']})")
        _show(result["incident"])


@app.command("declare")
def declare(title: str, severity: str = typer.Option(..., "--severity", "-s"),
            type: str = typer.Option("service_outage", "--type", "-t"),
            service: list[str] = typer.Option([], "--service"),
            impact: str = typer.Option(""), commander: str = typer.Option(None),
            as_json: bool = JSON) -> None:
    """Declare an incident."""
    body = {"title": title, "severity": severity, "type": type, "services": service,
            "impact": impact, "commander": commander}
    with friendly_errors():
        result = api("POST", "/api/v1/incidents", body)
    if as_json:
        print_json(result)
    else:
        _show(result["incident"])


@app.command("list")
def list_incidents(status: list[str] = typer.Option([], "--status"),
                   severity: list[str] = typer.Option([], "--severity"),
                   service: str = typer.Option(None), q: str = typer.Option(None, "--search"),
                   open_only: bool = typer.Option(False, "--open"),
                   limit: int = typer.Option(50), as_json: bool = JSON) -> None:
    """List incidents, newest first."""
    params: dict[str, Any] = {"status": status, "severity": severity, "limit": limit,
                              "open": open_only}
    if service:
        params["service"] = service
    if q:
        params["q"] = q
    with friendly_errors():
        result = api("GET", "/api/v1/incidents", params=params)
    if as_json:
        print_json(result)
        return
    table = Table("id", "sev", "status", "title", "services", "declared")
    for i in result["items"]:
        table.add_row(i["human_id"], f"[{SEVERITY_STYLE.get(i['severity'], '')}]"
                      f"{i['severity']}[/]", i["status"], i["title"], ", ".join(i["services"]),
                      i["milestones"]["declared"][:16].replace("T", " "))
    out.print(table)
    out.print(f"{len(result['items'])} of {result['count']}")


@app.command("show")
def show(ref: str, as_json: bool = JSON,
         timeline: bool = typer.Option(False, "--timeline", help="also print the timeline")
         ) -> None:
    """Show an incident (by INC-… id)."""
    with friendly_errors():
        incident = api("GET", f"/api/v1/incidents/{ref}")
        events = api("GET", f"/api/v1/incidents/{ref}/timeline")["events"] if timeline else []
    if as_json:
        print_json({"incident": incident, "events": events} if timeline else incident)
        return
    _show(incident)
    if timeline:
        table = Table("#", "time", "actor", "event", "detail")
        for e in events:
            detail = ", ".join(f"{k}={v}" for k, v in e["data"].items() if v not in ("", None))
            table.add_row(str(e["seq"]), e["at"][:19].replace("T", " "), e["actor"], e["kind"],
                          detail[:80])
        out.print(table)


@app.command("ack")
def ack(ref: str, as_json: bool = JSON) -> None:
    """Acknowledge."""
    _command(ref, "acknowledge", None, as_json)


@app.command("status")
def status(ref: str, new_status: str, note: str = typer.Option(""), as_json: bool = JSON
           ) -> None:
    """Change status (investigating, identified, mitigating, monitoring, resolved, closed)."""
    _command(ref, "status", {"status": new_status, "note": note}, as_json)


@app.command("severity")
def severity(ref: str, new_severity: str, reason: str = typer.Option(""),
             as_json: bool = JSON) -> None:
    """Change severity."""
    _command(ref, "severity", {"severity": new_severity, "reason": reason}, as_json)


@app.command("assign")
def assign(ref: str, role: str, user: str = typer.Argument(None, help="omit to unassign"),
           as_json: bool = JSON) -> None:
    """Assign a role (commander, tech_lead, comms_lead, scribe, security_lead, ...)."""
    _command(ref, "roles", {"role": role, "user": user}, as_json)


@app.command("note")
def note(ref: str, text: str, as_json: bool = JSON) -> None:
    """Add a note to the timeline."""
    _command(ref, "notes", {"text": text}, as_json)


@app.command("resolve")
def resolve(ref: str, summary: str = typer.Option(""), as_json: bool = JSON) -> None:
    """Resolve."""
    _command(ref, "resolve", {"summary": summary}, as_json)


@app.command("publish")
def publish(ref: str,
            title: str = typer.Option(..., "--title", help="the public title"),
            component: list[str] = typer.Option(
                ..., "--component", "-c", help="SERVICE=STATUS, e.g. web=partial_outage "
                "(operational, degraded_performance, partial_outage, major_outage); repeat"),
            impact: str = typer.Option(..., "--impact", help="none, minor, major, critical"),
            body: str = typer.Option("", "--body", help="the first public update's text"),
            as_json: bool = JSON) -> None:
    """Publish an incident to the status page (nothing is public before this)."""
    components: dict[str, str] = {}
    for item in component:
        name, sep, status = item.partition("=")
        if not sep or not name or not status:
            fail(f"--component {item!r}: write SERVICE=STATUS, e.g. web=partial_outage")
        components[name.strip()] = status.strip()
    _command(ref, "publish", {"title": title, "components": components, "impact": impact,
                              "body": body}, as_json)


@app.command("verify")
def verify(ref: str, as_json: bool = JSON) -> None:
    """Recompute the hash chain; exit 1 naming the first broken event."""
    with friendly_errors():
        result = api("GET", f"/api/v1/incidents/{ref}/verify")
    if as_json:
        print_json(result)
    if result["intact"]:
        if not as_json:
            out.print(f"[green]✓ chain intact[/]: {result['incident']}, {result['events']} "
                      f"events, head {result['head_hash'][:16]}…")
        return
    brk = result["first_break"]
    fail(f"chain broken at event #{brk['seq']}: {brk['reason']}")
