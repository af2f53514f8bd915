"""Shared CLI plumbing: error messages instead of tracebacks, the local runtime, the API client."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import httpx
import typer
from rich.console import Console
from rich.markup import escape

from warroom.config.loader import ConfigError
from warroom.domain.errors import DomainError
from warroom.runtime import Runtime, build_runtime
from warroom.settings import Settings, SettingsError

out = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    # Never wrapped (a file path must stay one piece to be pasted), never read as markup.
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True,
              soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn expected failures into one clear line and a non-zero exit."""
    try:
        yield
    except ConfigError as exc:
        for line in exc.problems:
            err.print(f"[red]config:[/] {line}", highlight=False)
        raise typer.Exit(2) from exc
    except (DomainError, SettingsError) as exc:
        fail(str(exc))
    except httpx.ConnectError as exc:
        fail(f"cannot reach the warroom server at {api_url()} ({exc}); is `warroom serve` "
             "running? Set WARROOM_URL to point elsewhere.")


def local_runtime(migrate: bool = True) -> Runtime:
    return build_runtime(Settings.from_env(), migrate=migrate)


def api_url() -> str:
    return os.environ.get("WARROOM_URL", "http://127.0.0.1:8080").rstrip("/")


def api(method: str, path: str, body: Any = None, params: Any = None) -> Any:
    """Call the server as `gh` or `kubectl` do: WARROOM_URL + WARROOM_TOKEN."""
    token = os.environ.get("WARROOM_TOKEN", "")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(base_url=api_url(), headers=headers, timeout=30) as client:
        resp = client.request(method, path, json=body, params=params)
    if resp.status_code >= 400:
        try:
            problem = resp.json()
            detail = problem.get("detail") or problem.get("title") or resp.text
        except (json.JSONDecodeError, AttributeError):
            detail = resp.text[:500]
        hint = " (set WARROOM_TOKEN to an API token)" if resp.status_code == 401 else ""
        fail(f"{resp.status_code}: {detail}{hint}")
    return resp.json() if resp.content else None


def print_json(value: Any) -> None:
    out.print_json(json.dumps(value))
