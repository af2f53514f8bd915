"""`warroom report`: MTTD, MTTA, MTTM and MTTR per severity, service, team and period as
Rich tables, from the server's API or straight from the local database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from warroom.cli.common import api, friendly_errors, local_runtime, out, print_json
from warroom.clock import SystemClock, isoformat
from warroom.evidence.metrics import (
    AckSla,
    GroupMetrics,
    MetricsReport,
    Period,
    Stat,
    metrics_markdown,
    metrics_tables,
)
from warroom.services.principal import SYSTEM

COMMAND = "report"
app = typer.Typer(help="Incident metrics (drills excluded).", invoke_without_command=True)


def _group(data: dict[str, object]) -> GroupMetrics:
    def stat(key: str) -> Stat:
        raw = data[key]
        assert isinstance(raw, dict)
        return Stat(int(raw["count"]), raw["median"], raw["p90"])

    sla = data["ack_sla"]
    assert isinstance(sla, dict)
    return GroupMetrics(key=str(data["key"]), incidents=int(str(data["incidents"])),
                        open=int(str(data["open"])), mttd=stat("mttd"), mtta=stat("mtta"),
                        mttm=stat("mttm"), mttr=stat("mttr"),
                        ack_sla=AckSla(int(sla["met"]), int(sla["breached"]),
                                       int(sla["pending"])))


def report_from_json(body: dict[str, object]) -> MetricsReport:
    """The API's JSON back into a MetricsReport, so both sources print the same tables."""
    def groups(key: str) -> list[GroupMetrics]:
        items = body[key]
        assert isinstance(items, list)
        return [_group(g) for g in items]

    overall = body["overall"]
    assert isinstance(overall, dict)
    period: Period = "week" if body["period"] == "week" else "month"
    return MetricsReport(overall=_group(overall), by_severity=groups("by_severity"),
                         by_service=groups("by_service"), by_team=groups("by_team"),
                         by_period=groups("by_period"), period=period,
                         drills_excluded=int(str(body["drills_excluded"])))


def _utc(instant: datetime) -> datetime:
    """Typer parses dates without a zone; warroom reads those as UTC."""
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant


@app.callback()
def report(
    ctx: typer.Context,
    period: Annotated[str, typer.Option(help="Group periods by month or week.")] = "month",
    since: Annotated[datetime | None, typer.Option(
        help="Only incidents started at or after this instant/date.")] = None,
    days: Annotated[int | None, typer.Option(
        help="Only incidents started in the last N days.")] = None,
    local: Annotated[bool, typer.Option(
        "--local", help="Read the local database (WARROOM_DATABASE_URL) instead of the "
                        "server.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print Markdown tables.")]
    = False,
) -> None:
    """Print MTTx medians / p90 and ack-SLA compliance by severity, service, team and period."""
    if ctx.invoked_subcommand is not None:
        return
    with friendly_errors():
        if local:
            from warroom.evidence.reporting import metrics_report, report_json

            runtime = local_runtime()
            start = _utc(since) if since else None
            if days is not None:
                start = runtime.clock.now() - timedelta(days=days)
            result = metrics_report(runtime, SYSTEM, period, start)
            body = report_json(result, start, None)
            runtime.engine.dispose()
        else:
            params: dict[str, str] = {"period": period}
            if since:
                params["since"] = isoformat(_utc(since))
            if days is not None:
                params["since"] = isoformat(SystemClock().now() - timedelta(days=days))
            body = api("GET", "/api/v1/reports/metrics", params=params)
            result = report_from_json(body)
    if as_json:
        print_json(body)
    elif markdown:
        out.print(metrics_markdown(result), highlight=False, markup=False)
    else:
        out.print(f"Drills excluded: {result.drills_excluded}. Durations run from each "
                  "incident's start; p90 is nearest-rank.", highlight=False)
        for table in metrics_tables(result):
            out.print(table)


@app.command("seed-example")
def seed_example(
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Add a handful of realistic past incidents (and one drill) to the local database, so
    `warroom report --local` has something to show."""
    from warroom.evidence.example_data import EXAMPLE_INCIDENTS, seed_examples

    if not yes:
        typer.confirm(f"Add {len(EXAMPLE_INCIDENTS)} example incidents to the local "
                      "database?", abort=True)
    with friendly_errors():
        runtime = local_runtime()
        ids = seed_examples(runtime, SYSTEM, runtime.clock.now())
        runtime.engine.dispose()
    out.print(f"added {', '.join(ids)}; now run `warroom report --local`", highlight=False)
