"""`warroom serve` and `warroom db`: run the server, apply migrations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
import uvicorn

from warroom import logs
from warroom.api.app import create_app
from warroom.cli.common import err, friendly_errors, local_runtime, out
from warroom.services.principal import SYSTEM
from warroom.services.users import UserService
from warroom.settings import Settings
from warroom.store import db as dbmod

if TYPE_CHECKING:
    from warroom.runtime import Runtime

DB_APP_COMMAND = "db"

db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)


def _seed_examples(runtime: Runtime) -> list[str]:
    from warroom.evidence.example_data import seed_examples
    from warroom.services.incidents import IncidentService
    from warroom.store.incidents import IncidentFilter

    if IncidentService(runtime).count(SYSTEM, IncidentFilter(), cap=1):
        return []
    return seed_examples(runtime, SYSTEM, runtime.clock.now())


def serve(
    bind: str = typer.Option(None, help="host:port (default: WARROOM_BIND or 127.0.0.1:8080)"),
    example_data: bool = typer.Option(
        False, "--example-data", help="While the database holds no incidents, add a few "
        "realistic past ones (and a drill) so the dashboard and metrics have something to "
        "show. `make run` passes it."),
) -> None:
    """Migrate the database, load the config and serve the API and console."""
    with friendly_errors():
        overrides = {"bind": bind} if bind else {}
        settings = Settings.from_env(None, **overrides)
        logs.configure(settings.log_level)
        from warroom.runtime import build_runtime

        runtime = build_runtime(settings)
        runtime.secret_key  # noqa: B018  (generated and persisted on first start)
        from warroom.evidence.keys import load_or_create_signing_key

        load_or_create_signing_key(settings.data_dir)
        users = UserService(runtime)
        created = users.sync_from_config(SYSTEM)
        admin = users.bootstrap_admin(SYSTEM)
        examples = _seed_examples(runtime) if example_data else []
    url = settings.public_url
    database = runtime.engine.url.render_as_string(hide_password=True)
    out.print(f"[bold]warroom[/] serving [cyan]{url}[/] "
              f"({runtime.config.organisation.name}, database {database})")
    if created:
        out.print(f"created {len(created)} user(s) from config: {', '.join(created)}")
    if examples:
        out.print(f"added {len(examples)} example incidents ({examples[0]} to {examples[-1]}); "
                  "they say 'example data' in their resolution")
    if admin:
        name, password = admin
        out.print("[bold yellow]First start: an admin account was created.[/]")
        out.print(f"  Log in at {url}/ as [bold]{name}[/] with password [bold]{password}[/]")
        out.print("  This password is shown once. Change it with "
                  f"`warroom user password {name}`.")
        out.print(f"  For the API/CLI: warroom token create --user {name}")
    else:
        out.print(f"Log in at {url}/ with your account "
                  "(reset one with `warroom user password NAME`).")
    app = create_app(runtime)
    worker = None
    if settings.workers:
        from warroom.engine.worker import Worker

        worker = Worker(runtime)
        # Started once the process is warm (imports done, app built, about to listen): a
        # cold worker is slow, and what it claims waits for it, while other instances could
        # have sent it (bench/cluster.py, restart after a kill).
        app.router.add_event_handler("startup", worker.start)
    from warroom.web.broadcast import live_broadcaster
    from warroom.web.live_bridge import start_live_bridge

    # Other instances' changes reach this instance's live consoles (PostgreSQL only).
    bridge = start_live_bridge(runtime, live_broadcaster(runtime).publish)
    try:
        uvicorn.run(app, host=settings.host, port=settings.port, log_config=None,
                    access_log=False, server_header=False)
    finally:
        if bridge:
            bridge.stop()
        if worker:
            worker.stop()


def worker() -> None:
    """Run the engine (timers, outbox, periodic passes) without the web server."""
    import signal
    import threading

    from warroom.engine.worker import Worker

    with friendly_errors():
        settings = Settings.from_env()
        logs.configure(settings.log_level)
        from warroom.runtime import build_runtime

        runtime = build_runtime(settings)
    engine_worker = Worker(runtime)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    engine_worker.start()
    from warroom.web.live_bridge import start_live_bridge

    bridge = start_live_bridge(runtime, None)  # this process's changes reach the consoles
    out.print(f"warroom worker {engine_worker.name} running; Ctrl-C to stop")
    stop.wait()
    if bridge:
        bridge.stop()
    engine_worker.stop()


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply all pending migrations."""
    with friendly_errors():
        runtime = local_runtime(migrate=False)
        before, head = dbmod.migration_state(runtime.engine)
        dbmod.upgrade(runtime.engine)
    out.print(f"database at revision {head} (was {before or 'empty'})")


@db_app.command("status")
def status() -> None:
    """Show the current and the expected migration revision."""
    with friendly_errors():
        runtime = local_runtime(migrate=False)
        current, head = dbmod.migration_state(runtime.engine)
    typer.echo(f"current: {current or 'empty'}  expected: {head}")
    if current != head:
        err.print("run `warroom db upgrade`")
        raise typer.Exit(1)
