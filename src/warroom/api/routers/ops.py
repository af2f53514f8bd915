"""/healthz and /readyz."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from starlette.responses import JSONResponse

from warroom import __version__
from warroom.api.deps import Services, services
from warroom.store import db

router = APIRouter(tags=["operations"])
Svc = Annotated[Services, Depends(services)]


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get("/readyz", responses={503: {"description": "The database is unreachable or "
                                          "its migrations are not current"}})
def readyz(svc: Svc) -> JSONResponse:
    try:
        with db.read(svc.runtime.engine) as conn:
            conn.execute(sa.text("SELECT 1"))
        current, head = db.migration_state(svc.runtime.engine)
    except Exception as exc:  # any database failure means not ready
        return JSONResponse({"status": "unavailable", "database": f"unreachable: "
                             f"{type(exc).__name__}"}, status_code=503)
    if current != head:
        return JSONResponse({"status": "unavailable", "database": "reachable",
                             "migrations": f"at {current}, code expects {head}; run "
                             "`warroom db upgrade`"}, status_code=503)
    return JSONResponse({"status": "ready", "database": "reachable", "migrations": current})
