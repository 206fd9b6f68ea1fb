"""Tiny typed helpers to read settings from the environment (12-factor)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no)")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None


def envfloat(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number") from None


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# --------------------------------------------------------------------------------------------
# EMAIL_URL: smtp://user:pass@host:587?tls=true (spec section 2.1)

EMAIL_SCHEMES = {"smtp": 25, "smtps": 465}
EMAIL_OPTIONS = ("tls", "ssl", "timeout")
DEFAULT_EMAIL_TIMEOUT = 10.0


@dataclass(frozen=True)
class EmailServer:
    """An SMTP server parsed from ``EMAIL_URL``. The password is kept out of ``repr``."""

    host: str
    port: int
    username: str = ""
    password: str = field(default="", repr=False)
    use_tls: bool = False  # STARTTLS after connecting
    use_ssl: bool = False  # implicit TLS (smtps://, ?ssl=true)
    timeout: float = DEFAULT_EMAIL_TIMEOUT

    def describe(self) -> str:
        """``user@host:587 (STARTTLS)``: for people and logs, never with the password."""
        user = f"{self.username}@" if self.username else ""
        security = " (TLS)" if self.use_ssl else " (STARTTLS)" if self.use_tls else ""
        return f"{user}{self.host}:{self.port}{security}"


def _email_bool(name: str, shown: str, key: str, values: list[str]) -> bool:
    value = values[-1].strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={shown!r}: {key}={values[-1]!r} is not a boolean (true/false)"
    )


def parse_email_url(url: str, name: str = "EMAIL_URL") -> EmailServer:
    """The SMTP server of ``url`` (``smtp://user:pass@host:587?tls=true``, ``smtps://…`` or
    ``?ssl=true`` for implicit TLS, ``?timeout=10``; user and password URL-decoded).

    A malformed value raises ``ImproperlyConfigured`` naming ``name`` and never quoting the
    password (the message shows the URL without it).
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
        host = parts.hostname or ""
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not a valid SMTP URL: {exc}") from None
    shown = _without_password(parts)
    if parts.scheme not in EMAIL_SCHEMES:
        raise ImproperlyConfigured(
            f"{name}={shown!r}: the scheme must be smtp:// or smtps:// (e.g. "
            "smtp://user:pass@host:587?tls=true)"
        )
    if not host:
        raise ImproperlyConfigured(f"{name}={shown!r} names no host")
    if parts.path not in ("", "/") or parts.fragment:
        raise ImproperlyConfigured(f"{name}={shown!r}: unexpected path or fragment")
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise ImproperlyConfigured(f"{name}={shown!r}: malformed query string") from None
    unknown = sorted(set(query) - set(EMAIL_OPTIONS))
    if unknown:
        raise ImproperlyConfigured(
            f"{name}={shown!r}: unknown option {unknown[0]!r} (known: tls, ssl, timeout)"
        )
    use_tls = _email_bool(name, shown, "tls", query["tls"]) if "tls" in query else False
    use_ssl = parts.scheme == "smtps" or (
        _email_bool(name, shown, "ssl", query["ssl"]) if "ssl" in query else False
    )
    if use_tls and use_ssl:
        raise ImproperlyConfigured(
            f"{name}={shown!r}: tls (STARTTLS) and ssl/smtps (implicit TLS) exclude each other"
        )
    timeout = DEFAULT_EMAIL_TIMEOUT
    if "timeout" in query:
        try:
            timeout = float(query["timeout"][-1])
        except ValueError:
            timeout = -1.0
        if not math.isfinite(timeout) or timeout <= 0:
            raise ImproperlyConfigured(
                f"{name}={shown!r}: timeout must be a positive number of seconds"
            )
    if port is None:
        port = 465 if use_ssl else 587 if use_tls else EMAIL_SCHEMES[parts.scheme]
    return EmailServer(
        host=host,
        port=port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=use_tls,
        use_ssl=use_ssl,
        timeout=timeout,
    )


def _without_password(parts: SplitResult) -> str:
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username or ''}:***@{netloc.rpartition('@')[2]}"
    return urlunsplit(parts._replace(netloc=netloc))


def envemail(name: str = "EMAIL_URL") -> EmailServer | None:
    """The SMTP server of the environment variable ``name``; None when unset or empty."""
    value = envstr(name)
    return None if value is None else parse_email_url(value, name)
