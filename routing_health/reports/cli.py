"""What the report commands share: reading ``--as-of``."""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.management.base import CommandError

BAD_INSTANT = "--as-of must be an ISO 8601 instant such as 2026-11-20T12:00:00Z, got {value!r}"


def parse_instant(value: str | None) -> datetime:
    """An ISO instant (one without an offset is read as UTC); now when ``value`` is empty."""
    if not value:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(BAD_INSTANT.format(value=value)) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
