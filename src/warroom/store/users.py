"""Users and API tokens."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from warroom.store.schema import api_tokens, ical_feeds, user_sessions, users


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


def touch_token_if_stale(conn: sa.Connection, token_id: int, at: datetime,
                         before: datetime) -> None:
    """Set last_used_at unless it is already newer than `before` (one write a minute)."""
    conn.execute(sa.update(api_tokens).where(
        api_tokens.c.id == token_id,
        sa.or_(api_tokens.c.last_used_at.is_(None), api_tokens.c.last_used_at < before))
        .values(last_used_at=at))


def revoke_user_tokens(conn: sa.Connection, user_id: int, at: datetime) -> int:
    return conn.execute(sa.update(api_tokens).where(
        api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=at)).rowcount


# ------------------------------------------------------------ console sessions


def hash_secret(secret: str) -> str:
    # Session and feed secrets carry 256 random bits, like tokens.
    return hashlib.sha256(secret.encode()).hexdigest()


def insert_session(conn: sa.Connection, *, user_id: int, secret: str, client: str,
                   at: datetime, expires_at: datetime) -> None:
    conn.execute(sa.insert(user_sessions).values(
        id=hash_secret(secret), user_id=user_id, created_at=at, expires_at=expires_at,
        client=client[:64]))


def find_session_user(conn: sa.Connection, secret: str, now: datetime) -> UserRow | None:
    """The active user of a live (not revoked, not expired) session, else None."""
    return find_session_user_by_id(conn, hash_secret(secret), now)


def find_session_user_by_id(conn: sa.Connection, session_id: str,
                            now: datetime) -> UserRow | None:
    row = conn.execute(
        sa.select(users).join(user_sessions, user_sessions.c.user_id == users.c.id)
        .where(user_sessions.c.id == session_id,
               user_sessions.c.revoked_at.is_(None), user_sessions.c.expires_at > now,
               users.c.active.is_(True))).first()
    return _user(row)


def revoke_session(conn: sa.Connection, secret: str, at: datetime) -> int:
    return conn.execute(sa.update(user_sessions).where(
        user_sessions.c.id == hash_secret(secret), user_sessions.c.revoked_at.is_(None))
        .values(revoked_at=at)).rowcount


def revoke_user_sessions(conn: sa.Connection, user_id: int, at: datetime) -> int:
    return conn.execute(sa.update(user_sessions).where(
        user_sessions.c.user_id == user_id, user_sessions.c.revoked_at.is_(None))
        .values(revoked_at=at)).rowcount


def count_live_sessions(conn: sa.Connection, user_id: int, now: datetime) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(user_sessions).where(
        user_sessions.c.user_id == user_id, user_sessions.c.revoked_at.is_(None),
        user_sessions.c.expires_at > now)).scalar_one())


# ------------------------------------------------------------ iCal feeds


def replace_ical_feed(conn: sa.Connection, user_id: int, secret: str, at: datetime) -> None:
    """Revoke the user's current feed URL and store a new one."""
    revoke_ical_feeds(conn, user_id, at)
    conn.execute(sa.insert(ical_feeds).values(user_id=user_id, token_hash=hash_secret(secret),
                                              created_at=at))


def revoke_ical_feeds(conn: sa.Connection, user_id: int, at: datetime) -> int:
    return conn.execute(sa.update(ical_feeds).where(
        ical_feeds.c.user_id == user_id, ical_feeds.c.revoked_at.is_(None))
        .values(revoked_at=at)).rowcount


def find_ical_feed_user(conn: sa.Connection, secret: str) -> UserRow | None:
    row = conn.execute(
        sa.select(users).join(ical_feeds, ical_feeds.c.user_id == users.c.id)
        .where(ical_feeds.c.token_hash == hash_secret(secret),
               ical_feeds.c.revoked_at.is_(None), users.c.active.is_(True))).first()
    return _user(row)


def ical_feed_created(conn: sa.Connection, user_id: int) -> datetime | None:
    value = conn.execute(sa.select(ical_feeds.c.created_at).where(
        ical_feeds.c.user_id == user_id, ical_feeds.c.revoked_at.is_(None))).scalar()
    return value if isinstance(value, datetime) else None
