"""Runbook pages: browse the registry, read one runbook as a checklist with its lint
findings, and its recent runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from warroom.api.deps import Services, services
from warroom.api.routers import runbooks as runbooks_api
from warroom.api.routers import runs as runs_api
from warroom.web.session import PageUser
from warroom.web.templating import render

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services)]


@router.get("/runbooks")
def runbook_list(request: Request, svc: Svc, who: PageUser, q: str = "") -> Response:
    found = runbooks_api.list_runbooks(svc, who, tag=None, q=q.strip() or None)
    return render(request, "runbooks.html", {
        "listing": found, "q": q,
        "twin": "/api/v1/runbooks" + (f"?{urlencode({'q': q})}" if q.strip() else "")}, who)


@router.get("/runbooks/{runbook_id}")
def runbook_page(request: Request, runbook_id: str, svc: Svc, who: PageUser) -> Response:
    rb = runbooks_api.get_runbook(runbook_id, svc, who)
    history = runs_api.list_runs(svc, who, runbook=runbook_id, incident=None, limit=20)
    steps = rb["definition"].get("steps", [])
    return render(request, "runbook.html", {
        "rb": rb, "steps": steps, "runs": history["items"],
        "source": rb["source_document"],
        "step_titles": {st["id"]: st["title"] for st in steps},
        "step_numbers": {st["id"]: n for n, st in enumerate(steps, 1)},
        "source_blocks": source_blocks(rb["source_document"], rb["step_sources"]),
        "twin": f"/api/v1/runbooks/{runbook_id}"}, who)


@dataclass
class SourceBlock:
    """Consecutive source lines made into the same steps (none: not in any step).
    `starts` is the step whose lines begin here: the block is its anchor."""

    steps: list[str]
    starts: str | None
    shade: int
    lines: list[dict[str, Any]] = field(default_factory=list)


def source_blocks(document: dict[str, Any] | None,
                  step_sources: dict[str, dict[str, Any]]) -> list[SourceBlock]:
    """The source document cut where the steps that cover a line change, so each step's
    lines are one highlighted block the step links to (#source-STEP)."""
    if document is None:
        return []
    order = list(step_sources)
    covering: dict[int, list[str]] = {}
    starting: dict[int, str] = {}
    for sid, where in step_sources.items():
        starting.setdefault(where["first_line"], sid)
        for n in range(where["first_line"], where["last_line"] + 1):
            covering.setdefault(n, []).append(sid)
    blocks: list[SourceBlock] = []
    for line in document["lines"]:
        n = line["line"]
        steps = covering.get(n, [])
        if not blocks or blocks[-1].steps != steps or n in starting:
            shade = order.index(steps[0]) % 2 if steps else 0
            blocks.append(SourceBlock(steps, starting.get(n), shade))
        blocks[-1].lines.append(line)
    return blocks
