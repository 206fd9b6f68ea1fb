"""The metrics export of spec section 7: one function behind ``export_metrics`` and the API.

The export is computed from the stored Salesforce data (not from rollups), so it is exact for
any ``as_of``: the leads created in the window, all of their history, activities and status
changes, through the pure engine in ``routing_health.metrics``. Business-hours metrics use the
calendars of the configuration completed from the synced Salesforce BusinessHours/Holiday
records (``calendar_sources.resolved_params``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from routing_health.config import RoutingConfig
from routing_health.facts.calendars import resolved_params
from routing_health.facts.duplicates import duplicate_cohort_facts
from routing_health.facts.frames import load_frames, local_days_utc
from routing_health.metrics import (
    DUPLICATE_NAMES,
    GROUP_KEYS,
    METRIC_NAMES,
    MetricParams,
    cohort,
    lead_facts_of,
    metrics_rows,
)
from routing_health.metrics import total_metrics as _total_metrics

EXPORT_NAMES: tuple[str, ...] = (*METRIC_NAMES, *DUPLICATE_NAMES)
"""Every metric the export prints: the routing metrics, then the duplicates family."""

BAD_DATE = "{name} must be a date YYYY-MM-DD, got {value!r}"
BAD_INSTANT = "as_of must be an ISO 8601 instant such as 2026-11-20T12:00:00Z, got {value!r}"
BAD_RANGE = "start {start} is after end {end}"
UNKNOWN_KEY = "cannot group by {key!r}: use {known}"
REPEATED_KEY = "group key {key!r} is given twice"


class ExportError(ValueError):
    """A bad export request; the message names the parameter."""


@dataclass(frozen=True)
class ExportRequest:
    start: date
    end: date
    by: tuple[str, ...]
    as_of: datetime  # aware UTC, whole seconds


def group_keys(config: RoutingConfig) -> tuple[str, ...]:
    """Every grouping the export accepts: the spec's keys and the configured extra fields."""
    return (*GROUP_KEYS, *config.lead_fields.extra)


def parse_request(
    config: RoutingConfig,
    *,
    start: str | None,
    end: str | None,
    by: str | Sequence[str] | None,
    as_of: str | None,
    now: datetime | None = None,
) -> ExportRequest:
    """Validate raw parameters (strings) into a request; defaults per spec section 7."""
    instant = _parse_instant(as_of) if as_of else (now or datetime.now(UTC))
    instant = instant.astimezone(UTC).replace(microsecond=0)
    tz = ZoneInfo(config.report.timezone)
    yesterday = instant.astimezone(tz).date() - timedelta(days=1)
    end_day = _parse_date("end", end) if end else yesterday
    start_day = _parse_date("start", start) if start else end_day - timedelta(days=6)
    if start_day > end_day:
        raise ExportError(BAD_RANGE.format(start=start_day, end=end_day))
    keys = _parse_by(config, by)
    return ExportRequest(start=start_day, end=end_day, by=keys, as_of=instant)


def _parse_date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ExportError(BAD_DATE.format(name=name, value=value)) from None


def _parse_instant(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ExportError(BAD_INSTANT.format(value=value)) from None
    # An instant without an offset is read as UTC, the unit of every stored time.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_by(config: RoutingConfig, by: str | Sequence[str] | None) -> tuple[str, ...]:
    if not by:
        return ()
    raw = by.split(",") if isinstance(by, str) else list(by)
    keys = [key.strip() for key in raw if key.strip()]
    known = group_keys(config)
    seen: set[str] = set()
    for key in keys:
        if key not in known:
            raise ExportError(UNKNOWN_KEY.format(key=key, known=", ".join(known)))
        if key in seen:
            raise ExportError(REPEATED_KEY.format(key=key))
        seen.add(key)
    return tuple(keys)


def compute_export(config: RoutingConfig, request: ExportRequest) -> dict[str, Any]:
    """The export document of spec section 7 for ``request``."""
    params = resolved_params(config)  # business-hours calendars completed from Salesforce
    extra = [key for key in request.by if key in config.lead_fields.extra]
    members = duplicate_cohort_facts(
        config, params, request.start, request.end, request.as_of, extra
    )
    return {
        "as_of": request.as_of.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "start": request.start.isoformat(),
        "end": request.end.isoformat(),
        "timezone": config.report.timezone,
        "by": list(request.by),
        "rows": metrics_rows(members, list(request.by), params) if request.by else [],
        "total": _total_metrics(members, params),
    }


def cohort_facts(
    params: MetricParams,
    start: date,
    end: date,
    as_of: datetime,
    extra: Sequence[str] = (),
) -> pd.DataFrame:
    """Facts, as of ``as_of`` (aware), of the leads created on the local days ``[start, end]``
    of ``params.report_timezone``: the export's cohort, with the ``extra`` lead fields.

    ``params`` is usually ``calendar_sources.resolved_params(config)``.
    """
    # The cohort's local days are the half-open UTC window [start's midnight, the midnight
    # after end); leads created after as_of are not loaded (the engine drops them anyway).
    created_from, created_to = local_days_utc(start, end, ZoneInfo(params.report_timezone))
    frames = load_frames(
        created_from=created_from, created_to=created_to, as_of=as_of, extra=extra
    )
    return cohort(lead_facts_of(frames, params, as_of), start, end)


def to_json(document: dict[str, Any]) -> str:
    """The one serialisation shared by the command and the API (byte-identical output)."""
    return json.dumps(document, ensure_ascii=False, allow_nan=False) + "\n"


def to_csv(document: dict[str, Any]) -> str:
    """Group keys then every metric of the document (in the total's order); one line per row,
    or the total when ungrouped."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    keys = list(document["by"])
    names = list(document["total"])  # EXPORT_NAMES for compute_export's documents
    writer.writerow([*keys, *names])
    rows = document["rows"] if keys else [document["total"]]
    for row in rows:
        writer.writerow(["" if row.get(k) is None else row[k] for k in (*keys, *names)])
    return out.getvalue()
