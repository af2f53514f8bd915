"""`warroom audit`: read and verify the admin/config audit chain (local database)."""

from __future__ import annotations

import typer
from rich.table import Table

from warroom.cli.common import fail, friendly_errors, local_runtime, out
from warroom.domain.events import verify_chain
from warroom.store import db
from warroom.store.audit import AUDIT_CHAIN, load_audit

COMMAND = "audit"
app = typer.Typer(help="The hash-chained audit trail of admin changes (users, tokens).",
                  no_args_is_help=True)


@app.command("list")
def list_events(limit: int = typer.Option(50, help="show the newest N entries")) -> None:
    """Show the newest audit entries."""
    with friendly_errors():
        runtime = local_runtime()
        with db.read(runtime.engine) as conn:
            events = load_audit(conn)
    table = Table("#", "time", "actor", "change", "detail")
    for e in events[-limit:]:
        table.add_row(str(e.seq), e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.kind,
                      ", ".join(f"{k}={v}" for k, v in e.data.items()))
    out.print(table)


@app.command("verify")
def verify() -> None:
    """Recompute the audit chain; exit 1 naming the first broken entry."""
    with friendly_errors():
        runtime = local_runtime()
        with db.read(runtime.engine) as conn:
            events = load_audit(conn)
    broken = verify_chain(events, chain=AUDIT_CHAIN)
    if broken:
        fail(f"audit chain broken at {broken}")
    head = events[-1].hash[:16] + "…" if events else "empty"
    out.print(f"[green]✓ audit chain intact[/]: {len(events)} entries, head {head}")
