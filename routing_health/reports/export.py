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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from routing_health.config import RoutingConfig, Shadow
from routing_health.config.model import DataQuality
from routing_health.facts.calendars import resolved_params
from routing_health.facts.duplicates import (
    PARTNERS_BY_ID,
    load_contacts,
    match_duplicates,
    partner_ids,
)
from routing_health.facts.frames import (
    Frames,
    concat_frames,
    concat_leads,
    load_frames,
    load_leads,
    local_days_utc,
)
from routing_health.facts.reps import load_rep_states
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
from routing_health.metrics.aggregate import SHADOW_NAMES
from routing_health.metrics.catalog import availability_names
from routing_health.metrics.duplicates import DUPLICATE_COLUMNS
from routing_health.metrics.fairness import availability_members, availability_values
from routing_health.metrics.inputs import INPUT_COLUMNS
from routing_health.metrics.shadow import shadow_facts
from routing_health.rollups.service import config_fingerprint
from routing_health.rollups.stored import stored_lead_facts, stored_state

EXPORT_NAMES = (*METRIC_NAMES, *availability_names(), *DUPLICATE_NAMES)
"""The export's metric columns: the catalog's ``METRICS``, its fairness counts, then the
duplicates family (then, with ``[shadow]``, the shadow metrics)."""

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
    """Every grouping the export accepts: the spec's keys, the configured extra fields, and
    with ``[data_quality]`` fields ``lead_source`` and ``input_missing_fields``."""
    inputs = INPUT_COLUMNS if config.data_quality.enabled else ()
    return (*GROUP_KEYS, *config.lead_fields.extra, *inputs)


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


def compute_export(
    config: RoutingConfig, request: ExportRequest, *, raw: bool = False
) -> dict[str, Any]:
    """The export document of spec section 7 for ``request`` (from the stored facts when they
    can serve; with ``raw`` from the raw rows: ``export_members``)."""
    params = resolved_params(config)  # business-hours calendars completed from Salesforce
    members, leads = export_members(config, params, request, raw=raw)
    away = availability_members(members, leads, load_rep_states(),
                                params.closed_statuses)
    rows = metrics_rows(members, list(request.by), params) if request.by else []
    if request.by:
        grouped = availability_values(members, away, request.by)
        for row, counts in zip(rows, grouped, strict=True):
            row.update(counts)
    total = _total_metrics(members, params)
    total.update(availability_values(members, away, ())[0])
    # Column order: the catalog's metrics, the fairness counts, the duplicates family, then
    # (with [shadow]) the shadow metrics — the same in the JSON and the CSV.
    names = [*EXPORT_NAMES, *(n for n in SHADOW_NAMES if n in total)]
    rows = [_ordered(row, request.by, names) for row in rows]
    total = _ordered(total, (), names)
    return {
        "as_of": request.as_of.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "start": request.start.isoformat(),
        "end": request.end.isoformat(),
        "timezone": config.report.timezone,
        "by": list(request.by),
        "rows": rows,
        "total": total,
    }


