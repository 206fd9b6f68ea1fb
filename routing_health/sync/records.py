"""Parsing Salesforce records for the sync: values, malformed records, page results.

Records arrive from REST (JSON) or Bulk API 2.0 (CSV) already in one canonical text form
(``salesforce.canonical_records``: ``true``, ``2500000``, ``2026-01-05T10:11:12.000Z``, null as
``None``); the parsers also accept typed values. A malformed record (missing Id, unparseable
date) is logged with its Id and skipped; the page goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any

from routing_health.lib.sfid import is_sf_id, to_18

log = logging.getLogger(__name__)



class MalformedRecord(ValueError):
    """A record we cannot store; the message names the field."""


class ObjectProblem(ValueError):
    """What was read cannot be used as a whole (e.g. a filter matching no record); the object's
    run fails with this message and the other objects go on."""


@dataclass
class PageResult:
    upserted: int = 0
    skipped: int = 0
    max_watermark: datetime | None = None


def newest_of(values: Iterable[datetime]) -> datetime | None:
    """The latest of ``values`` (a page's new watermark), or None for none."""
    return max(values, default=None)


# -- value parsers ---------------------------------------------------------------------------
def parse_datetime(value: Any, name: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        raise MalformedRecord(f"{name} is missing")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedRecord(f"{name} {value!r} is not a Salesforce datetime") from None
    if parsed.tzinfo is None:
        raise MalformedRecord(f"{name} {value!r} has no timezone")
    return parsed.astimezone(UTC)


def parse_date(value: Any, name: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise MalformedRecord(f"{name} {value!r} is not a date") from None


def parse_time(value: Any, name: str) -> time | None:
    """A Salesforce time: ``09:00:00.000Z`` in REST and CSV (the ``Z`` notwithstanding,
    BusinessHours times are local to the record's TimeZoneSidKey); null stays null."""
    if value in (None, ""):
        return None
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value).rstrip("Z")[:12])
    except ValueError:
        raise MalformedRecord(f"{name} {value!r} is not a time") from None


def parse_int(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        raise MalformedRecord(f"{name} {value!r} is not a number") from None


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() == "true"


def parse_id(value: Any, name: str, *, required: bool = True) -> str:
    if value is None or value == "":
        if required:
            raise MalformedRecord(f"{name} is missing")
        return ""
    normalised = _normalised_id(value)
    if normalised is None:
        raise MalformedRecord(f"{name} {value!r} is not a Salesforce Id")
    return normalised


@lru_cache(maxsize=65_536)
def _normalised_id_slow(text: str) -> str | None:
    return to_18(text) if is_sf_id(text) else None


def _normalised_id(value: Any) -> str | None:
    text = str(value)
    # Salesforce sends 18-character Ids; their checksum is verified once per distinct
    # owner/lead value through the cache, and unique Ids (record keys) only by shape.
    if len(text) == 18 and text.isascii() and text.isalnum():
        return text
    return _normalised_id_slow(text)


def text(value: Any, limit: int = 255) -> str:
    return "" if value is None else str(value)[:limit]


def parse_all(
    sobject: str, records: Iterable[dict[str, Any]], build: Callable[[dict[str, Any]], Any]
) -> tuple[list[Any], int]:
    built, skipped = [], 0
    for record in records:
        try:
            item = build(record)
        except MalformedRecord as exc:
            skipped += 1
            log.warning(
                "sync object=%s record=%s skipped: %s", sobject, record.get("Id") or "?", exc
            )
            continue
        if item is not None:
            built.append(item)
    return built, skipped
