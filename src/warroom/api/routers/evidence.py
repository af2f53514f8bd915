"""/api/v1/incidents/{ref}/evidence: the signed evidence pack as a streamed download."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from warroom.api.deps import Services, principal, services
from warroom.api.openapi import other_media
from warroom.evidence.export import export_files
from warroom.evidence.pack import tar_gz_bytes, zip_bytes
from warroom.services.principal import Principal
from warroom.store.incidents import is_human_id

router = APIRouter(prefix="/api/v1/incidents", tags=["evidence"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]
CHUNK = 256 * 1024
MEDIA = {"tar.gz": "application/gzip", "zip": "application/zip"}


def _chunks(content: bytes) -> Iterator[bytes]:
    for start in range(0, len(content), CHUNK):
        yield content[start:start + CHUNK]


@router.get("/{ref}/evidence", summary="Download the signed evidence pack (commander or "
            "security)", response_class=StreamingResponse,
            responses=other_media(*MEDIA.values()))
def evidence_pack(ref: str, svc: Svc, caller: Caller,
                  format: Annotated[Literal["tar.gz", "zip"], Query(
                      description="Archive format")] = "tar.gz") -> StreamingResponse:
    files = export_files(svc.runtime, caller, ref)
    human_id = ref.upper() if is_human_id(ref) else ref
    root = f"evidence-{human_id}"
    content = tar_gz_bytes(files, root) if format == "tar.gz" else zip_bytes(files, root)
    return StreamingResponse(
        _chunks(content), media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{root}.{format}"',
                 "Content-Length": str(len(content))})
