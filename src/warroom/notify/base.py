"""The notifier interface: a Message goes in, a DeliveryResult comes out.

Every channel module implements `Notifier`; the engine only ever talks to this interface.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, get_args

MessageKind = Literal[
    "page",
    "escalation",
    "update",
    "reminder",
    "sla_breach",
    "approval_request",
    "acknowledged",
    "resolved",
]
Audience = Literal["internal", "customer", "public"]

MESSAGE_KINDS: tuple[str, ...] = get_args(MessageKind)
AUDIENCES: tuple[str, ...] = get_args(Audience)


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Message:
    """One notification, already rendered; channels only choose how to lay it out."""

    idempotency_key: str
    incident_id: str
    incident_human_id: str
    kind: MessageKind
    subject: str
    body: str
    severity: str
    audience: Audience = "internal"
    links: tuple[Link, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    drill: bool = False

    def __post_init__(self) -> None:
        if self.kind not in MESSAGE_KINDS:
            raise ValueError(f"unknown message kind {self.kind!r}; use one of "
                             f"{', '.join(MESSAGE_KINDS)}")
        if self.audience not in AUDIENCES:
            raise ValueError(f"unknown audience {self.audience!r}; use one of "
                             f"{', '.join(AUDIENCES)}")
        if not self.idempotency_key:
            raise ValueError("a message needs a non-empty idempotency_key")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, e.g. for an outbox row; `from_dict` reverses it."""
        return {
            "idempotency_key": self.idempotency_key,
            "incident_id": self.incident_id,
            "incident_human_id": self.incident_human_id,
            "kind": self.kind,
            "audience": self.audience,
            "subject": self.subject,
            "body": self.body,
            "severity": self.severity,
            "links": [{"label": link.label, "url": link.url} for link in self.links],
            "extra": dict(self.extra),
            "drill": self.drill,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        return cls(
            idempotency_key=str(data["idempotency_key"]),
            incident_id=str(data["incident_id"]),
            incident_human_id=str(data["incident_human_id"]),
            kind=data["kind"],
            audience=data.get("audience", "internal"),
            subject=str(data["subject"]),
            body=str(data["body"]),
            severity=str(data["severity"]),
            links=tuple(Link(str(item["label"]), str(item["url"]))
                        for item in data.get("links", ())),
            extra=dict(data.get("extra", {})),
            drill=bool(data.get("drill", False)),
        )


def links_not_in_body(message: Message) -> tuple[Link, ...]:
    """The links a text layout still has to print: those whose URL the body does not already
    show (templates print the bridge and status page; a second copy is noise)."""
    return tuple(link for link in message.links if link.url not in message.body)


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one send attempt.

    `status` is short and machine-friendly ("200", "timeout", "smtp-451"); `detail` is for
    humans and never contains secrets. `retry_after` is the receiver's own hint in seconds.
    """

    ok: bool
    retryable: bool
    retry_after: float | None
    status: str
    detail: str

    @classmethod
    def success(cls, status: str, detail: str = "") -> DeliveryResult:
        return cls(ok=True, retryable=False, retry_after=None, status=status, detail=detail)

    @classmethod
    def failure(cls, status: str, detail: str, *, retryable: bool,
                retry_after: float | None = None) -> DeliveryResult:
        return cls(ok=False, retryable=retryable, retry_after=retry_after, status=status,
                   detail=detail)


class Notifier(Protocol):
    """A configured channel. `send` is synchronous and blocking; the engine runs it in worker
    threads, so implementations must be safe to call from several threads at once."""

    def send(self, message: Message, destination: str | None = None) -> DeliveryResult:
        """Deliver one message. `destination` is the per-recipient address where the channel
        has one (an email address, a phone number, a chat channel); None means the channel's
        configured default. Must not raise for delivery problems: report them in the result."""
        ...

    def close(self) -> None:
        """Release connections; the notifier is not used afterwards."""
        ...


def severity_rank(severity: str) -> int:
    """A rough urgency for layout (colours, emoji) from keys like P0/P1/SEV2; 0 is worst."""
    digits = "".join(ch for ch in severity if ch.isdigit())
    return int(digits) if digits else 2
