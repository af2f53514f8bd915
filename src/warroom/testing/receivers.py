"""Real local receivers for tests: an HTTP server and an SMTP server on 127.0.0.1 that record
what they receive and answer as scripted (succeed, fail, be slow, rate-limit).

    with HttpReceiver() as hooks:
        hooks.respond(ScriptedResponse(429, headers={"Retry-After": "3"}))
        ...post to hooks.url_for("/slack")...
        [request] = hooks.wait_for(1)
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import email
import email.policy
import ipaddress
import json
import socket
import ssl
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl

from warroom.clock import Clock, SystemClock

__all__ = [
    "CertificatePair",
    "HttpReceiver",
    "ReceivedEmail",
    "ReceivedRequest",
    "ScriptedResponse",
    "SmtpReceiver",
    "free_port",
    "self_signed_certificate",
]


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (for servers that cannot bind port 0 themselves)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(condition: threading.Condition, ready: Callable[[], bool], timeout: float,
          what: str) -> None:
    with condition:
        if not condition.wait_for(ready, timeout=timeout):
            raise TimeoutError(f"{what} did not arrive within {timeout}s")


# --------------------------------------------------------------------------------------- HTTP


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    """lower-cased header names"""
    body: bytes
    received_at: _dt.datetime

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))


@dataclass(frozen=True)
class ScriptedResponse:
    status: int = 200
    body: bytes | str | Mapping[str, Any] | list[Any] = b"ok"
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """seconds to hold the answer back (cut short when the receiver stops)"""

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, "text/plain"
        if isinstance(self.body, str):
            return self.body.encode("utf-8"), "text/plain; charset=utf-8"
        return json.dumps(self.body).encode("utf-8"), "application/json"


Responder = Callable[[ReceivedRequest], ScriptedResponse]


class HttpReceiver:
    """A threaded HTTP server that records every request and answers from a script: queued
    responses first (one per request), then `responder(request)` if given, else `default`.
    With `tls` (a server context) it serves HTTPS."""

    def __init__(self, *, port: int = 0, clock: Clock | None = None,
                 default: ScriptedResponse | None = None,
                 responder: Responder | None = None,
                 tls: ssl.SSLContext | None = None) -> None:
        self._port = port
        self._tls = tls
        self._clock = clock or SystemClock()
        self.default = default or ScriptedResponse()
        self.responder = responder
        self._script: deque[ScriptedResponse] = deque()
        self._requests: list[ReceivedRequest] = []
        self._changed = threading.Condition()
        self._released = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle
    def start(self) -> Self:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with receiver._changed:
                    receiver._connections.add(self.connection)

            def finish(self) -> None:
                with receiver._changed:
                    receiver._connections.discard(self.connection)
                # OSError: the receiver stopped and cut the connection under us.
                with contextlib.suppress(OSError):
                    super().finish()

            def _read_body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks: list[bytes] = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            self.rfile.readline()
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _handle(self) -> None:
                path, _, query = self.path.partition("?")
                request = ReceivedRequest(
                    method=self.command, path=path, query=query,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self._read_body(), received_at=receiver._clock.now())
                response = receiver._record(request)
                if response.delay > 0 and receiver._released.wait(response.delay):
                    return  # stopping: drop the connection instead of answering
                payload, content_type = response.encoded()
                try:
                    self.send_response(response.status)
                    headers = {"Content-Type": content_type, **response.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (e.g. its timeout fired)

            do_POST = do_PUT = do_GET = do_DELETE = do_PATCH = _handle

        self._released.clear()
        server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        server.daemon_threads = True
        server.block_on_close = False  # idle keep-alive connections must not hold up stop()
        if self._tls is not None:  # HTTPS, e.g. with a `self_signed_certificate()`
            server.socket = self._tls.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"http-receiver-{self._port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut open connections, as a crashed receiver would: clients
        holding keep-alive connections see errors, not a server that still answers."""
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            with self._changed:
                connections = list(self._connections)
            for connection in connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # addressing
    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        scheme = "https" if self._tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self._port}"

    def url_for(self, path: str) -> str:
        return f"{self.url}/{path.lstrip('/')}"

    # scripting and inspection
    def respond(self, *responses: ScriptedResponse) -> None:
        """Queue answers for the next requests, in order."""
        with self._changed:
            self._script.extend(responses)

    def _record(self, request: ReceivedRequest) -> ScriptedResponse:
        with self._changed:
            self._requests.append(request)
            if self._script:
                response = self._script.popleft()
            elif self.responder is not None:
                response = self.responder(request)
            else:
                response = self.default
            self._changed.notify_all()
            return response

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._changed:
            return list(self._requests)

    def clear(self) -> None:
        with self._changed:
            self._requests.clear()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedRequest]:
        """Block until at least `count` requests have arrived; returns them all."""
        _wait(self._changed, lambda: len(self._requests) >= count, timeout,
              f"{count} request(s) to {self.url}")
        return self.requests


