"""Users and API tokens."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from warroom.store.schema import api_tokens, users


@dataclass(frozen=True)
class UserRow:
    id: int
    name: str
    display_name: str
    email: str | None
    role: str
    is_security: bool
    active: bool
    created_at: datetime
    password_hash: str | None

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "display_name": self.display_name,
                "email": self.email, "role": self.role, "security": self.is_security,
                "active": self.active, "created_at": self.created_at}


@dataclass(frozen=True)
class TokenRow:
    id: int
    user_id: int
    name: str
    prefix: str
    role: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "prefix": self.prefix, "role": self.role,
                "created_at": self.created_at, "last_used_at": self.last_used_at,
                "revoked_at": self.revoked_at}


def _user(row: sa.Row[Any] | None) -> UserRow | None:
    if row is None:
        return None
    return UserRow(id=row.id, name=row.name, display_name=row.display_name, email=row.email,
                   role=row.role, is_security=row.is_security, active=row.active,
                   created_at=row.created_at, password_hash=row.password_hash)


def get_user(conn: sa.Connection, name: str) -> UserRow | None:
    return _user(conn.execute(sa.select(users).where(users.c.name == name)).first())


def get_user_by_id(conn: sa.Connection, user_id: int) -> UserRow | None:
    return _user(conn.execute(sa.select(users).where(users.c.id == user_id)).first())


def list_users(conn: sa.Connection) -> list[UserRow]:
    return [u for r in conn.execute(sa.select(users).order_by(users.c.name))
            if (u := _user(r)) is not None]


def count_users(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one())


def insert_user(conn: sa.Connection, *, name: str, display_name: str, email: str | None,
                password_hash: str | None, role: str, is_security: bool,
                at: datetime) -> int:
    return int(conn.execute(sa.insert(users).values(
        name=name, display_name=display_name, email=email, password_hash=password_hash,
        role=role, is_security=is_security, active=True, created_at=at,
    ).returning(users.c.id)).scalar_one())


def update_user(conn: sa.Connection, user_id: int, **values: Any) -> None:
    conn.execute(sa.update(users).where(users.c.id == user_id).values(**values))


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough; argon2 is for passwords.
    return hashlib.sha256(token.encode()).hexdigest()


def insert_token(conn: sa.Connection, *, user_id: int, name: str, token: str, role: str,
                 at: datetime) -> int:
    return int(conn.execute(sa.insert(api_tokens).values(
        user_id=user_id, name=name, prefix=token[:10], token_hash=hash_token(token), role=role,
        created_at=at).returning(api_tokens.c.id)).scalar_one())


def _token(row: sa.Row[Any]) -> TokenRow:
    return TokenRow(id=row.id, user_id=row.user_id, name=row.name, prefix=row.prefix,
                    role=row.role, created_at=row.created_at, last_used_at=row.last_used_at,
                    revoked_at=row.revoked_at)


def find_token(conn: sa.Connection, token: str) -> tuple[TokenRow, UserRow] | None:
    row = conn.execute(
        sa.select(api_tokens, users.c.name.label("user_name"))
        .join(users, users.c.id == api_tokens.c.user_id)
        .where(api_tokens.c.token_hash == hash_token(token))).first()
    if row is None:
        return None
    user = get_user_by_id(conn, row.user_id)
    return (_token(row), user) if user else None


def get_token(conn: sa.Connection, token_id: int) -> TokenRow | None:
    row = conn.execute(sa.select(api_tokens).where(api_tokens.c.id == token_id)).first()
    return _token(row) if row else None


def list_tokens(conn: sa.Connection, user_id: int | None = None) -> list[TokenRow]:
    query = sa.select(api_tokens).order_by(api_tokens.c.id)
    if user_id is not None:
        query = query.where(api_tokens.c.user_id == user_id)
    return [_token(r) for r in conn.execute(query)]


def revoke_token(conn: sa.Connection, token_id: int, at: datetime) -> None:
    conn.execute(sa.update(api_tokens).where(api_tokens.c.id == token_id)
                 .values(revoked_at=at))


def touch_token(conn: sa.Connection, token_id: int, at: datetime) -> None:
    conn.execute(sa.update(api_tokens).where(api_tokens.c.id == token_id)
                 .values(last_used_at=at))
