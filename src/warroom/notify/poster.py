"""The HTTP POST every web-based channel shares, and the mapping from HTTP outcomes to
DeliveryResults: 2xx ok; 429 retryable honouring Retry-After; 5xx, timeouts and connection
errors retryable; any other status final.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from pydantic import SecretStr

from warroom.clock import Clock, utc
from warroom.notify.base import DeliveryResult
from warroom.notify.secrets import redact

log = logging.getLogger("warroom.notify")

_DETAIL_BODY_CHARS = 300


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, (utc(when) - utc(now)).total_seconds())


def origin(url: str | httpx.URL) -> str:
    """scheme://host:port of a URL; paths and queries often carry tokens, so we never show
    them."""
    try:
        parsed = httpx.URL(str(url))
    except (httpx.InvalidURL, TypeError):
        return "<invalid url>"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}"


class _UrlRedactingFilter(logging.Filter):
    """httpx logs each request's full URL at INFO; webhook URLs are credentials."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL)
                                                  for a in record.args):
            record.args = tuple(f"{origin(a)}/<redacted>" if isinstance(a, httpx.URL) else a
                                for a in record.args)
        return True


_FILTER = _UrlRedactingFilter()


def install_log_redaction() -> None:
    """Idempotently stop httpx from logging URL paths and queries."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


RetryAfterFromBody = Callable[[httpx.Response], float | None]


class HttpPoster:
    """Posts to one receiver through one pooled client; thread-safe like httpx.Client."""

    def __init__(self, *, clock: Clock, timeout: float,
                 secrets: Iterable[SecretStr | str | None] = (),
                 transport: httpx.BaseTransport | None = None) -> None:
        install_log_redaction()
        self._clock = clock
        self._secrets = list(secrets)
        self._client = httpx.Client(timeout=timeout, transport=transport,
                                    headers={"User-Agent": "warroom-notify/1"})

    def scrub(self, text: str) -> str:
        return redact(text, self._secrets)

    def post(self, url: str, *, json: Any = None, content: bytes | None = None,
             data: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None,
             auth: tuple[str | bytes, str | bytes] | None = None,
             retry_after_from_body: RetryAfterFromBody | None = None) -> DeliveryResult:
        where = origin(url)
        try:
            response = self._client.post(
                url, json=json, content=content, data=data, headers=headers,
                auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT)
        except httpx.TimeoutException as exc:
            return self._failed("timeout", f"no answer from {where} in time "
                                f"({type(exc).__name__})", retryable=True)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            return self._failed("bad-url", f"cannot post to {where}: {exc}; fix the channel's "
                                "url", retryable=False)
        except httpx.TransportError as exc:
            return self._failed("connection-error",
                                f"could not reach {where}: {type(exc).__name__}: {exc}",
                                retryable=True)
        return self.classify(response, retry_after_from_body)

    def classify(self, response: httpx.Response,
                 retry_after_from_body: RetryAfterFromBody | None = None) -> DeliveryResult:
        code = response.status_code
        where = origin(response.request.url)
        status = str(code)
        if 200 <= code < 300:
            return DeliveryResult.success(status, self.scrub(f"{code} from {where}"))
        snippet = response.text[:_DETAIL_BODY_CHARS].strip()
        detail = self.scrub(f"HTTP {code} from {where}: {snippet}" if snippet
                            else f"HTTP {code} from {where}")
        if code == 429:
            hint = retry_after_from_body(response) if retry_after_from_body else None
            if hint is None:
                hint = parse_retry_after(response.headers.get("Retry-After"), self._clock.now())
            return self._failed(status, detail, retryable=True, retry_after=hint)
        if code >= 500:
            hint = parse_retry_after(response.headers.get("Retry-After"), self._clock.now())
            return self._failed(status, detail, retryable=True, retry_after=hint)
        return self._failed(status, detail, retryable=False)

    def _failed(self, status: str, detail: str, *, retryable: bool,
                retry_after: float | None = None) -> DeliveryResult:
        result = DeliveryResult.failure(status, self.scrub(detail), retryable=retryable,
                                        retry_after=retry_after)
        log.info("delivery failed: %s %s", result.status, result.detail)
        return result

    def close(self) -> None:
        self._client.close()