# --------------------------------------------------------------------------------------- SMTP


@dataclass(frozen=True)
class ReceivedEmail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    received_at: _dt.datetime
    authenticated_as: str | None
    tls: bool

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""  # type: ignore[no-any-return]

    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""  # type: ignore[no-any-return]


class _SmtpHandler:
    def __init__(self, receiver: SmtpReceiver) -> None:
        self._receiver = receiver

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = getattr(session, "auth_data", None)
        login_name = login.login.decode() if login is not None and hasattr(login, "login") \
            else None
        received = ReceivedEmail(
            mail_from=str(envelope.mail_from), rcpt_tos=tuple(envelope.rcpt_tos),
            data=bytes(envelope.original_content or envelope.content or b""),
            received_at=self._receiver._clock.now(), authenticated_as=login_name,
            tls=session.ssl is not None or (
                server.transport is not None
                and server.transport.get_extra_info("ssl_object") is not None))
        return self._receiver._record(received)


class SmtpReceiver:
    """A real aiosmtpd server on 127.0.0.1. Options: AUTH with one login (`auth`), STARTTLS
    (`starttls` context; `require_starttls`), or implicit TLS (`implicit_tls` context).
    `respond("451 4.3.0 try later")` queues DATA replies; otherwise mail is accepted."""

    def __init__(self, *, auth: tuple[str, str] | None = None,
                 starttls: ssl.SSLContext | None = None, require_starttls: bool = False,
                 implicit_tls: ssl.SSLContext | None = None,
                 clock: Clock | None = None) -> None:
        self._auth = auth
        self._starttls = starttls
        self._require_starttls = require_starttls
        self._implicit_tls = implicit_tls
        self._clock = clock or SystemClock()
        self._messages: list[ReceivedEmail] = []
        self._replies: deque[str] = deque()
        self._changed = threading.Condition()
        self._controller: Any = None
        self.host = "127.0.0.1"
        self.port = 0

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = (self._auth is not None and isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == self._auth[0]
              and auth_data.password.decode() == self._auth[1])
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    def start(self) -> Self:
        from aiosmtpd.controller import Controller

        kwargs: dict[str, Any] = {}
        if self._auth is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True,
                          auth_require_tls=self._starttls is not None and
                          self._require_starttls)
        if self._starttls is not None:
            kwargs.update(tls_context=self._starttls, require_starttls=self._require_starttls)
        self.port = free_port(self.host)
        self._controller = Controller(_SmtpHandler(self), hostname=self.host, port=self.port,
                                      ssl_context=self._implicit_tls,
                                      server_hostname="localhost", **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def respond(self, *replies: str) -> None:
        with self._changed:
            self._replies.extend(replies)

    def _record(self, received: ReceivedEmail) -> str:
        with self._changed:
            reply = self._replies.popleft() if self._replies else "250 OK"
            if reply.startswith("2"):
                self._messages.append(received)
            self._changed.notify_all()
            return reply

    @property
    def messages(self) -> list[ReceivedEmail]:
        with self._changed:
            return list(self._messages)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedEmail]:
        _wait(self._changed, lambda: len(self._messages) >= count, timeout,
              f"{count} email(s) to {self.host}:{self.port}")
        return self.messages


# ---------------------------------------------------------------------------------------- TLS


@dataclass(frozen=True)
class CertificatePair:
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def self_signed_certificate(directory: Path, hostname: str = "localhost") -> CertificatePair:
    """A throwaway self-signed certificate for `hostname` and 127.0.0.1, valid for a day
    around the real current time (TLS libraries check it against the real clock)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = SystemClock().now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(hours=1))
        .not_valid_after(now + _dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName(hostname), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return CertificatePair(cert_file, key_file)

