"""Business-hours SLA clocks per lead (spec section 10).

Each lead is timed on the calendar of its region (``MetricParams.region_calendars`` →
``MetricParams.calendars``): its TTA, first-touch time and age count only the calendar's open
minutes. A lead whose region has no calendar keeps wall-clock minutes, so every business column
is defined for every lead and equals its wall-clock twin there. The SLA flags mirror the
wall-clock ones: an assigned (touched) lead is always in the base and meets the tier's limit
when its business minutes are ≤ the limit; an unassigned (untouched) one joins the base as a
miss once its business age is strictly greater than the limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from routing_health.lib.calendar import Calendar
from routing_health.metrics._arrays import NAT, NS_PER_MINUTE, categorical
from routing_health.metrics.business_hours import business_minutes
from routing_health.metrics.params import MetricParams


def region_calendar_codes(
    region: np.ndarray, segments: np.ndarray, params: MetricParams
) -> tuple[np.ndarray, np.ndarray]:
    """Per lead, a code into a sorted table of calendar names (``""`` = no calendar).

    ``region`` holds each lead's code into ``segments`` (the shared table of region and tier
    values, ``""`` for empty). Returns ``(codes, table)``.
    """
    names = [_calendar_name(str(value), params) for value in segments]
    table = np.asarray(sorted({"", *names}), dtype=object)
    lookup = {name: code for code, name in enumerate(table)}
    per_segment = np.asarray([lookup[name] for name in names], dtype=np.int64)
    return per_segment[region], table


def _calendar_name(region: str, params: MetricParams) -> str:
    if region == "":
        return ""
    name = params.region_calendars.get(region)
    return name if name is not None and name in params.calendars else ""


def signed_open_minutes(
    created: np.ndarray,
    ends: Sequence[np.ndarray],
    calendar_codes: np.ndarray,
    calendar_table: np.ndarray,
    calendars: Mapping[str, Calendar],
) -> list[np.ndarray]:
    """Minutes from ``created`` to each array of ``ends`` (int64 ns, ``NAT`` = none).

    Open minutes of the row's calendar where it has one (``calendar_table[calendar_codes]``,
    a key of ``calendars``; ``""`` = none), wall minutes elsewhere; NaN where the end is
    ``NAT``. An end before ``created`` gives minus the open minutes between them, like its
    (negative) wall-clock twin. All ends of a calendar go through one vectorised
    ``business_minutes`` call, so its open stretches are built once.
    """
    count = len(ends)
    start = np.tile(created, count)
    end = np.concatenate(ends) if count else np.empty(0, dtype=np.int64)
    valid = end != NAT
    out = np.full(end.shape[0], np.nan)
    out[valid] = (end[valid] - start[valid]) / NS_PER_MINUTE
    codes = np.tile(calendar_codes, count)
    for code, name in enumerate(calendar_table):
        calendar = calendars.get(name) if name else None
        if calendar is None:
            continue
        timed = np.flatnonzero(valid & (codes == code))
        if timed.size == 0:
            continue
        a, b = start[timed], end[timed]
        forward = b >= a
        low, high = np.where(forward, a, b), np.where(forward, b, a)
        open_minutes = business_minutes(
            low.view("datetime64[ns]"), high.view("datetime64[ns]"), calendar
        )
        out[timed] = np.where(forward, open_minutes, -open_minutes)
    return list(np.split(out, count)) if count else []


def business_facts(
    *,
    created: np.ndarray,
    rep_assigned_at: np.ndarray,
    first_touch_at: np.ndarray,
    now: int,
    region: np.ndarray,
    segments: np.ndarray,
    assign_limit: np.ndarray,
    touch_limit: np.ndarray,
    params: MetricParams,
) -> dict[str, object]:
    """The business-clock fact columns (``FACT_COLUMNS`` from ``business_calendar`` on).

    Times are int64 ns (``NAT`` = none); ``region`` codes into ``segments``; the limits are
    each lead's tier ``assign_minutes`` / ``touch_minutes``.
    """
    codes, table = region_calendar_codes(region, segments, params)
    at_t = np.full(len(created), now, dtype=np.int64)
    tta, first_touch, age = signed_open_minutes(
        created, [rep_assigned_at, first_touch_at, at_t], codes, table, params.calendars
    )
    assigned = rep_assigned_at != NAT
    touched = first_touch_at != NAT
    return {
        "business_calendar": categorical(codes, table),
        "tta_business_minutes": tta,
        "first_touch_business_minutes": first_touch,
        "age_business_minutes": age,
        "assign_sla_applicable_business": assigned | (age > assign_limit),
        "assign_sla_met_business": assigned & (np.nan_to_num(tta, nan=np.inf) <= assign_limit),
        "touch_sla_applicable_business": touched | (age > touch_limit),
        "touch_sla_met_business": touched
        & (np.nan_to_num(first_touch, nan=np.inf) <= touch_limit),
    }
