"""E-mail transport: sends one message through Django's SMTP backend and classifies failures.

A leaf like ``routing_health.slack.transport``: it imports no domain types (nothing of ours but
``lib``). ``MailTransport`` sends a subject, a plain-text body and an HTML alternative from
``ALERT_EMAIL_FROM`` to some addresses through ``django.core.mail.backends.smtp.EmailBackend``,
built explicitly from the parsed ``EMAIL_URL`` (not from the global ``EMAIL_BACKEND`` setting,
so tests and production send the same way). One call is one SMTP session, never retried here:
retries belong to the notification outbox.

Failures raise ``MailPermanentError`` (don't retry) or ``MailRetryableError`` (retry later):

- a refused recipient (``SMTPRecipientsRefused``, 5xx for RCPT TO) is permanent and disables
  that address (``disables == "recipient"``, ``recipients`` names them);
- an authentication failure, a refused sender (5xx for MAIL FROM), a server that cannot do the
  STARTTLS or AUTH asked for, or a TLS certificate that does not verify are permanent and
  disable the SMTP destination (``disables == "server"``);
- a message the server refuses with 5xx after DATA is permanent for that message only;
- connection refused, timeouts, ``SMTPServerDisconnected`` and every 4xx answer are retryable.

Nothing here logs or raises the password: errors carry SMTP codes and the server's answer.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import make_msgid
from typing import Literal

from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend

from routing_health.lib.env import EmailServer, parse_email_url

logger = logging.getLogger(__name__)

Disables = Literal["server", "recipient"] | None
SERVER_ERRORS = frozenset({"auth_failed", "sender_refused", "not_supported", "tls_error"})
RECIPIENT_ERRORS = frozenset({"recipient_refused"})
ANSWER_CHARS = 200


class MailError(Exception):
    """An e-mail could not be sent. ``code``: ours (``recipient_refused``, ``smtp_451``…);
    ``smtp_code``: the server's reply code when it answered."""

    permanent = False

    def __init__(self, code: str, detail: str = "", *, smtp_code: int | None = None):
        self.code = code
        self.detail = detail
        self.smtp_code = smtp_code
        super().__init__(f"SMTP {code}" + (f": {detail}" if detail else ""))


class MailPermanentError(MailError):
    """Retrying will not help. ``disables``: ``"server"`` (the SMTP settings are unusable),
    ``"recipient"`` (these ``recipients`` are refused) or None (this message only)."""

    permanent = True

    def __init__(
        self,
        code: str,
        detail: str = "",
        *,
        smtp_code: int | None = None,
        recipients: Sequence[str] = (),
    ):
        super().__init__(code, detail, smtp_code=smtp_code)
        self.recipients = tuple(recipients)

    @property
    def disables(self) -> Disables:
        if self.code in SERVER_ERRORS:
            return "server"
        if self.code in RECIPIENT_ERRORS:
            return "recipient"
        return None


class MailRetryableError(MailError):
    """Worth another attempt later (the outbox backs off)."""


def _answer(code: int | None, message: bytes | str | None) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message or ""
    text = " ".join(text.split())[:ANSWER_CHARS]
    return f"{code} {text}".strip() if code is not None else text


def _refused(error: smtplib.SMTPRecipientsRefused) -> MailError:
    refused: Mapping[str, tuple[int, bytes]] = error.recipients or {}
    codes = {address: reply[0] for address, reply in refused.items()}
    detail = "; ".join(
        f"{address} ({_answer(*reply)})" for address, reply in sorted(refused.items())
    )
    if codes and all(code >= 500 for code in codes.values()):
        return MailPermanentError(
            "recipient_refused", detail, smtp_code=max(codes.values()),
            recipients=sorted(codes),
        )
    worst = max(codes.values(), default=None)
    return MailRetryableError(f"smtp_{worst}" if worst else "recipient_deferred", detail,
                              smtp_code=worst)


