"""Probes against real local HTTP and TLS servers; N failures in a row raise one alert."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from warroom.clock import FakeClock
from warroom.intake.probes import (
    ProbeConfig,
    ProbeResult,
    ProbeState,
    check_certificate,
    observe,
    run_http_probe,
)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        routes = {"/api/health": (200, b'{"status":"ok"}'),
                  "/api/ready": (503, b'{"status":"starting"}')}
        code, body = routes.get(self.path, (404, b"not found"))
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def http_base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _probe(url: str, **extra: object) -> ProbeConfig:
    return ProbeConfig.model_validate({"name": "api-health", "url": url, **extra})


def test_healthy_endpoint_passes(http_base: str) -> None:
    with httpx.Client() as client:
        result = run_http_probe(_probe(f"{http_base}/api/health", expect_body='"ok"'), client,
                                FakeClock())
    assert result.ok and result.status_code == 200
    assert result.duration_ms is not None


def test_unexpected_status_and_missing_body_text_fail(http_base: str) -> None:
    with httpx.Client() as client:
        ready = run_http_probe(_probe(f"{http_base}/api/ready"), client, FakeClock())
        wrong_text = run_http_probe(_probe(f"{http_base}/api/health", expect_body="healthy"),
                                    client, FakeClock())
        accepted = run_http_probe(_probe(f"{http_base}/api/ready", expect_status=[503]),
                                  client, FakeClock())
    assert not ready.ok and "returned 503, expected 2xx" in ready.detail
    assert not wrong_text.ok and "does not contain 'healthy'" in wrong_text.detail
    assert accepted.ok


def test_refused_connection_and_timeout_fail() -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    try:
        with httpx.Client() as client:
            refused = run_http_probe(_probe(f"http://127.0.0.1:{port}/"), client, FakeClock())
            timed_out = run_http_probe(
                _probe(f"http://127.0.0.1:{silent.getsockname()[1]}/", timeout="200ms"),
                client, FakeClock())
    finally:
        silent.close()
    assert not refused.ok
    assert not timed_out.ok and "timed out" in timed_out.detail


def test_failures_alert_only_after_n_in_a_row_and_success_resolves() -> None:
    probe = _probe("http://x/api/health", failures_before_alert=3, severity="critical")
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    fail = ProbeResult("api-health", "http", at, False, "returned 503")
    ok = ProbeResult("api-health", "http", at, True, "returned 200")
    state = ProbeState()
    emitted = []
    for result in [fail, fail, ok, fail, fail, fail, fail, ok, ok]:
        state, signal = observe(probe, state, result, "probes", service="api")
        emitted.append(signal.status if signal else None)
    assert emitted == [None, None, None, None, None, "firing", None, "resolved", None]


def _certificate(tmp_path: Path, not_after: datetime) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC)).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


NOT_AFTER = datetime(2099, 12, 31, tzinfo=UTC)


@pytest.fixture()
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    cert_path, key_path = _certificate(tmp_path, NOT_AFTER)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], cert_path
    stop.set()
    listener.close()


def test_certificate_close_to_expiry_fails(tls_server: tuple[int, Path]) -> None:
    port, _ = tls_server
    probe = _probe(f"https://127.0.0.1:{port}/", tls_expiry_days=14, verify_tls=False)
    soon = check_certificate(probe, FakeClock(NOT_AFTER - timedelta(days=3)))
    assert not soon.ok and "within 14 days" in soon.detail
    assert soon.cert_expires_at == NOT_AFTER
    expired = check_certificate(probe, FakeClock(NOT_AFTER + timedelta(days=1)))
    assert not expired.ok and "expired" in expired.detail
    fine = check_certificate(probe, FakeClock(NOT_AFTER - timedelta(days=30)))
    assert fine.ok


def test_certificate_check_verifies_the_chain_when_asked(tls_server: tuple[int, Path]) -> None:
    port, cert_path = tls_server
    probe = _probe(f"https://127.0.0.1:{port}/", tls_expiry_days=14)
    trusted = check_certificate(probe, FakeClock(datetime(2026, 1, 5, tzinfo=UTC)),
                                cafile=str(cert_path))
    assert trusted.ok, trusted.detail
    untrusted = check_certificate(probe, FakeClock(datetime(2026, 1, 5, tzinfo=UTC)))
    assert not untrusted.ok and "certificate verify failed" in untrusted.detail


def test_tls_expiry_signal_names_the_certificate(tls_server: tuple[int, Path]) -> None:
    port, _ = tls_server
    probe = _probe(f"https://127.0.0.1:{port}/", tls_expiry_days=14, verify_tls=False,
                   failures_before_alert=1)
    result = check_certificate(probe, FakeClock(NOT_AFTER - timedelta(days=3)))
    _, signal = observe(probe, ProbeState(), result, "probes")
    assert signal is not None and signal.labels["alertname"] == "CertificateExpiring"
    assert signal.dedup_key == "probe:api-health:tls"
