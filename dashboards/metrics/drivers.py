"""The Trends page's "What drove the change": the headline rates of the range shown against the
range of the same length just before it, at equal age, split by segment, failure reason and rep.

The earlier range's leads are judged as of ``as_of − Δ``, where Δ is the time between the two
ranges' first local midnights in the report time zone (so a DST change in between is counted as
it happened): each lead is seen the same time after its creation as in the range shown. Both
cohorts are the export's (``reports.export.cohort_facts``: loaded from the stored Salesforce
rows) narrowed by the page's region, tier and source filters; the result is cached like the
page's other numbers (``MetricPage.numbers``). It needs every lead's facts at two ages, which the
daily rollups cannot give, so it is computed only when asked for (``?drivers=1``, kept in the
page's links like ``split`` and ``grain``): the Trends page itself stays a handful of rollup
queries whatever the range. Each contributor links to its leads in the lead
list (region, tier, failure reason, first rep: its record filters); a group without a value (no
rep, no region) has no link, since the list cannot select "empty".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from django.http import HttpResponse
from django.urls import reverse

from dashboards.filters import SOURCE_FIELD, Filters
from dashboards.metrics.page import MetricPage, _csv_name, csv_response
from routing_health.facts.calendars import resolved_params
from routing_health.facts.frames import local_days_utc, owner_names
from routing_health.lib.format import format_time
from routing_health.reports.drivers import (
    MetricDrivers,
    change_drivers,
    drivers_display,
    lead_filters,
)
from routing_health.reports.export import cohort_facts

TRENDS_DRIVER_METRICS = (
    "assignment_success_rate", "acceptance_rate", "assign_sla_met_rate", "touch_sla_met_rate",
    "bounce_rate", "rejection_rate",
)
LEAD_FILTERS = ("region", "tier", "failure_reason", "first_rep")  # the CSV's key columns
PARAM = "drivers"


def keep_drivers_param(page: MetricPage) -> None:
    """Keep ``?drivers=1`` in the page's links (call before building them)."""
    if page.request.GET.get(PARAM) == "1":
        page.params[PARAM] = "1"


def drivers_context(page: MetricPage) -> dict[str, Any]:
    """``drivers`` (the section, or ``None`` until asked for) and ``drivers_links`` (show /
    hide, keeping the page's other parameters)."""
    keep_drivers_param(page)
    wanted = PARAM in page.params
    return {
        "drivers": what_drove_the_change(page) if wanted else None,
        "drivers_links": {"show": page.qs(**{PARAM: "1"}) + "#drivers-title",
                          "hide": page.qs(**{PARAM: None})},
    }


def previous_range(filters: Filters) -> tuple[date, date]:
    """The range of the same number of days ending the day before ``filters.start``."""
    return filters.start - timedelta(days=filters.days), filters.start - timedelta(days=1)


def equal_age_as_of(filters: Filters, as_of: datetime) -> datetime:
    """``as_of`` moved back by the time between the two ranges' first local midnights."""
    start, _ = previous_range(filters)
    earlier, _ = local_days_utc(start, start, filters.zone)
    later, _ = local_days_utc(filters.start, filters.start, filters.zone)
    return as_of - (later - earlier)


def what_drove_the_change(page: MetricPage) -> dict[str, Any] | None:
    """The section's context (``None`` before the first ``compute_metrics``)."""
    found = _drivers(page)
    if found is None or page.as_of is None:
        return None
    filters = page.filters
    before_as_of = equal_age_as_of(filters, page.as_of)
    start, end = previous_range(filters)
    earlier = Filters(start, end, filters.region, filters.tier, filters.source,
                      filters.timezone, filters.explicit | {"start", "end"})
    items = drivers_display(found)
    for item in items:
        for breakdown in item["breakdowns"]:
            for line in breakdown["lines"]:
                line["links"] = _links(filters, earlier, line["keys"])
    return {
        "items": items,
        "range_label": filters.range_label(),
        "previous_label": earlier.range_label(),
        "as_of_text": format_time(page.as_of, filters.zone),
        "previous_as_of_text": format_time(before_as_of, filters.zone),
        "csv": page.qs(format="csv", table="drivers"),
    }


def drivers_csv(page: MetricPage) -> HttpResponse:
    """The section as CSV: per metric its total, then per split the lines shown (the top groups
    and the rest), with the exact contributions (fractions: 0.049 = 4.9 points)."""
    header = ["metric", "split", "group", *LEAD_FILTERS, "contribution", "before", "after",
              "base_before", "base_after"]
    rows: list[list[Any]] = []
    for item in _drivers(page) or ():
        rows.append([item.metric, "total", "", *([""] * len(LEAD_FILTERS)), item.change,
                     item.before, item.after, "", ""])
        for breakdown in item.breakdowns:
            for d in breakdown.top:
                keys = [d.keys.get(k) or "" for k in LEAD_FILTERS]
                rows.append([item.metric, breakdown.name, d.label, *keys, d.contribution,
                             d.before, d.after, d.base_before, d.base_after])
            if breakdown.other_groups:
                rows.append([item.metric, breakdown.name,
                             f"other {breakdown.other_groups} groups",
                             *([""] * len(LEAD_FILTERS)), breakdown.other, "", "", "", ""])
    return csv_response(_csv_name(page, "drivers"), header, rows)


def _drivers(page: MetricPage) -> tuple[MetricDrivers, ...] | None:
    """The cached decomposition of the page's range (``None`` before ``compute_metrics``)."""
    as_of = page.as_of
    if as_of is None:
        return None
    filters = page.filters
    before_as_of = equal_age_as_of(filters, as_of)
    start, end = previous_range(filters)

    def compute() -> tuple[MetricDrivers, ...]:
        params = resolved_params(page.config)
        extra = (SOURCE_FIELD,) if filters.source else ()
        after = _narrowed(cohort_facts(params, filters.start, filters.end, as_of, extra),
                          filters)
        before = _narrowed(cohort_facts(params, start, end, before_as_of, extra), filters)
        return change_drivers(
            before, after, metrics=TRENDS_DRIVER_METRICS,
            queue_age_limit_hours=float(page.config.windows.queue_age_limit_hours),
            names={str(k): str(v) for k, v in owner_names().items()},
        )

    found: tuple[MetricDrivers, ...] = page.numbers("drivers", compute,
                                                    before_as_of.isoformat())
    return found


def _narrowed(facts: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The cohort's leads matching the page's region, tier and source filters."""
    keep = pd.Series(True, index=facts.index)
    for name, column in (("region", "region"), ("tier", "tier"), ("source", SOURCE_FIELD)):
        value = getattr(filters, name)
        if value:
            keep &= facts[column].astype(object).eq(value)
    return facts[keep.to_numpy()].reset_index(drop=True)


def _links(
    filters: Filters, earlier: Filters, keys: Mapping[str, str | None] | None
) -> dict[str, str] | None:
    """The lead list of the group in the range shown and in the earlier range."""
    overrides = lead_filters(keys)
    if overrides is None:
        return None
    url = reverse("leads")
    return {"now": url + filters.querystring(**overrides),
            "before": url + earlier.querystring(**overrides)}
