"""`warroom evidence`: export signed packs, verify them offline, print the signing key,
archive old packs."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.markup import escape

from warroom.cli.common import api_url, friendly_errors, local_runtime
from warroom.clock import SystemClock
from warroom.config.loader import ConfigError, load_config
from warroom.evidence.durations import DurationError, parse_duration
from warroom.evidence.keys import (
    SigningKeyError,
    key_id,
    load_or_create_signing_key,
    load_public_key,
    public_key_base64,
    public_key_pem,
)
from warroom.evidence.pack import PackError, pack_kind, write_pack
from warroom.evidence.retention import archive_old_packs, retention_markdown
from warroom.evidence.verify import PackReadError, read_pack, verify_pack
from warroom.services.principal import SYSTEM
from warroom.settings import Settings

COMMAND = "evidence"
app = typer.Typer(help="Evidence packs: export and verify them, print the signing key, "
                       "archive old packs.", no_args_is_help=True)
DEFAULT_RETENTION = "90d"

MAX_LISTED_PROBLEMS = 20


def _out() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


@app.command()
def verify(
    path: Annotated[Path, typer.Argument(help="Pack folder, .tar.gz or .zip.")],
    pubkey: Annotated[Path | None, typer.Option(
        "--pubkey", help="The server's public key (PEM or base64), from `warroom evidence "
                         "pubkey`. Without it only the pack's own embedded key is checked.",
    )] = None,
) -> None:
    """Check the signature, every file's hash and the event chain; exit 1 on the first problem."""
    trusted = None
    if pubkey is not None:
        try:
            trusted = load_public_key(pubkey)
        except SigningKeyError as exc:
            _err().print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from exc
    report = verify_pack(path, trusted)
    if not report.ok:
        err = _err()
        err.print(f"[red]✗ {escape(str(path))}: verification FAILED[/red]")
        err.print(f"[red]first problem:[/red] {escape(report.problem or '')}")
        rest = report.problems[1:]
        if rest:
            err.print("further problems:")
            for problem in rest[:MAX_LISTED_PROBLEMS]:
                err.print(f"  - {escape(problem)}")
            if len(rest) > MAX_LISTED_PROBLEMS:
                err.print(f"  … and {len(rest) - MAX_LISTED_PROBLEMS} more")
        raise typer.Exit(1)
    out = _out()
    out.print(f"[green]✓ {escape(report.summary())}[/green]")
    if not report.trusted:
        out.print("[yellow]warning:[/yellow] no --pubkey given, so this proves the pack is "
                  "intact, not which server signed it.")


@app.command()
def pubkey(
    data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", help="The server's data directory (default: WARROOM_DATA_DIR).")] = None,
    raw: Annotated[bool, typer.Option(
        "--raw", help="Print the 32-byte key in base64 instead of PEM.")] = False,
) -> None:
    """Print the public half of the server's evidence-signing key (its id goes to stderr)."""
    directory = data_dir if data_dir is not None else Settings.from_env().data_dir
    try:
        # The server creates its key on first start; creating it here too means the key can
        # be published before the first pack is exported.
        key = load_or_create_signing_key(directory).public_key()
    except SigningKeyError as exc:
        _err().print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    typer.echo(public_key_base64(key) if raw else public_key_pem(key), nl=raw)
    _err().print(f"key id {key_id(key)}")


def _evidence_config() -> dict[str, object]:
    """The `evidence` section of the organisation config (WARROOM_CONFIG), or {}."""
    try:
        return dict(load_config(Settings.from_env().config or None).config.evidence)
    except ConfigError as exc:
        for line in exc.problems:
            _err().print(f"[red]config:[/red] {escape(line)}")
        raise typer.Exit(2) from exc