def export_members(
    config: RoutingConfig, params: MetricParams, request: ExportRequest, *, raw: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The export's cohort facts — with the shadow and duplicates columns — and the loaded
    leads frame (availability reads it).

    One load and one engine pass: the cohort's leads and, of the leads created from
    ``[duplicates] window_days`` before the cohort up to ``as_of``, those sharing a domain or a
    company key with a cohort lead (``facts.duplicates.partner_ids``: the only ones matching
    can need); a lead's facts depend on its own records only. The same as ``cohort_facts``
    with ``facts.duplicates.duplicate_cohort_facts``' columns, which load and compute the
    cohort, then every lead of that window (tests/export/test_export_single_pass.py compares
    them).

    The facts come from the stored ones (``rollups.stored``: ``compute_metrics``' facts, the
    dirty leads recomputed as of ``as_of``) when they can serve, else — or with ``raw`` —
    from the raw rows; both give the same facts (tests/export/test_export_from_stored_facts.py).
    """
    extra = [key for key in request.by if key in config.lead_fields.extra]
    created_from, created_to = local_days_utc(request.start, request.end,
                                              ZoneInfo(params.report_timezone))
    since = created_from - timedelta(days=config.duplicates.window_days)
    fields = _with_candidate(extra, config.shadow)
    contacts = load_contacts(since, request.as_of, config.duplicates)
    quality = config.data_quality

    def select(load: Callable[..., Any], concat: Callable[[list[Any]], Any],
               ids: Callable[[Any], set[str]]) -> Any:
        """The cohort's leads and their partners, through ``load``."""
        options = {"as_of": request.as_of, "extra": fields, "data_quality": quality}
        loaded = load(created_from=created_from, created_to=created_to, **options)
        partners = partner_ids(contacts, ids(loaded), config.duplicates)
        if len(partners) > PARTNERS_BY_ID:  # most of the window: load it whole, by time
            return load(created_from=since, **options)
        if partners:
            return concat([loaded, load(lead_ids=partners, **options)])
        return loaded

    every = None
    fingerprint = config_fingerprint(config, params)
    if not raw and stored_state(fingerprint, request.as_of) is not None:
        leads = select(load_leads, concat_leads, lambda f: set(f["id"].astype(str)))
        facts = stored_lead_facts(leads, params, request.as_of, fingerprint,
                                  extra=fields, data_quality=quality,
                                  drop=_private(extra, config.shadow))
        if facts is not None:
            every = with_shadow(facts, leads, config.shadow, request.as_of)
    if every is None:
        frames = select(load_frames, concat_frames, lambda f: set(f.leads["id"].astype(str)))
        every = facts_of_frames(frames, params, request.start, request.end, request.as_of,
                                extra, shadow=config.shadow, cohort_only=False)
        leads = frames.leads
    members = cohort(every, request.start, request.end)
    matched = cohort(match_duplicates(config, every, contacts, request.as_of),
                     request.start, request.end)
    return with_duplicates(members, matched), leads


def cohort_facts(
    params: MetricParams,
    start: date,
    end: date,
    as_of: datetime,
    extra: Sequence[str] = (),
    *,
    shadow: Shadow | None = None,
    data_quality: DataQuality | None = None,
) -> pd.DataFrame:
    """Facts, as of ``as_of`` (aware), of the leads created on the local days ``[start, end]``
    of ``params.report_timezone``: the export's cohort, with the ``extra`` lead fields, and
    with ``shadow`` the shadow-comparison columns (``metrics.shadow.shadow_facts``), with
    ``data_quality`` fields the input-quality columns (``metrics.inputs.INPUT_COLUMNS``).

    ``params`` is usually ``calendar_sources.resolved_params(config)``.
    """
    frames = cohort_frames(params, start, end, as_of, extra, shadow=shadow,
                           data_quality=data_quality)
    return facts_of_frames(frames, params, start, end, as_of, extra, shadow=shadow)


def cohort_frames(
    params: MetricParams, start: date, end: date, as_of: datetime, extra: Sequence[str],
    *, shadow: Shadow | None = None, data_quality: DataQuality | None = None,
) -> Frames:
    """The engine's input frames of the export's cohort (``cohort_facts``), unfiltered by
    ``as_of``'s cohort rule (apply ``cohort`` to their facts); with ``shadow`` the leads also
    carry the candidate field."""
    # The cohort's local days are the half-open UTC window [start's midnight, the midnight
    # after end); leads created after as_of are not loaded (the engine drops them anyway).
    created_from, created_to = local_days_utc(start, end, ZoneInfo(params.report_timezone))
    return load_frames(created_from=created_from, created_to=created_to, as_of=as_of,
                       extra=_with_candidate(extra, shadow), data_quality=data_quality)


def _with_candidate(extra: Sequence[str], shadow: Shadow | None) -> list[str]:
    """The lead fields to load: ``extra`` and, with ``[shadow]``, the candidate field."""
    loaded = list(extra)
    if shadow is not None and shadow.candidate_field not in extra:
        loaded.append(shadow.candidate_field)
    return loaded


def facts_of_frames(
    frames: Frames, params: MetricParams, start: date, end: date, as_of: datetime,
    extra: Sequence[str], *, shadow: Shadow | None = None, cohort_only: bool = True,
) -> pd.DataFrame:
    """The cohort's facts from ``cohort_frames``' frames (with the shadow columns); with
    ``cohort_only`` False, the facts of every loaded lead (created by ``as_of``)."""
    def keep(facts: pd.DataFrame) -> pd.DataFrame:
        return cohort(facts, start, end) if cohort_only else facts

    if shadow is None:
        return keep(lead_facts_of(frames, params, as_of))
    # The candidate is loaded under a private column name, so a candidate field that is also
    # an ``extra`` grouping field keeps its own column too.
    lean = replace(frames, leads=frames.leads.drop(columns=_private(extra, shadow)))
    return keep(with_shadow(lead_facts_of(lean, params, as_of), frames.leads, shadow, as_of))


def _private(extra: Sequence[str], shadow: Shadow | None) -> list[str]:
    """The loaded lead columns that are not grouping fields: the shadow candidate, when it
    is not also an ``extra`` field."""
    if shadow is None or shadow.candidate_field in extra:
        return []
    return [shadow.candidate_field]


def with_shadow(
    facts: pd.DataFrame, leads: pd.DataFrame, shadow: Shadow | None, as_of: datetime
) -> pd.DataFrame:
    """``facts`` with the shadow-comparison columns (``metrics.shadow.shadow_facts``) from the
    candidate and conversion columns of ``leads``; ``facts`` as they are without ``shadow``."""
    if shadow is None:
        return facts
    by_id = pd.DataFrame({
        "candidate": leads[shadow.candidate_field].to_numpy(dtype=object),
        "is_converted": leads["is_converted"].to_numpy(),
        "converted_date": leads["converted_date"].to_numpy(dtype=object),
    }, index=pd.Index(leads["id"].astype(object)))
    aligned = by_id.reindex(pd.Index(facts["lead_id"].astype(object)))
    return shadow_facts(
        facts,
        aligned["candidate"],
        aligned["is_converted"],
        aligned["converted_date"],
        conversion_days=shadow.conversion_days,
        as_of=as_of,
    )


def with_duplicates(members: pd.DataFrame, matched: pd.DataFrame) -> pd.DataFrame:
    """The cohort's facts with the duplicates columns of ``matched`` (the same cohort, matched
    against the leads of the window before it: ``facts.duplicates.duplicate_cohort_facts``)."""
    columns = [c for c in DUPLICATE_COLUMNS if c in matched.columns and c not in members.columns]
    found = matched.set_index(matched["lead_id"].astype(object))[columns]
    aligned = found.reindex(pd.Index(members["lead_id"].astype(object)))
    return members.assign(**{c: aligned[c].to_numpy() for c in columns})


def _ordered(row: dict[str, Any], keys: Sequence[str], names: Sequence[str]) -> dict[str, Any]:
    """``row`` with its group keys first, then ``names`` in that order (then anything else)."""
    first = [*keys, *names]
    return {**{k: row[k] for k in first if k in row},
            **{k: v for k, v in row.items() if k not in first}}


def to_json(document: dict[str, Any]) -> str:
    """The one serialisation shared by the command and the API (byte-identical output)."""
    return json.dumps(document, ensure_ascii=False, allow_nan=False) + "\n"


def to_csv(document: dict[str, Any]) -> str:
    """Group keys then every metric of the document (in the total's order); one line per row,
    or the total when ungrouped."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    keys = list(document["by"])
    names = [*EXPORT_NAMES, *(n for n in SHADOW_NAMES if n in document["total"])]
    writer.writerow([*keys, *names])
    rows = document["rows"] if keys else [document["total"]]
    for row in rows:
        writer.writerow(["" if row.get(k) is None else row[k] for k in (*keys, *names)])
    return out.getvalue()
