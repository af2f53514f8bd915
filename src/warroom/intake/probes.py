"""HTTP and TLS-certificate probes: run one check, and turn a run of failures into a Signal."""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from pydantic import BaseModel, ConfigDict, Field

from warroom.clock import Clock
from warroom.intake.signal import Signal
from warroom.routing.duration import Duration

SOURCE = "probe"
ProbeKind = Literal["http", "tls"]


class ProbeConfig(BaseModel):
    """A probe declared under a service in config."""

    model_config = ConfigDict(extra="forbid")

    name: str
    url: str
    method: str = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    expect_status: list[int] = Field(
        default_factory=list, description="Accepted status codes; empty means any 2xx.")
    expect_body: str | None = Field(None, description="Text the response body must contain.")
    timeout: Duration = timedelta(seconds=5)
    interval: Duration = timedelta(seconds=60)
    failures_before_alert: int = Field(3, ge=1)
    tls_expiry_days: int | None = Field(
        None, ge=0, description="Also check the certificate; alert within this many days.")
    verify_tls: bool = True
    severity: str | None = None


@dataclass(frozen=True)
class ProbeResult:
    probe: str
    kind: ProbeKind
    at: datetime
    ok: bool
    detail: str
    status_code: int | None = None
    duration_ms: float | None = None
    cert_expires_at: datetime | None = None


@dataclass(frozen=True)
class ProbeState:
    """What the engine keeps between runs of one probe check."""

    consecutive_failures: int = 0
    alerting: bool = False


def _judge(probe: ProbeConfig, response: httpx.Response) -> tuple[bool, str]:
    code = response.status_code
    status_ok = code in probe.expect_status if probe.expect_status else 200 <= code < 300
    if not status_ok:
        wanted = ", ".join(map(str, probe.expect_status)) or "2xx"
        return False, f"{probe.method} {probe.url} returned {code}, expected {wanted}"
    if probe.expect_body is not None and probe.expect_body not in response.text:
        return False, f"{probe.method} {probe.url} body does not contain {probe.expect_body!r}"
    return True, f"{probe.method} {probe.url} returned {code}"


def _failure(probe: ProbeConfig, at: datetime, exc: Exception, started: float) -> ProbeResult:
    reason = "timed out" if isinstance(exc, httpx.TimeoutException) else str(exc) or repr(exc)
    return ProbeResult(probe.name, "http", at, False, f"{probe.method} {probe.url}: {reason}",
                       duration_ms=(time.perf_counter() - started) * 1000)


class ProbeClients:
    """The HTTP clients probes share: one verifying certificates, one for probes declared with
    `verify_tls: false` (self-signed or private-CA hosts). Close with `close()` or `with`."""

    def __init__(self, cafile: str | None = None) -> None:
        verify: ssl.SSLContext | bool = (ssl.create_default_context(cafile=cafile)
                                         if cafile else True)
        self.verifying = httpx.Client(follow_redirects=False, verify=verify)
        self.unverified = httpx.Client(follow_redirects=False, verify=False)

    def for_probe(self, probe: ProbeConfig) -> httpx.Client:
        return self.verifying if probe.verify_tls else self.unverified

    def close(self) -> None:
        self.verifying.close()
        self.unverified.close()

    def __enter__(self) -> ProbeClients:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_http_probe(probe: ProbeConfig, client: httpx.Client, clock: Clock) -> ProbeResult:
    """One HTTP check with a blocking client."""
    at = clock.now()
    started = time.perf_counter()
    try:
        response = client.request(probe.method, probe.url, headers=probe.headers,
                                  timeout=probe.timeout.total_seconds())
    except httpx.HTTPError as exc:
        return _failure(probe, at, exc, started)
    ok, detail = _judge(probe, response)
    return ProbeResult(probe.name, "http", at, ok, detail, response.status_code,
                       (time.perf_counter() - started) * 1000)


def check_certificate(probe: ProbeConfig, clock: Clock, cafile: str | None = None) -> ProbeResult:
    """Connect with TLS, read the certificate's notAfter and fail within `tls_expiry_days`.

    Blocking; run it in a thread from async code.
    """
    at = clock.now()
    parts = urlsplit(probe.url)
    host = parts.hostname or ""
    port = parts.port or 443
    warn_days = probe.tls_expiry_days or 0
    context = ssl.create_default_context(cafile=cafile)
    if not probe.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    started = time.perf_counter()
    try:
        with socket.create_connection((host, port), timeout=probe.timeout.total_seconds()) as raw, \
                context.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError) as exc:
        return ProbeResult(probe.name, "tls", at, False, f"TLS to {host}:{port}: {exc}",
                           duration_ms=(time.perf_counter() - started) * 1000)
    elapsed = (time.perf_counter() - started) * 1000
    if der is None:
        return ProbeResult(probe.name, "tls", at, False,
                           f"TLS to {host}:{port}: server sent no certificate",
                           duration_ms=elapsed)
    not_after = x509.load_der_x509_certificate(der).not_valid_after_utc
    remaining = not_after - at
    if remaining <= timedelta(0):
        detail, ok = f"certificate for {host} expired at {not_after.isoformat()}", False
    elif remaining <= timedelta(days=warn_days):
        detail, ok = (f"certificate for {host} expires at {not_after.isoformat()}, within "
                      f"{warn_days} days"), False
    else:
        detail, ok = f"certificate for {host} valid until {not_after.isoformat()}", True
    return ProbeResult(probe.name, "tls", at, ok, detail, duration_ms=elapsed,
                       cert_expires_at=not_after)


def dedup_key(probe: ProbeConfig, kind: ProbeKind) -> str:
    return f"probe:{probe.name}:{kind}"


def observe(probe: ProbeConfig, state: ProbeState, result: ProbeResult, integration: str,
            service: str | None = None) -> tuple[ProbeState, Signal | None]:
    """Fold one result into the state; fire after N consecutive failures, resolve on success."""
    if result.ok:
        signal = _signal(probe, result, integration, service) if state.alerting else None
        return ProbeState(), signal
    failures = state.consecutive_failures + 1
    if not state.alerting and failures >= probe.failures_before_alert:
        return (ProbeState(failures, alerting=True),
                _signal(probe, result, integration, service))
    return ProbeState(failures, state.alerting), None


def _signal(probe: ProbeConfig, result: ProbeResult, integration: str,
            service: str | None) -> Signal:
    alertname = "CertificateExpiring" if result.kind == "tls" else "ProbeFailed"
    labels = {"alertname": alertname, "probe": probe.name, "probe_kind": result.kind}
    if service:
        labels["service"] = service
    if probe.severity:
        labels["severity"] = probe.severity
    annotations = {"detail": result.detail, "url": probe.url}
    if result.cert_expires_at is not None:
        annotations["cert_expires_at"] = result.cert_expires_at.isoformat()
    firing = not result.ok
    return Signal(
        source=SOURCE,
        integration=integration,
        dedup_key=dedup_key(probe, result.kind),
        status="firing" if firing else "resolved",
        summary=(f"Probe {probe.name} failing: {result.detail}" if firing
                 else f"Probe {probe.name} recovered: {result.detail}"),
        severity_hint=probe.severity,
        labels=labels,
        annotations=annotations,
        starts_at=result.at if firing else None,
        ends_at=None if firing else result.at,
        links=[{"href": probe.url, "text": "Probe target"}],
    )