def classify_exception(error: BaseException) -> MailError | None:
    """The ``MailError`` for an exception raised while sending, or None if not an SMTP one."""
    if isinstance(error, MailError):
        return error
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return _refused(error)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return MailPermanentError(
            "auth_failed", _answer(error.smtp_code, error.smtp_error), smtp_code=error.smtp_code
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return MailPermanentError("not_supported", str(error)[:ANSWER_CHARS])
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return MailRetryableError("disconnected", str(error)[:ANSWER_CHARS])
    if isinstance(error, smtplib.SMTPResponseException):
        code, detail = error.smtp_code, _answer(error.smtp_code, error.smtp_error)
        if not 500 <= code < 600:
            return MailRetryableError(f"smtp_{code}", detail, smtp_code=code)
        if isinstance(error, smtplib.SMTPSenderRefused):
            return MailPermanentError("sender_refused", detail, smtp_code=code)
        return MailPermanentError("message_refused", detail, smtp_code=code)
    if isinstance(error, ssl.SSLCertVerificationError):
        reason = getattr(error, "verify_message", "") or ""
        return MailPermanentError("tls_error", str(reason)[:ANSWER_CHARS])
    if isinstance(error, TimeoutError):
        return MailRetryableError("timeout")
    if isinstance(error, smtplib.SMTPException | OSError):
        # refused, reset, DNS failure, an SSL handshake cut short: the server may come back
        return MailRetryableError("connection_error", type(error).__name__)
    return None


@dataclass(frozen=True)
class SentMail:
    """A message the server accepted: its Message-ID, and the addresses it refused anyway
    (only when some of several recipients were refused: smtplib then raises nothing)."""

    message_id: str
    refused: Mapping[str, str]


class _Backend(EmailBackend):
    """Django's SMTP backend, keeping smtplib's map of refused recipients (Django drops it)."""

    refused: dict[str, tuple[int, bytes]]

    def _send(self, email_message: EmailMultiAlternatives) -> bool:  # type: ignore[override]
        connection = self.connection
        original = connection.sendmail

        def sendmail(*args: object, **kwargs: object) -> dict[str, tuple[int, bytes]]:
            self.refused = original(*args, **kwargs)  # type: ignore[arg-type]
            return self.refused

        connection.sendmail = sendmail  # type: ignore[method-assign]
        try:
            return bool(super()._send(email_message))
        finally:
            connection.sendmail = original  # type: ignore[method-assign]


def _close_quietly(backend: EmailBackend) -> None:
    try:
        backend.close()
    except Exception:  # the session is already broken; the first error is the one to report
        for connection in (backend.connection, getattr(backend, "_partial_connection", None)):
            if connection is not None:
                connection.close()
        backend.connection = None


class MailTransport:
    """Sends e-mail from ``from_address`` through the SMTP ``server``."""

    def __init__(self, *, server: EmailServer, from_address: str):
        if not from_address:
            raise ValueError("a sender address (ALERT_EMAIL_FROM) is required")
        self.server = server
        self.from_address = from_address

    def __repr__(self) -> str:
        return f"MailTransport(server={self.server.describe()!r}, from={self.from_address!r})"

    @classmethod
    def from_settings(cls) -> MailTransport | None:
        """A transport from ``EMAIL_URL`` / ``ALERT_EMAIL_FROM``; None unless both are set."""
        from django.conf import settings

        url = getattr(settings, "EMAIL_URL", None)
        sender = getattr(settings, "ALERT_EMAIL_FROM", None)
        if not url or not sender:
            return None
        return cls(server=parse_email_url(url, "EMAIL_URL"), from_address=sender)

    def backend(self) -> EmailBackend:
        """Django's SMTP backend for ``server`` (explicit: the EMAIL_BACKEND setting is unused)."""
        server = self.server
        return _Backend(
            host=server.host,
            port=server.port,
            username=server.username or None,
            password=server.password or None,
            use_tls=server.use_tls,
            use_ssl=server.use_ssl,
            timeout=server.timeout,
            fail_silently=False,
        )

    def send(self, *, to: Sequence[str], subject: str, text: str, html: str = "") -> SentMail:
        """Send one message (plain text, with ``html`` as an alternative) to ``to``."""
        if not to:
            raise ValueError("no recipients")
        domain = self.from_address.rpartition("@")[2].strip(" >") or None
        message_id = make_msgid(domain=domain)
        message = EmailMultiAlternatives(
            subject=subject, body=text, from_email=self.from_address, to=list(to),
            headers={"Message-ID": message_id},
        )
        if html:
            message.attach_alternative(html, "text/html")
        backend = self.backend()
        backend.refused = {}  # type: ignore[attr-defined]
        try:
            with backend:
                backend.send_messages([message])
        except Exception as exc:
            _close_quietly(backend)  # a login that failed leaves a half-open session
            error = classify_exception(exc)
            if error is None:
                raise
            logger.debug("SMTP %s failed: %s", self.server.describe(), error.code)
            raise error from None
        refused = {
            address: _answer(*reply)
            for address, reply in (getattr(backend, "refused", None) or {}).items()
        }
        return SentMail(message_id=message_id, refused=refused)
