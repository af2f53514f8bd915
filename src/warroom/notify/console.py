"""The console channel: messages written to a log or a stream, for development and drills."""

from __future__ import annotations

import logging
import sys
import threading
from typing import TextIO

from warroom.notify.base import DeliveryResult, Message
from warroom.notify.config import ConsoleChannel

log = logging.getLogger("warroom.notify.console")

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
           "error": logging.ERROR}


def console_text(message: Message, destination: str | None) -> str:
    to = f" to {destination}" if destination else ""
    head = (f"[{message.kind}{to}] {message.incident_human_id} {message.severity} "
            f"({message.audience}) key={message.idempotency_key}")
    links = "".join(f"\n  {link.label}: {link.url}" for link in message.links)
    return f"{head}\n{message.body}{links}\n"


class ConsoleNotifier:
    def __init__(self, config: ConsoleChannel, *, stream: TextIO | None = None) -> None:
        self._config = config
        self._stream = stream
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ConsoleNotifier(stream={self._config.stream!r})"

    def send(self, message: Message, destination: str | None = None) -> DeliveryResult:
        text = console_text(message, destination)
        if self._config.stream == "log" and self._stream is None:
            log.log(_LEVELS[self._config.level], "%s", text.rstrip("\n"))
            return DeliveryResult.success("logged")
        stream = self._stream or (sys.stdout if self._config.stream == "stdout" else sys.stderr)
        with self._lock:  # one message's lines stay together across worker threads
            stream.write(text)
            stream.flush()
        return DeliveryResult.success("written")

    def close(self) -> None:
        pass
