"""The shared test receivers behave like real, stoppable servers."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import httpx
import pytest

from warroom.testing.receivers import HttpReceiver, ScriptedResponse, SmtpReceiver


def test_stop_cuts_keep_alive_clients_and_restart_on_the_same_port_works() -> None:
    receiver = HttpReceiver().start()
    port = receiver.port
    with httpx.Client(timeout=2) as client:
        assert client.post(receiver.url_for("/a"), content=b"1").status_code == 200
        receiver.stop()  # must return although the client holds a keep-alive connection
        with pytest.raises(httpx.TransportError):
            client.post(f"http://127.0.0.1:{port}/a", content=b"2")
        again = HttpReceiver(port=port).start()
        try:
            assert client.post(again.url_for("/a"), content=b"3").status_code == 200
            assert [r.body for r in again.requests] == [b"3"]
        finally:
            again.stop()
    assert [r.body for r in receiver.requests] == [b"1"]


def test_scripted_responses_then_responder_then_default() -> None:
    with HttpReceiver(default=ScriptedResponse(202)) as receiver, httpx.Client() as client:
        receiver.respond(ScriptedResponse(500), ScriptedResponse(429, headers={"Retry-After": "1"}))
        codes = [client.post(receiver.url_for("/x")).status_code for _ in range(3)]
        receiver.responder = lambda request: ScriptedResponse(201, {"path": request.path})
        reply = client.post(receiver.url_for("/y"), json={"k": "v"})
        assert codes == [500, 429, 202]
        assert (reply.status_code, reply.json()) == (201, {"path": "/y"})
        request = receiver.wait_for(4)[-1]
        assert request.json() == {"k": "v"}
        assert request.header("content-type") == "application/json"


def test_wait_for_times_out_with_a_clear_message() -> None:
    with HttpReceiver() as receiver, pytest.raises(TimeoutError, match="1 request"):
        receiver.wait_for(1, timeout=0.05)


def test_smtp_receiver_records_accepted_mail_and_scripted_rejections() -> None:
    mail = EmailMessage()
    mail["Subject"], mail["From"], mail["To"] = "hi", "a@example.com", "b@example.com"
    mail.set_content("body")
    with SmtpReceiver() as smtp:
        smtp.respond("550 5.1.1 no such user")
        with smtplib.SMTP(smtp.host, smtp.port, timeout=5) as client:
            with pytest.raises(smtplib.SMTPDataError):
                client.send_message(mail)
            client.send_message(mail)
        [received] = smtp.wait_for(1)
    assert received.message["Subject"] == "hi"
    assert received.text().strip() == "body"