@app.command()
def archive(
    packs_dir: Annotated[Path | None, typer.Argument(
        help="Directory holding exported packs (default: config evidence.packs_dir).")] = None,
    to: Annotated[Path | None, typer.Option(
        "--to", help="Archive directory (default: config evidence.archive_dir).")] = None,
    older_than: Annotated[str | None, typer.Option(
        "--older-than", help="Retention period, e.g. 90d (default: config "
                             "evidence.retention, else 90d).")] = None,
    report: Annotated[Path | None, typer.Option(
        "--report", help="Also write the retention report (Markdown) to this file.")] = None,
) -> None:
    """Move packs generated longer ago than the retention period, and report what moved."""
    config = _evidence_config() if None in (packs_dir, to, older_than) else {}
    source = packs_dir or (Path(str(config["packs_dir"])) if config.get("packs_dir") else None)
    target = to or (Path(str(config["archive_dir"])) if config.get("archive_dir") else None)
    if source is None or target is None:
        missing = "PACKS_DIR" if source is None else "--to"
        key = "packs_dir" if source is None else "archive_dir"
        _err().print(f"[red]error:[/red] give {missing}, or set evidence.{key} in the "
                     "organisation config (WARROOM_CONFIG)")
        raise typer.Exit(2)
    period_text = older_than or str(config.get("retention") or DEFAULT_RETENTION)
    try:
        period = parse_duration(period_text)
        result = archive_old_packs(source, target, period, SystemClock())
    except (DurationError, PackReadError) as exc:
        _err().print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    text = retention_markdown(result)
    if report is not None:
        report.write_text(text, encoding="utf-8")
    typer.echo(text)


def fetch_bytes(path: str, params: dict[str, str] | None = None) -> bytes:
    """GET a document (archive, Markdown, HTML) from the server as `warroom` CLIs do:
    WARROOM_URL + WARROOM_TOKEN; errors exit 1 with the server's problem detail."""
    token = os.environ.get("WARROOM_TOKEN", "")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with httpx.Client(base_url=api_url(), headers=headers, timeout=120) as client, \
                client.stream("GET", path, params=params) as resp:
            if resp.status_code >= 400:
                resp.read()
                try:
                    detail = resp.json().get("detail") or resp.text
                except ValueError:
                    detail = resp.text[:500]
                hint = " (set WARROOM_TOKEN to an API token)" if resp.status_code == 401 else ""
                _err().print(f"[red]error:[/red] {resp.status_code}: "
                             f"{escape(str(detail))}{hint}")
                raise typer.Exit(1)
            return b"".join(resp.iter_bytes())
    except httpx.ConnectError as exc:
        _err().print(f"[red]error:[/red] cannot reach the warroom server at {api_url()} "
                     f"({escape(str(exc))}); is `warroom serve` running?")
        raise typer.Exit(1) from exc


@app.command()
def export(
    ref: Annotated[str, typer.Argument(help="Incident, e.g. INC-2026-0042.")],
    out: Annotated[Path, typer.Option(
        "--out", help="Where to write: a folder, or a file ending .tar.gz or .zip.")],
    via_api: Annotated[bool, typer.Option(
        "--api", help="Download from the server (WARROOM_URL, WARROOM_TOKEN) instead of "
                      "reading the local database and data directory.")] = False,
) -> None:
    """Write the signed evidence pack of one incident (see docs/evidence.md)."""
    try:
        if via_api:
            kind = pack_kind(out)
            archive_bytes = fetch_bytes(f"/api/v1/incidents/{ref}/evidence",
                                        {"format": "zip" if kind == "folder" else kind})
            if kind == "folder":
                with tempfile.TemporaryDirectory() as tmp:
                    staged = Path(tmp) / "pack.zip"
                    staged.write_bytes(archive_bytes)
                    write_pack(read_pack(staged).files, out)
            else:
                if out.exists():
                    raise PackError(f"{out} already exists — choose another --out path or "
                                    "move it away")
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(archive_bytes)
        else:
            from warroom.evidence.export import export_files

            with friendly_errors():
                runtime = local_runtime()
                try:
                    files = export_files(runtime, SYSTEM, ref)
                finally:
                    runtime.engine.dispose()
            write_pack(files, out)
    except (PackError, PackReadError, SigningKeyError) as exc:
        _err().print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    _out().print(f"[green]✓[/green] wrote {escape(str(out))}; check it with "
                 f"`warroom evidence verify {escape(str(out))}`")
