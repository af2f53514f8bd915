"""/api/v1/incidents/{ref}/postmortem: read, revise, move through review, export."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from warroom.api.deps import Services, principal, services
from warroom.api.openapi import other_media
from warroom.api.types import Document
from warroom.clock import isoformat
from warroom.evidence.postmortem import render_html_page
from warroom.evidence.postmortems_service import PostmortemService
from warroom.services.principal import Principal

router = APIRouter(prefix="/api/v1/incidents", tags=["postmortems"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]


class MarkdownBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    markdown: Document = Field(min_length=1)


class StatusBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["draft", "in_review", "published"]


@router.get("/{ref}/postmortem", summary="The current postmortem; ?format=markdown|html "
            "exports it as a document", response_model=None,
            responses=other_media("application/json", "text/markdown; charset=utf-8",
                              "text/html; charset=utf-8"))
def get_postmortem(ref: str, svc: Svc, caller: Caller,
                   format: Annotated[Literal["json", "markdown", "html"], Query()] = "json",
                   ) -> dict[str, Any] | Response:
    found = PostmortemService(svc.runtime).get(caller, ref)
    name = f"postmortem-{found.human_id}"
    if format == "markdown":
        return Response(found.markdown, media_type="text/markdown; charset=utf-8",
                        headers={"Content-Disposition": f'inline; filename="{name}.md"'})
    if format == "html":
        page = render_html_page(found.markdown, f"Post-mortem {found.human_id}")
        return Response(page, media_type="text/html; charset=utf-8",
                        headers={"Content-Disposition": f'inline; filename="{name}.html"',
                                 "Content-Security-Policy": "default-src 'none'"})
    return found.to_json()


@router.put("/{ref}/postmortem", summary="Save a new revision of the postmortem")
def put_postmortem(ref: str, body: MarkdownBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    return PostmortemService(svc.runtime).put(caller, ref, body.markdown).to_json()


@router.post("/{ref}/postmortem/status", summary="Move the postmortem: draft → in_review → "
             "published (publishing needs commander)")
def postmortem_status(ref: str, body: StatusBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    return PostmortemService(svc.runtime).set_status(caller, ref, body.status).to_json()


@router.get("/{ref}/postmortem/revisions", summary="Every revision, oldest first")
def postmortem_revisions(ref: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    revisions = PostmortemService(svc.runtime).revisions(caller, ref)
    return {"revisions": [{"revision": r.revision, "author": r.author, "at": isoformat(r.at),
                           "markdown": r.markdown} for r in revisions]}
