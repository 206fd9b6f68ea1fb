"""Salesforce-shaped Ids for the emulated org: 15 → 18 characters, base-62 counters.
"""

from __future__ import annotations

from datetime import UTC, datetime

from routing_health.lib.sfid import InvalidSalesforceId, to_18

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ID_CHARS = frozenset(_BASE62)

# Ids the Org allocates itself start here, so ids made by callers with small `n` never collide.
ORG_ID_BASE = 10_000_000_000


def new_id(prefix: str, n: int) -> str:
    """The `n`-th 18-character Salesforce Id with key prefix `prefix` (e.g. "00Q" for Lead).

    Shape: 3-char prefix, pod "5g", reserved "0", 9 base-62 digits of `n`, 3-char checksum.
    """
    if len(prefix) != 3 or not set(prefix) <= _ID_CHARS:
        raise ValueError(f"bad key prefix {prefix!r}")
    if not 0 <= n < 62**9:
        raise ValueError(f"id counter out of range: {n}")
    digits = []
    while True:
        n, rem = divmod(n, 62)
        digits.append(_BASE62[rem])
        if n == 0:
            break
    return to_18(prefix + "5g0" + "".join(reversed(digits)).rjust(9, "0"))


def to_id18(value: str) -> str | None:
    """The 18-character form of a 15- or 18-character Id, or None if `value` is not an Id
    (including an 18-character value whose checksum suffix is wrong)."""
    try:
        return to_18(value)
    except InvalidSalesforceId:
        return None


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: the org stores aware UTC datetimes")
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)
