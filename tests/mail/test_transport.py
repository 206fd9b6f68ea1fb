"""The SMTP transport: classification of failures (unit) and sending to a real local server."""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl

import pytest

from routing_health.lib.env import parse_email_url
from routing_health.mail.transport import (
    MailPermanentError,
    MailRetryableError,
    MailTransport,
    classify_exception,
)
from tests.conftest import EMAIL_FROM, SMTP_PASSWORD, SMTP_PASSWORD_QUOTED, SMTP_USER

# -- classification -----------------------------------------------------------------------------


def test_a_recipient_refused_with_550_is_permanent_and_disables_that_recipient():
    error = classify_exception(smtplib.SMTPRecipientsRefused(
        {"gone@example.com": (550, b"5.1.1 mailbox unavailable")}))
    assert isinstance(error, MailPermanentError)
    assert (error.code, error.disables, error.recipients, error.smtp_code) == (
        "recipient_refused", "recipient", ("gone@example.com",), 550)
    assert "gone@example.com (550 5.1.1 mailbox unavailable)" in str(error)


def test_a_recipient_deferred_with_451_is_retryable():
    error = classify_exception(smtplib.SMTPRecipientsRefused(
        {"later@example.com": (451, b"4.7.1 greylisted")}))
    assert isinstance(error, MailRetryableError)
    assert (error.code, error.smtp_code, error.permanent) == ("smtp_451", 451, False)


@pytest.mark.parametrize(
    ("exception", "code"),
    [
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 authentication failed"), "auth_failed"),
        (smtplib.SMTPSenderRefused(553, b"5.7.1 sender not allowed", "x@example.com"),
         "sender_refused"),
        (smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."),
         "not_supported"),
        (ssl.SSLCertVerificationError(1, "certificate verify failed"), "tls_error"),
    ],
)
def test_server_errors_are_permanent_and_disable_the_smtp_destination(exception, code):
    error = classify_exception(exception)
    assert isinstance(error, MailPermanentError)
    assert (error.code, error.disables) == (code, "server")


def test_a_message_refused_after_data_is_permanent_for_that_message_only():
    error = classify_exception(smtplib.SMTPDataError(554, b"5.6.0 message content rejected"))
    assert isinstance(error, MailPermanentError)
    assert (error.code, error.disables) == ("message_refused", None)


@pytest.mark.parametrize(
    ("exception", "code"),
    [
        (smtplib.SMTPDataError(451, b"4.3.0 try again later"), "smtp_451"),
        (smtplib.SMTPSenderRefused(421, b"4.7.0 too busy", "x@example.com"), "smtp_421"),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), "disconnected"),
        (smtplib.SMTPConnectError(421, b"service not available"), "smtp_421"),
        (ConnectionRefusedError(111, "Connection refused"), "connection_error"),
        (TimeoutError("timed out"), "timeout"),
        (socket.gaierror(-2, "Name or service not known"), "connection_error"),
    ],
)
def test_outages_and_4xx_answers_are_retryable(exception, code):
    error = classify_exception(exception)
    assert isinstance(error, MailRetryableError)
    assert error.code == code


def test_an_unrelated_exception_is_not_classified():
    assert classify_exception(ValueError("a bug")) is None


# -- a real local SMTP server ------------------------------------------------------------------


def transport_for(url: str) -> MailTransport:
    return MailTransport(server=parse_email_url(url), from_address=EMAIL_FROM)


def test_a_message_arrives_with_text_and_html_from_the_sender(smtp_server):
    transport = MailTransport.from_settings()
    assert transport is not None
    assert transport.server.password == SMTP_PASSWORD  # decoded from the URL

    sent = transport.send(
        to=["revops@example.com"], subject="Hello", text="plain words", html="<p>html words</p>"
    )

    [mail] = smtp_server.messages
    assert mail.mail_from == "routing-health@example.com"
    assert mail.rcpt_tos == ("revops@example.com",)
    assert mail.message["Subject"] == "Hello"
    assert mail.message["From"] == EMAIL_FROM
    assert mail.message["Message-ID"] == sent.message_id
    assert mail.message.get_body(("plain",)).get_content().strip() == "plain words"
    assert mail.message.get_body(("html",)).get_content().strip() == "<p>html words</p>"
    assert sent.refused == {}


def test_a_refused_recipient_raises_a_permanent_recipient_error(smtp_server):
    smtp_server.handler.refuse("gone@example.com")
    with pytest.raises(MailPermanentError) as caught:
        MailTransport.from_settings().send(to=["gone@example.com"], subject="s", text="t")
    assert (caught.value.code, caught.value.disables) == ("recipient_refused", "recipient")
    assert caught.value.recipients == ("gone@example.com",)
    assert smtp_server.messages == []


def test_one_refused_recipient_of_two_is_reported_and_the_other_gets_the_mail(smtp_server):
    smtp_server.handler.refuse("gone@example.com")
    sent = MailTransport.from_settings().send(
        to=["gone@example.com", "revops@example.com"], subject="s", text="t")
    assert list(sent.refused) == ["gone@example.com"]
    assert sent.refused["gone@example.com"].startswith("550 5.1.1")
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ("revops@example.com",)


def test_a_451_after_data_is_retryable(smtp_server):
    smtp_server.handler.defer(1)
    with pytest.raises(MailRetryableError) as caught:
        MailTransport.from_settings().send(to=["revops@example.com"], subject="s", text="t")
    assert (caught.value.code, caught.value.smtp_code) == ("smtp_451", 451)
    MailTransport.from_settings().send(to=["revops@example.com"], subject="s", text="t")
    assert len(smtp_server.messages) == 1


def test_a_wrong_password_is_a_server_error_and_never_logged(smtp_server, caplog):
    caplog.set_level(logging.DEBUG)
    url = smtp_server.url.replace(SMTP_PASSWORD_QUOTED, "wrong%20horse")
    with pytest.raises(MailPermanentError) as caught:
        transport_for(url).send(to=["revops@example.com"], subject="s", text="t")
    assert (caught.value.code, caught.value.disables) == ("auth_failed", "server")
    assert caught.value.smtp_code == 535
    text = caplog.text + str(caught.value) + repr(caught.value.__cause__)
    assert "wrong horse" not in text and "wrong%20horse" not in text
    assert SMTP_PASSWORD not in caplog.text
    assert smtp_server.messages == []


def test_the_transport_repr_names_the_server_without_the_password(smtp_server):
    text = repr(MailTransport.from_settings())
    assert f"{SMTP_USER}@127.0.0.1:{smtp_server.port}" in text
    assert SMTP_PASSWORD not in text and SMTP_PASSWORD_QUOTED not in text


def test_a_server_that_is_not_there_is_retryable(smtp_server):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening: connections are refused
        with pytest.raises(MailRetryableError) as caught:
            transport_for(f"smtp://127.0.0.1:{port}?timeout=2").send(
                to=["revops@example.com"], subject="s", text="t")
    assert caught.value.code == "connection_error"


def test_not_configured_without_both_settings(settings):
    settings.EMAIL_URL, settings.ALERT_EMAIL_FROM = "smtp://127.0.0.1:2525", None
    assert MailTransport.from_settings() is None
    settings.EMAIL_URL, settings.ALERT_EMAIL_FROM = None, EMAIL_FROM
    assert MailTransport.from_settings() is None
