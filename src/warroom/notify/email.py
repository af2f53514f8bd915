"""Email over SMTP: plain, STARTTLS or implicit TLS, optional AUTH; multipart text + HTML."""

from __future__ import annotations

import hashlib
import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from warroom.clock import Clock
from warroom.notify.base import DeliveryResult, Message, links_not_in_body
from warroom.notify.config import EmailChannel
from warroom.notify.secrets import redact


def message_id(message: Message, domain: str) -> str:
    """A stable Message-ID per idempotency key, so a resent copy threads as the same mail."""
    digest = hashlib.sha256(message.idempotency_key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def html_body(message: Message) -> str:
    links = "".join(f'<li><a href="{html.escape(link.url, quote=True)}">'
                    f"{html.escape(link.label)}</a></li>" for link in links_not_in_body(message))
    links_html = f"<ul>{links}</ul>" if links else ""
    body = html.escape(message.body)
    for link in message.links:  # the links the body already shows become clickable there
        url = html.escape(link.url, quote=True)
        if link.url in message.body:
            body = body.replace(html.escape(link.url), f'<a href="{url}">{url}</a>')
    return (
        "<!doctype html><html><body>"
        f"<h2 style=\"font-family:sans-serif\">{html.escape(message.subject)}</h2>"
        "<pre style=\"font-family:monospace;white-space:pre-wrap\">"
        f"{body}</pre>{links_html}</body></html>"
    )


def build_email(message: Message, config: EmailChannel, recipients: list[str],
                clock: Clock) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = config.from_address
    mail["To"] = ", ".join(recipients)
    mail["Date"] = format_datetime(clock.now())
    domain = parseaddr(config.from_address)[1].rpartition("@")[2] or "warroom.invalid"
    mail["Message-ID"] = message_id(message, domain)
    mail["X-Warroom-Incident"] = message.incident_human_id
    mail["X-Warroom-Kind"] = message.kind
    mail["X-Warroom-Idempotency-Key"] = message.idempotency_key
    if message.drill:
        mail["X-Warroom-Drill"] = "true"
    text = message.body
    extra = links_not_in_body(message)
    if extra:
        text += "\n\n" + "\n".join(f"{link.label}: {link.url}" for link in extra)
    mail.set_content(text + "\n")
    mail.add_alternative(html_body(message), subtype="html")
    return mail


def _tls_context(config: EmailChannel) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=config.ca_file)
    if not config.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _classify_smtp(exc: smtplib.SMTPResponseException, where: str) -> DeliveryResult:
    code = exc.smtp_code
    reply = exc.smtp_error.decode("utf-8", "replace") if isinstance(
        exc.smtp_error, bytes) else str(exc.smtp_error)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        hint = "; check the channel's username and password"
    else:
        hint = ""
    # 4xx replies are transient by definition (RFC 5321 §4.2.1); 5xx are permanent.
    return DeliveryResult.failure(f"smtp-{code}", f"{where} replied {code} {reply}{hint}",
                                  retryable=400 <= code < 500)


class EmailNotifier:
    """One SMTP connection per send: simple, and nothing to go stale between pages."""

    def __init__(self, config: EmailChannel, *, clock: Clock) -> None:
        self._config = config
        self._clock = clock

    def __repr__(self) -> str:
        return (f"EmailNotifier(host={self._config.host!r}, port={self._config.port}, "
                f"security={self._config.security!r})")

    def send(self, message: Message, destination: str | None = None) -> DeliveryResult:
        recipients = ([address.strip() for address in destination.split(",")] if destination
                      else list(self._config.to))
        if not recipients:
            return DeliveryResult.failure(
                "no-recipient", "email needs an address: give the user an email contact "
                "method or set `to:` on the channel", retryable=False)
        mail = build_email(message, self._config, recipients, self._clock)
        result = self._deliver(mail, recipients)
        return DeliveryResult(ok=result.ok, retryable=result.retryable,
                              retry_after=result.retry_after, status=result.status,
                              detail=redact(result.detail, self._config.secrets()))

    def _deliver(self, mail: EmailMessage, recipients: list[str]) -> DeliveryResult:
        config = self._config
        where = f"smtp://{config.host}:{config.port}"
        try:
            smtp: smtplib.SMTP
            if config.security == "tls":
                smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout,
                                        context=_tls_context(config))
            else:
                smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
            with smtp:
                smtp.ehlo()
                if config.security == "starttls":
                    smtp.starttls(context=_tls_context(config))
                    smtp.ehlo()
                if config.username is not None and config.password is not None:
                    smtp.login(config.username, config.password.get_secret_value())
                refused = smtp.send_message(mail, from_addr=parseaddr(config.from_address)[1],
                                            to_addrs=recipients)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            transient = all(400 <= code < 500 for code in codes)
            return DeliveryResult.failure(
                f"smtp-{codes[0] if codes else 550}",
                f"{where} refused every recipient: {', '.join(exc.recipients)}",
                retryable=transient)
        except smtplib.SMTPResponseException as exc:
            return _classify_smtp(exc, where)
        except smtplib.SMTPNotSupportedError as exc:
            return DeliveryResult.failure(
                "smtp-unsupported", f"{where}: {exc}; check the channel's `security:` setting "
                "(none, starttls or tls)", retryable=False)
        except ssl.SSLCertVerificationError as exc:
            return DeliveryResult.failure(
                "tls-verify", f"{where}: certificate not trusted ({exc.verify_message}); set "
                "`ca_file:` to the server's CA, or fix the host name", retryable=False)
        except TimeoutError:
            return DeliveryResult.failure("timeout", f"{where} did not answer in time",
                                          retryable=True)
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            return DeliveryResult.failure("connection-error",
                                          f"{where}: {type(exc).__name__}: {exc}",
                                          retryable=True)
        if refused:
            return DeliveryResult.success(
                "250", f"accepted by {where}, but refused for {', '.join(sorted(refused))}")
        return DeliveryResult.success("250", f"accepted by {where}")

    def close(self) -> None:
        pass
