"""The one formatter: how every surface shows a metric value, a duration, a count or a time.

Pure functions, no Django: the timezone is an argument. One rule each:

- **No data** — ``None``, NaN or an infinity (an empty denominator, no assigned lead…) reads
  ``NO_DATA`` = ``"—"`` (an em dash), never ``0``.
- **Rates** (0..1) read as a percentage with one decimal, ``"93.8%"``, ``"95.0%"``; within one
  point of either end (``0 < r ≤ 0.01`` or ``0.99 ≤ r < 1``) with two, ``"99.53%"``,
  ``"99.50%"``, ``"0.47%"``, where the difference matters; exactly 0 and 1 read ``"0%"`` and
  ``"100%"``, and nothing else does (0.99999 reads ``"99.99%"``, not ``"100.00%"``).
- **Durations** are given in minutes (``hours`` metrics are converted) and read in one unit,
  chosen on the value as it would be shown, so 59.97 minutes reads ``"1 h"``, not ``"60 min"``:
  under 1 minute whole seconds (``"45 s"``); under 60 minutes minutes with one decimal
  (``"4.5 min"``, ``"42 min"``); under 48 hours hours with one decimal (``"3.2 h"``, ``"3 h"``);
  else days with one decimal (``"2.1 d"``, ``"1,234 d"``). A trailing ``.0`` is dropped.
  A negative duration (a touch logged before creation) gets a minus sign, U+2212.
- **Counts** are whole numbers with thousands separators: ``"12,345"``.
- **Times** are shown in the report timezone as ``"2026-03-29 03:30 CEST"`` (ISO date, 24-hour
  clock, the zone's abbreviation on that date, so DST shows); a naive datetime is read as UTC,
  the unit of every stored time. **Dates** read ``"2026-03-29"``.

``routing_health.metrics.catalog.format_metric(name, value)`` looks the unit of ``name`` up in
the metric catalog and calls ``format_value`` here, so a metric reads the same on the dashboard,
the lead timeline, Slack, the digest and the weekly review. This module imports nothing of ours
(``lib`` is the bottom layer).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

NO_DATA = "—"
MINUS = "−"
UNKNOWN_UNIT = "unknown unit {unit!r}: use count, rate, minutes or hours"
UNKNOWN_TIMEZONE = "unknown timezone {name!r}: use an IANA name such as 'Europe/Berlin'"
NOT_A_TIME = "format_time needs a datetime, got {value!r}"

TIME_FORMAT = "%Y-%m-%d %H:%M"
DATE_FORMAT = "%Y-%m-%d"
SECONDS_BELOW_MINUTES = 60  # seconds under one minute
MINUTES_BELOW_HOURS = 60.0  # minutes under one hour
HOURS_BELOW_DAYS = 48.0  # hours under two days
_MISSING_TYPES = frozenset({"NAType", "NaTType"})  # pandas.NA, pandas.NaT


def float_or_none(value: object) -> float | None:
    """A number as a float, ``None`` for ``None`` or NaN (what a pandas row gives for "no
    value"); for the rows pages and reports keep before formatting."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)  # type: ignore[arg-type]


def is_no_data(value: object) -> bool:
    """``None``, NaN, an infinity or a pandas missing value: shown as ``NO_DATA``."""
    if value is None or type(value).__name__ in _MISSING_TYPES:
        return True
    try:
        return not math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False  # not a number: the formatter raises its own error


def format_rate(value: float | None) -> str:
    """A share 0..1 as a percentage: ``0.9375`` → ``"93.8%"``, ``0.9953`` → ``"99.53%"``."""
    if value is None or is_no_data(value):
        return NO_DATA
    if value in (0.0, 1.0):
        return f"{value * 100:.0f}%"
    percent = float(value) * 100.0
    if 0.0 < value <= 0.01 or 0.99 <= value < 1.0:
        # Only exactly 0 and 1 may read as 0 % and 100 %.
        return f"{min(max(percent, 0.01), 99.99):.2f}%"
    return f"{_signed(percent, 1)}%"


def format_minutes(value: float | None) -> str:
    """A duration in minutes for people: ``"45 s"``, ``"4.5 min"``, ``"3.2 h"``, ``"2.1 d"``."""
    if value is None or is_no_data(value):
        return NO_DATA
    sign = MINUS if value < 0 else ""
    minutes = abs(float(value))
    seconds = round(minutes * 60.0)
    if seconds < SECONDS_BELOW_MINUTES:
        return f"{sign}{seconds} s"
    if _shown(minutes) < MINUTES_BELOW_HOURS:
        return f"{sign}{_one_decimal(minutes)} min"
    if _shown(minutes / 60.0) < HOURS_BELOW_DAYS:
        return f"{sign}{_one_decimal(minutes / 60.0)} h"
    return f"{sign}{_one_decimal(minutes / 1440.0)} d"


def format_hours(value: float | None) -> str:
    """A duration in hours, by the same rule as ``format_minutes``: ``30.5`` → ``"30.5 h"``."""
    if value is None or is_no_data(value):
        return NO_DATA
    return format_minutes(float(value) * 60.0)


def format_duration(value: timedelta | None) -> str:
    """A ``timedelta`` by the rule of ``format_minutes``."""
    return NO_DATA if value is None else format_minutes(value.total_seconds() / 60.0)


def format_count(value: float | None) -> str:
    """A whole number with thousands separators: ``12345`` → ``"12,345"``."""
    if value is None or is_no_data(value):
        return NO_DATA
    number = round(float(value))
    return f"{MINUS if number < 0 else ''}{abs(number):,}"


def format_value(value: float | None, unit: str) -> str:
    """``value`` in ``unit`` (``count``, ``rate``, ``minutes`` or ``hours``)."""
    if unit == "rate":
        return format_rate(value)
    if unit == "minutes":
        return format_minutes(value)
    if unit == "hours":
        return format_hours(value)
    if unit == "count":
        return format_count(value)
    raise ValueError(UNKNOWN_UNIT.format(unit=unit))


def format_time(value: datetime | None, tz: tzinfo | str) -> str:
    """An instant in the report timezone ``tz`` (a tzinfo or an IANA name):
    ``"2026-03-29 03:30 CEST"``. A naive ``value`` is UTC."""
    if value is None or is_no_data(value):
        return NO_DATA
    if not isinstance(value, datetime):
        raise TypeError(NOT_A_TIME.format(value=value))
    instant = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    local = instant.astimezone(_zone(tz))
    return f"{local.strftime(TIME_FORMAT)} {local.tzname() or ''}".rstrip()


def format_date(value: date | datetime | None, tz: tzinfo | str | None = None) -> str:
    """A calendar date, ``"2026-03-29"``; a datetime is first taken to ``tz`` (UTC if none)."""
    if value is None or is_no_data(value):
        return NO_DATA
    if isinstance(value, datetime):
        instant = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        value = instant.astimezone(_zone(tz) if tz is not None else UTC).date()
    return value.strftime(DATE_FORMAT)


def _zone(tz: tzinfo | str) -> tzinfo:
    if isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(UNKNOWN_TIMEZONE.format(name=tz)) from None


def _shown(value: float) -> float:
    """``value`` as it reads with one decimal."""
    return float(f"{value:.1f}")


def _one_decimal(value: float) -> str:
    return f"{value:,.1f}".removesuffix(".0")


def _signed(value: float, decimals: int) -> str:
    text = f"{abs(value):,.{decimals}f}"
    return f"{MINUS}{text}" if value < 0 else text
