"""Accounts and API tokens: argon2id passwords, hashed bearer tokens, audit-chained changes."""

from __future__ import annotations

import builtins
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from warroom.domain.errors import Conflict, InvalidCommand, NotFound, PermissionDenied
from warroom.runtime import Runtime
from warroom.services.principal import ROLE_RANK, ROLES, Principal, require
from warroom.store import db
from warroom.store import users as store
from warroom.store.audit import append_audit

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
TOKEN_PREFIX = "wr_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_password() -> str:
    return secrets.token_urlsafe(12)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    row: store.TokenRow


class UserService:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    def _check_role(self, role: str) -> None:
        if role not in ROLE_RANK:
            raise InvalidCommand(f"unknown role {role!r}; roles are {', '.join(ROLES)}")

    def create(self, principal: Principal | None, name: str, *, role: str = "responder",
               password: str | None = None, display_name: str = "", email: str | None = None,
               is_security: bool = False) -> store.UserRow:
        who = require(principal, "admin", "creating users")
        if not NAME_RE.match(name):
            raise InvalidCommand(f"invalid user name {name!r}: use letters, digits, '.', '_' "
                                 "or '-', starting with a letter or digit, at most 63 chars")
        self._check_role(role)
        if password is not None and len(password) < 8:
            raise InvalidCommand("password must be at least 8 characters")
        now = self.rt.clock.now()
        with self.rt.engine.begin() as conn:
            if store.get_user(conn, name):
                raise Conflict(f"user {name!r} already exists")
            user_id = store.insert_user(
                conn, name=name, display_name=display_name or name, email=email,
                password_hash=hash_password(password) if password else None, role=role,
                is_security=is_security, at=now)
            append_audit(conn, who.name, "user_created",
                         {"user": name, "role": role, "security": is_security}, now)
            user = store.get_user_by_id(conn, user_id)
        assert user is not None
        return user

    def set_password(self, principal: Principal | None, name: str, password: str) -> None:
        who = require(principal, "viewer", "changing a password")
        if who.name != name and not who.at_least("admin"):
            raise PermissionDenied("only admins can change another user's password")
        if len(password) < 8:
            raise InvalidCommand("password must be at least 8 characters")
        now = self.rt.clock.now()
        with self.rt.engine.begin() as conn:
            user = store.get_user(conn, name)
            if user is None:
                raise NotFound(f"no user {name!r}")
            store.update_user(conn, user.id, password_hash=hash_password(password))
            append_audit(conn, who.name, "password_changed", {"user": name}, now)

    def list(self, principal: Principal | None) -> builtins.list[store.UserRow]:
        require(principal, "viewer", "listing users")
        with db.read(self.rt.engine) as conn:
            return store.list_users(conn)

    def authenticate_password(self, name: str, password: str) -> Principal | None:
        with db.read(self.rt.engine) as conn:
            user = store.get_user(conn, name)
        if user is None or not user.active or not check_password(user.password_hash, password):
            return None
        return Principal(user.name, user.role, user.is_security, user.id, via="session")

    def principal_for(self, name: str) -> Principal | None:
        with db.read(self.rt.engine) as conn:
            user = store.get_user(conn, name)
        if user is None or not user.active:
            return None
        return Principal(user.name, user.role, user.is_security, user.id, via="session")

    def authenticate_token(self, token: str) -> Principal | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        with db.read(self.rt.engine) as conn:
            found = store.find_token(conn, token)
        if found is None:
            return None
        row, user = found
        if row.revoked_at is not None or not user.active:
            return None
        # A token never grants more than its user currently has.
        role = min(row.role, user.role, key=lambda r: ROLE_RANK[r])
        return Principal(user.name, role, user.is_security, user.id, via="token")

    def create_token(self, principal: Principal | None, user_name: str, *,
                     role: str | None = None, name: str = "") -> IssuedToken:
        who = require(principal, "viewer", "creating API tokens")
        if who.name != user_name and not who.at_least("admin"):
            raise PermissionDenied("only admins can create tokens for other users")
        now = self.rt.clock.now()
        with self.rt.engine.begin() as conn:
            user = store.get_user(conn, user_name)
            if user is None:
                raise NotFound(f"no user {user_name!r}")
            scope = role or user.role
            self._check_role(scope)
            if ROLE_RANK[scope] > ROLE_RANK[user.role]:
                raise InvalidCommand(f"a token cannot have more than its user's role "
                                     f"({user.role}); asked for {scope}")
            token = TOKEN_PREFIX + secrets.token_urlsafe(32)
            token_id = store.insert_token(conn, user_id=user.id, name=name or "token",
                                          token=token, role=scope, at=now)
            append_audit(conn, who.name, "token_created",
                         {"user": user_name, "token_id": token_id, "role": scope}, now)
            row = store.get_token(conn, token_id)
        assert row is not None
        return IssuedToken(token, row)

    def list_tokens(self, principal: Principal | None,
                    user_name: str | None = None) -> builtins.list[store.TokenRow]:
        who = require(principal, "viewer", "listing API tokens")
        with db.read(self.rt.engine) as conn:
            if user_name is None and who.at_least("admin"):
                return store.list_tokens(conn)
            target = user_name or who.name
            if target != who.name and not who.at_least("admin"):
                raise PermissionDenied("only admins can list other users' tokens")
            user = store.get_user(conn, target)
            return store.list_tokens(conn, user.id) if user else []

    def revoke_token(self, principal: Principal | None, token_id: int) -> store.TokenRow:
        who = require(principal, "viewer", "revoking API tokens")
        now = self.rt.clock.now()
        with self.rt.engine.begin() as conn:
            row = store.get_token(conn, token_id)
            if row is None or (row.user_id != who.user_id and not who.at_least("admin")):
                raise NotFound(f"no token {token_id}")
            if row.revoked_at is None:
                store.revoke_token(conn, token_id, now)
                append_audit(conn, who.name, "token_revoked", {"token_id": token_id}, now)
            updated = store.get_token(conn, token_id)
        assert updated is not None
        return updated

    def sync_from_config(self, principal: Principal) -> builtins.list[str]:
        """Create users listed in the config that do not exist yet (without passwords)."""
        created = []
        with db.read(self.rt.engine) as conn:
            existing = {u.name for u in store.list_users(conn)}
        for user in self.rt.config.users:
            if user.name not in existing:
                self.create(principal, user.name, role=user.role,
                            display_name=user.display_name, email=user.email,
                            is_security=user.security)
                created.append(user.name)
        return created

    def bootstrap_admin(self, principal: Principal) -> tuple[str, str] | None:
        """On first start with no admin, create one and return (name, one-time password)."""
        name = self.rt.settings.bootstrap_admin
        if not name:
            return None
        with db.read(self.rt.engine) as conn:
            if any(u.role == "admin" for u in store.list_users(conn)):
                return None
            existing = store.get_user(conn, name)
        password = new_password()
        if existing:
            now = self.rt.clock.now()
            with self.rt.engine.begin() as conn:
                store.update_user(conn, existing.id, role="admin",
                                  password_hash=hash_password(password))
                append_audit(conn, principal.name, "admin_bootstrapped", {"user": name}, now)
        else:
            self.create(principal, name, role="admin", password=password,
                        display_name="Administrator")
        return name, password
