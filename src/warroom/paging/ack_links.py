"""Acknowledge links in pages: a signed, expiring, single-use URL that acknowledges an incident
as the person it was sent to, without a login (GET confirms, POST acknowledges)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from warroom.store.paging import ack_link_uses

PATH = "/ack/"
DEFAULT_TTL = timedelta(hours=24)


class AckLinkError(ValueError):
    """A link that cannot acknowledge: forged, expired or used. `status` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class AckClaim:
    """What a valid link says: who may acknowledge which incident, until when."""

    incident_id: str
    user: str
    expires_at: datetime
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class AckLinks:
    """Makes and checks links for one server: its public URL and a key derived from the
    server's secret (so a link made on one instance works on every instance)."""

    public_url: str
    key: bytes
    ttl: timedelta = DEFAULT_TTL

    @classmethod
    def for_secret(cls, public_url: str, secret: str,
                   ttl: timedelta = DEFAULT_TTL) -> AckLinks:
        key = hmac.new(secret.encode("utf-8"), b"warroom ack links v1", hashlib.sha256).digest()
        return cls(public_url.rstrip("/"), key, ttl)

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self.key, payload.encode("ascii"), hashlib.sha256).digest())

    def token(self, incident_id: str, user: str, now: datetime) -> str:
        expires = int((now + self.ttl).timestamp())
        body = json.dumps({"i": incident_id, "u": user, "e": expires,
                           "n": secrets.token_urlsafe(12)}, separators=(",", ":"))
        payload = _b64(body.encode("utf-8"))
        return f"{payload}.{self._mac(payload)}"

    def url(self, incident_id: str, user: str, now: datetime) -> str:
        return f"{self.public_url}{PATH}{self.token(incident_id, user, now)}"

    def verify(self, token: str, now: datetime) -> AckClaim:
        """The claim of a genuine, unexpired link; AckLinkError otherwise."""
        payload, _, mac = token.partition(".")
        if not payload or not mac or not hmac.compare_digest(mac, self._mac(payload)):
            raise AckLinkError(404, "this acknowledge link is not valid; open the incident "
                               "in warroom and acknowledge there")
        try:
            data = json.loads(_unb64(payload))
            claim = AckClaim(str(data["i"]), str(data["u"]),
                             datetime.fromtimestamp(int(data["e"]), UTC), str(data["n"]))
        except (ValueError, KeyError, TypeError):
            raise AckLinkError(404, "this acknowledge link is not valid") from None
        if now >= claim.expires_at:
            raise AckLinkError(410, "this acknowledge link has expired; open the incident in "
                               "warroom and acknowledge there")
        return claim


def used(conn: sa.Connection, claim: AckClaim) -> bool:
    return conn.execute(sa.select(ack_link_uses.c.nonce).where(
        ack_link_uses.c.nonce == claim.nonce)).first() is not None


def mark_used(conn: sa.Connection, claim: AckClaim, now: datetime) -> None:
    """Record the link as used; AckLinkError(410) if it already was (also under a race:
    the nonce is the primary key)."""
    if used(conn, claim):
        raise AckLinkError(410, "this acknowledge link was already used")
    try:
        with conn.begin_nested():
            conn.execute(sa.insert(ack_link_uses).values(
                nonce=claim.nonce, incident_id=claim.incident_id, user=claim.user,
                used_at=now))
    except sa.exc.IntegrityError:
        raise AckLinkError(410, "this acknowledge link was already used") from None


def unmark_used(conn: sa.Connection, claim: AckClaim) -> None:
    """Give the link back: the acknowledge it was spent on was refused."""
    conn.execute(sa.delete(ack_link_uses).where(ack_link_uses.c.nonce == claim.nonce))
