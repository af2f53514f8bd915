"""Email over SMTP against a real aiosmtpd server: plain, AUTH, STARTTLS, implicit TLS and
the reply codes that decide retrying."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from warroom.clock import FakeClock
from warroom.notify.base import Notifier
from warroom.notify.config import CHANNEL_CONFIG_ADAPTER
from warroom.notify.registry import NotifierDeps, build_notifier
from warroom.testing.messages import sample_message
from warroom.testing.receivers import (
    CertificatePair,
    SmtpReceiver,
    free_port,
    self_signed_certificate,
)

# The plain-text AUTH tests deliberately run without TLS; aiosmtpd warns about that.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> CertificatePair:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    with SmtpReceiver() as server:
        yield server


def email_notifier(port: int, **settings: Any) -> Notifier:
    config = CHANNEL_CONFIG_ADAPTER.validate_python(
        {"type": "email", "host": "127.0.0.1", "port": port,
         "from_address": "warroom <warroom@example.com>", "timeout": 5, **settings},
        context={"env": {}})
    return build_notifier(config, NotifierDeps(clock=FakeClock()))


def test_plain_smtp_delivers_multipart_text_and_html(smtp: SmtpReceiver) -> None:
    result = email_notifier(smtp.port).send(sample_message(), "oncall@example.com")
    assert result.ok, result.detail
    [mail] = smtp.messages
    assert mail.rcpt_tos == ("oncall@example.com",)
    assert mail.mail_from == "warroom@example.com"
    message = mail.message
    assert message["Subject"] == "INCIDENT DECLARED — [P0] Checkout API returning 502s"
    assert message["To"] == "oncall@example.com"
    assert message["X-Warroom-Incident"] == "INC-2026-0042"
    assert message["X-Warroom-Idempotency-Key"] == "inc-0042:page:1"
    assert message["Date"] == "Mon, 05 Jan 2026 09:00:00 +0000"
    assert message.get_content_type() == "multipart/alternative"
    assert "Impact: Checkout fails <50%> & more" in mail.text()
    assert "Bridge: https://meet.example.com/inc-2026-0042" in mail.text()
    assert "Checkout fails &lt;50%&gt; &amp; more" in mail.html()
    assert 'href="https://meet.example.com/inc-2026-0042"' in mail.html()
    assert not mail.tls and mail.authenticated_as is None


def test_same_idempotency_key_gives_same_message_id(smtp: SmtpReceiver) -> None:
    notifier = email_notifier(smtp.port, to=["a@example.com"])
    notifier.send(sample_message())
    notifier.send(sample_message())
    notifier.send(sample_message(idempotency_key="other"))
    ids = [mail.message["Message-ID"] for mail in smtp.wait_for(3)]
    assert ids[0] == ids[1] != ids[2]
    assert ids[0].endswith("@example.com>")


def test_default_recipients_are_used_when_no_destination(smtp: SmtpReceiver) -> None:
    email_notifier(smtp.port, to=["a@example.com", "b@example.com"]).send(sample_message())
    assert smtp.messages[0].rcpt_tos == ("a@example.com", "b@example.com")


def test_no_recipient_is_a_final_failure(smtp: SmtpReceiver) -> None:
    result = email_notifier(smtp.port).send(sample_message())
    assert (result.ok, result.retryable, result.status) == (False, False, "no-recipient")


def test_auth_login_is_used() -> None:
    with SmtpReceiver(auth=("warroom", "hunter2-pass")) as smtp:
        result = email_notifier(smtp.port, username="warroom", password="hunter2-pass").send(
            sample_message(), "oncall@example.com")
        assert result.ok, result.detail
        assert smtp.messages[0].authenticated_as == "warroom"


def test_wrong_password_is_final_and_secret_free() -> None:
    with SmtpReceiver(auth=("warroom", "right-password")) as smtp:
        result = email_notifier(smtp.port, username="warroom", password="wrong-password").send(
            sample_message(), "oncall@example.com")
    assert (result.ok, result.retryable, result.status) == (False, False, "smtp-535")
    assert "username and password" in result.detail
    assert "wrong-password" not in result.detail
    assert smtp.messages == []


def test_starttls_with_auth_and_a_trusted_self_signed_cert(certificate: CertificatePair) -> None:
    with SmtpReceiver(auth=("warroom", "tls-pass"), starttls=certificate.server_context(),
                      require_starttls=True) as smtp:
        result = email_notifier(smtp.port, security="starttls", username="warroom",
                                password="tls-pass", ca_file=str(certificate.cert_file)).send(
            sample_message(), "oncall@example.com")
        assert result.ok, result.detail
        [mail] = smtp.messages
        assert mail.tls and mail.authenticated_as == "warroom"


def test_starttls_refuses_an_untrusted_certificate(certificate: CertificatePair) -> None:
    with SmtpReceiver(starttls=certificate.server_context()) as smtp:
        result = email_notifier(smtp.port, security="starttls").send(
            sample_message(), "oncall@example.com")
    assert (result.ok, result.retryable, result.status) == (False, False, "tls-verify")
    assert "ca_file" in result.detail
    assert smtp.messages == []


def test_implicit_tls(certificate: CertificatePair) -> None:
    with SmtpReceiver(implicit_tls=certificate.server_context()) as smtp:
        result = email_notifier(smtp.port, security="tls",
                                ca_file=str(certificate.cert_file)).send(
            sample_message(), "oncall@example.com")
        assert result.ok, result.detail
        assert smtp.messages[0].tls


def test_transient_4xx_reply_is_retryable(smtp: SmtpReceiver) -> None:
    smtp.respond("451 4.3.0 Try again later")
    result = email_notifier(smtp.port).send(sample_message(), "oncall@example.com")
    assert (result.ok, result.retryable, result.status) == (False, True, "smtp-451")
    assert "Try again later" in result.detail


def test_permanent_5xx_reply_is_final(smtp: SmtpReceiver) -> None:
    smtp.respond("554 5.7.1 Message rejected")
    result = email_notifier(smtp.port).send(sample_message(), "oncall@example.com")
    assert (result.ok, result.retryable, result.status) == (False, False, "smtp-554")


def test_unreachable_server_is_retryable() -> None:
    result = email_notifier(free_port()).send(sample_message(), "oncall@example.com")
    assert (result.ok, result.retryable, result.status) == (False, True, "connection-error")


def test_drill_messages_are_marked(smtp: SmtpReceiver) -> None:
    email_notifier(smtp.port).send(sample_message(drill=True), "a@example.com")
    assert smtp.messages[0].message["X-Warroom-Drill"] == "true"
