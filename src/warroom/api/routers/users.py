"""/api/v1/users, /api/v1/tokens and /api/v1/me."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from warroom.api.deps import Services, principal, services
from warroom.api.types import Name, RowId
from warroom.domain.errors import Unauthenticated
from warroom.services.principal import Principal

router = APIRouter(prefix="/api/v1", tags=["users"])
Caller = Annotated[Principal | None, Depends(principal)]
Svc = Annotated[Services, Depends(services)]


class UserBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    role: Name = "responder"
    password: Name | None = Field(None, min_length=8)
    display_name: Name = ""
    email: Name | None = None
    security: bool = False


class UserChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str | None = None
    active: bool | None = Field(None, description="false deactivates: sessions end, tokens "
                                                  "and the feed URL are revoked")
    security: bool | None = None


class PasswordBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=8)


class TokenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: Name | None = Field(None, description="defaults to the caller")
    role: Name | None = None
    name: Name = ""


@router.get("/me")
def me(caller: Caller) -> dict[str, Any]:
    if caller is None:
        raise Unauthenticated("send 'Authorization: Bearer <token>' to identify yourself")
    return {"name": caller.name, "role": caller.role, "security": caller.is_security,
            "via": caller.via}


@router.get("/users")
def list_users(svc: Svc, caller: Caller) -> dict[str, Any]:
    return {"items": [u.public() for u in svc.users.list(caller)]}


@router.post("/users", status_code=201)
def create_user(body: UserBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    user = svc.users.create(caller, body.name, role=body.role, password=body.password,
                            display_name=body.display_name, email=body.email,
                            is_security=body.security)
    return user.public()


@router.patch("/users/{name}", summary="Change a user's role, security flag or active "
              "state (admin)")
def update_user(name: str, body: UserChange, svc: Svc, caller: Caller) -> dict[str, Any]:
    return svc.users.update(caller, name, role=body.role, active=body.active,
                            is_security=body.security).public()


@router.post("/users/{name}/password", summary="Set a password (self or admin); ends all of "
             "the user's sessions")
def set_password(name: str, body: PasswordBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    svc.users.set_password(caller, name, body.password)
    return {"user": name, "sessions_ended": True}


@router.post("/users/{name}/sessions/end", summary="End all of a user's console sessions "
             "(self or admin)")
def end_sessions(name: str, svc: Svc, caller: Caller) -> dict[str, Any]:
    return {"user": name, "ended": svc.users.end_sessions(caller, name)}


@router.get("/tokens")
def list_tokens(svc: Svc, caller: Caller, user: str | None = None) -> dict[str, Any]:
    return {"items": [t.public() for t in svc.users.list_tokens(caller, user)]}


@router.post("/tokens", status_code=201, summary="Create a token (shown once)")
def create_token(body: TokenBody, svc: Svc, caller: Caller) -> dict[str, Any]:
    target = body.user or (caller.name if caller else "")
    issued = svc.users.create_token(caller, target, role=body.role, name=body.name)
    return {**issued.row.public(), "token": issued.token,
            "note": "store this token now; it is not shown again"}


@router.post("/tokens/{token_id}/revoke")
def revoke_token(token_id: RowId, svc: Svc, caller: Caller) -> dict[str, Any]:
    return svc.users.revoke_token(caller, token_id).public()
