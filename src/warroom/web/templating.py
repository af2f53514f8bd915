"""The console's Jinja2 environment (autoescaped) and the context every page shares."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from warroom.api.deps import SESSION_COOKIE, csrf_token, services
from warroom.clock import isoformat, parse_instant, utc
from warroom.domain.severity import SeverityScheme
from warroom.services.principal import Principal

WEB = Path(__file__).parent
TEMPLATE_DIRS = [WEB / "templates", WEB.parent / "status" / "templates"]

env = Environment(loader=FileSystemLoader([str(d) for d in TEMPLATE_DIRS]),
                  autoescape=select_autoescape(default=True, default_for_string=True),
                  trim_blocks=True, lstrip_blocks=True)


def _instant(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    return utc(value) if isinstance(value, datetime) else parse_instant(value)


def when(value: datetime | str | None) -> str:
    """'2026-01-05 09:00 UTC': minutes are what responders read; seconds are in the title."""
    at = _instant(value)
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "—"


def iso(value: datetime | str | None) -> str:
    at = _instant(value)
    return isoformat(at) if at else ""


def span(seconds: float | timedelta | None) -> str:
    """A compact duration: 45s, 12m, 3h 05m, 2d 4h."""
    if seconds is None:
        return "—"
    total = int(seconds.total_seconds() if isinstance(seconds, timedelta) else seconds)
    sign, total = ("-", -total) if total < 0 else ("", total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m"
    return f"{sign}{secs}s"


def label(value: str) -> str:
    """service_outage -> Service outage."""
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


env.filters.update(when=when, iso=iso, span=span, label=label)


def severity_info(scheme: SeverityScheme, key: str) -> dict[str, Any]:
    """Key, name and a colour rank (0 = most severe; capped so any scheme gets colours)."""
    level = scheme.get(key)
    rank = scheme.rank(key) if level else len(scheme.levels)
    return {"key": key, "name": level.name if level else key, "rank": min(rank, 4),
            "description": level.description if level else ""}


# Post/redirect/get: an action redirects with `?done=<key>`, and the page says what happened.
# Only these fixed sentences are shown, so a crafted link cannot put words on the page.
FLASHES = {
    "acknowledged": "Acknowledged. Paging has stopped.", "status": "Status changed.",
    "severity": "Severity changed.", "role": "Role updated.", "note": "Note added.",
    "resolved": "Resolved.", "reopened": "Reopened.", "published":
    "Published to the status page.", "update": "Status update posted.",
    "escalated": "Escalated to the next step.", "attached": "Runbook attached.",
    "run_started": "Run started.", "step_run": "Step run.", "step_retry": "Step run again.",
    "step_done": "Step marked done.", "step_skip": "Step skipped.",
    "step_approval": "Approval requested.", "approved": "Approved.", "denied": "Denied.",
    "declared": "Incident declared.", "assigned": "Assigned to you.",
}


def page_context(request: Request, who: Principal | None) -> dict[str, Any]:
    svc = services(request)
    runtime = svc.runtime
    session = request.cookies.get(SESSION_COOKIE, "")
    scheme = runtime.vocab.scheme
    return {
        "request": request, "user": who, "org": runtime.config.organisation,
        "csrf": csrf_token(runtime, session) if session and who else "",
        "now": runtime.clock.now(), "path": request.url.path,
        "flash": FLASHES.get(request.query_params.get("done", "")),
        "sev": lambda key: severity_info(scheme, key),
        "severities": [severity_info(scheme, lvl.key) for lvl in scheme.levels],
    }


def render(request: Request, template: str, context: dict[str, Any],
           who: Principal | None = None, status_code: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    merged = {**page_context(request, who), **context}
    html = env.get_template(template).render(merged)
    return HTMLResponse(html, status_code=status_code, headers=headers)
