"""Accounts and API tokens: argon2id passwords, hashed bearer tokens, audit-chained changes."""

from __future__ import annotations

import builtins
import functools
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from warroom.domain.errors import (
    Conflict,
    InvalidCommand,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
    Unauthenticated,
)
from warroom.runtime import Runtime
from warroom.services.principal import ROLE_RANK, ROLES, Principal, require
from warroom.services.throttle import LoginThrottle
from warroom.store import db
from warroom.store import users as store
from warroom.store.audit import append_audit

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
TOKEN_PREFIX = "wr_"
FEED_PREFIX = "wrcal_"
SESSION_LIFETIME = timedelta(hours=12)
TOKEN_TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against for unknown users, so their login costs what a real one does
    (computed on first use: hashing at import would slow every start)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def principal_of(user: store.UserRow, via: str, credential: str = "",
                 role: str | None = None) -> Principal:
    return Principal(user.name, role or user.role, user.is_security, user.id, via=via,
                     credential=credential)


def token_role(token: store.TokenRow, user: store.UserRow) -> str:
    """A token never grants more than its user currently has."""
    return min(token.role, user.role, key=lambda r: ROLE_RANK[r])


def new_password() -> str:
    return secrets.token_urlsafe(12)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    row: store.TokenRow


class UserService:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        found = runtime.extras.get("login_throttle")
        if not isinstance(found, LoginThrottle):
            found = runtime.extras["login_throttle"] = LoginThrottle()
        self.throttle: LoginThrottle = found

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
            # Whoever knew the old password may hold a session: all of them end.
            ended = store.revoke_user_sessions(conn, user.id, now)
            append_audit(conn, who.name, "password_changed",
                         {"user": name, "sessions_ended": ended}, now)

    def list(self, principal: Principal | None) -> builtins.list[store.UserRow]:
        require(principal, "viewer", "listing users")
        with db.read(self.rt.engine) as conn:
            return store.list_users(conn)

    def authenticate_password(self, name: str, password: str) -> Principal | None:
        with db.read(self.rt.engine) as conn:
            user = store.get_user(conn, name)
        if user is None or not user.password_hash:
            check_password(_dummy_hash(), password)  # same cost as a real user's login
            return None
        if not check_password(user.password_hash, password) or not user.active:
            return None
        return principal_of(user, "session")

    def login(self, name: str, password: str, client: str) -> tuple[Principal, str]:
        """Check the password under the throttle and open a session; (principal, secret).

        Raises TooManyAttempts (429, with Retry-After) while the account or the client
        address is throttled, and Unauthenticated for a wrong name or password."""
        now = self.rt.clock.now()
        wait = self.throttle.retry_after(name, client, now)
        if wait is not None:
            raise TooManyAttempts(f"too many failed logins; try again in {wait} seconds", wait)
        who = self.authenticate_password(name, password)
        if who is None or who.user_id is None:
            if self.throttle.failed(name, client, now):
                with self.rt.engine.begin() as conn:
                    append_audit(conn, "anonymous", "login_throttled",
                                 {"user": name[:64], "client": client[:64]}, now)
            raise Unauthenticated("wrong user name or password")
        self.throttle.succeeded(name)
        secret = secrets.token_urlsafe(32)
        with self.rt.engine.begin() as conn:
            store.insert_session(conn, user_id=who.user_id, secret=secret, client=client,
                                 at=now, expires_at=now + SESSION_LIFETIME)
        return replace(who, credential="session:" + store.hash_secret(secret)), secret

    def session(self, secret: str) -> Principal | None:
        """The user of a live session (not logged out, not expired, user still active)."""
        with db.read(self.rt.engine) as conn:
            user = store.find_session_user(conn, secret, self.rt.clock.now())
        if user is None:
            return None
        return principal_of(user, "session", "session:" + store.hash_secret(secret))

    def logout(self, secret: str) -> None:
        now = self.rt.clock.now()
        with self.rt.engine.begin() as conn:
            store.revoke_session(conn, secret, now)

    def end_sessions(self, principal: Principal | None, name: str) -> int:
        """End every session of `name` (admins for anyone, users for themselves)."""
        who = require(principal, "viewer", "ending sessions")
        if who.name != name and not who.at_least("admin"):
            raise PermissionDenied("only admins can end another user's sessions")
        now = self.rt.clock.now()
        with self.rt.engine.begin() as conn:
            user = store.get_user(conn, name)
            if user is None:
                raise NotFound(f"no user {name!r}")
            ended = store.revoke_user_sessions(conn, user.id, now)
            append_audit(conn, who.name, "sessions_ended", {"user": name, "ended": ended}, now)
        return ended

    def update(self, principal: Principal | None, name: str, *, role: str | None = None,
               active: bool | None = None, is_security: bool | None = None) -> store.UserRow:
        """Change a user's role, security flag or active state (admins only). Deactivating
        ends the user's sessions and revokes their tokens and feed URL in the same
        transaction; the last active admin can be neither demoted nor deactivated."""
        who = require(principal, "admin", "changing users")
        if role is not None:
            self._check_role(role)
        now = self.rt.clock.now()
        with self.rt.engine.begin() as conn:
            user = store.get_user(conn, name)
            if user is None:
                raise NotFound(f"no user {name!r}")
            losing_admin = user.role == "admin" and user.active and (
                (role is not None and role != "admin") or active is False)
            if losing_admin and sum(1 for u in store.list_users(conn)
                                    if u.role == "admin" and u.active) <= 1:
                raise Conflict(f"{name} is the last active admin; make another user admin "
                               "first")
            values: dict[str, object] = {}
            if role is not None and role != user.role:
                values["role"] = role
            if is_security is not None and is_security != user.is_security:
                values["is_security"] = is_security
            if active is not None and active != user.active:
                values["active"] = active
            if values:
                store.update_user(conn, user.id, **values)
            change: dict[str, object] = {"user": name, **values}
            if active is False:
                change["sessions_ended"] = store.revoke_user_sessions(conn, user.id, now)
                change["tokens_revoked"] = store.revoke_user_tokens(conn, user.id, now)
                change["feeds_revoked"] = store.revoke_ical_feeds(conn, user.id, now)
            elif role is not None and ROLE_RANK[role] < ROLE_RANK[user.role]:
                # A demoted user logs in again with the new role; tokens are capped at it.
                change["sessions_ended"] = store.revoke_user_sessions(conn, user.id, now)
            if values:
                append_audit(conn, who.name, "user_updated", change, now)
            updated = store.get_user(conn, name)
        assert updated is not None
        return updated

    def principal_for(self, name: str) -> Principal | None:
        """The active user `name` as a principal (for in-process callers, not requests)."""
        with db.read(self.rt.engine) as conn:
            user = store.get_user(conn, name)
        if user is None or not user.active:
            return None
        return principal_of(user, "session")

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
        now = self.rt.clock.now()
        if row.last_used_at is None or row.last_used_at < now - TOKEN_TOUCH_EVERY:
            with self.rt.engine.begin() as conn:
                store.touch_token_if_stale(conn, row.id, now, now - TOKEN_TOUCH_EVERY)
        return principal_of(user, "token", f"token:{row.id}", token_role(row, user))

    def still_valid(self, principal: Principal) -> Principal | None:
        """The caller as they stand now, or None when what authenticated them has ended
        (token revoked, session logged out or ended, user deactivated)."""
        kind, _, ref = principal.credential.partition(":")
        now = self.rt.clock.now()
        with db.read(self.rt.engine) as conn:
            if kind == "session":
                user = store.find_session_user_by_id(conn, ref, now)
                if user is None:
                    return None
                return principal_of(user, "session", principal.credential)
            if kind == "token" and ref.isdigit():
                row = store.get_token(conn, int(ref))
                user = store.get_user_by_id(conn, row.user_id) if row else None
                if row is None or user is None or row.revoked_at is not None or \
                        not user.active:
                    return None
                return principal_of(user, "token", principal.credential, token_role(row, user))
        return principal if kind == "" else None

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

    # ------------------------------------------------------------ iCal feed URLs

    def issue_feed(self, principal: Principal | None, name: str) -> str:
        """A new secret for `name`'s feed URL (self or admin), shown once; any earlier URL
        of that user stops working."""
        who = self._self_or_admin(principal, name, "creating calendar feed URLs")
        secret = FEED_PREFIX + secrets.token_urlsafe(32)
        now = self.rt.clock.now()
        with self.rt.engine.begin() as conn:
            user = self._user_or_404(conn, name)
            store.replace_ical_feed(conn, user.id, secret, now)
            append_audit(conn, who.name, "ical_feed_issued", {"user": name}, now)
        return secret

    def revoke_feed(self, principal: Principal | None, name: str) -> int:
        who = self._self_or_admin(principal, name, "revoking calendar feed URLs")
        now = self.rt.clock.now()
        with self.rt.engine.begin() as conn:
            user = self._user_or_404(conn, name)
            revoked = store.revoke_ical_feeds(conn, user.id, now)
            if revoked:
                append_audit(conn, who.name, "ical_feed_revoked", {"user": name}, now)
        return revoked

    def feed_created(self, principal: Principal | None, name: str) -> datetime | None:
        self._self_or_admin(principal, name, "reading calendar feed URLs")
        with db.read(self.rt.engine) as conn:
            return store.ical_feed_created(conn, self._user_or_404(conn, name).id)

    def feed_user(self, secret: str) -> str | None:
        """The name of the active user whose live feed URL carries `secret`, else None."""
        if not secret.startswith(FEED_PREFIX):
            return None
        with db.read(self.rt.engine) as conn:
            user = store.find_ical_feed_user(conn, secret)
        return user.name if user else None

    @staticmethod
    def _self_or_admin(principal: Principal | None, name: str, action: str) -> Principal:
        who = require(principal, "viewer", action)
        if who.name != name and not who.at_least("admin"):
            raise PermissionDenied(f"{action} for another user needs the admin role")
        return who

    @staticmethod
    def _user_or_404(conn: Any, name: str) -> store.UserRow:
        user = store.get_user(conn, name)
        if user is None:
            raise NotFound(f"no user {name!r}")
        return user

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
