"""The Shadow page (issue 17): a candidate owner (an AI router in shadow mode, a candidate
rule set) next to routing's choice — coverage, agreement, outcomes of agreed vs disagreed
leads with 95 % intervals and a verdict, week by week, and the bias review. Every count links
to the lead list (``dashboards.leads.records``: ``shadow``, ``candidate``, ``routed_owner``).

The numbers come from the export's engine path as of the metrics time
(``routing_health.reports.shadow``), so they are ``export_metrics``'s.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from dashboards.filters import Filters
from dashboards.leads.queries import has_leads, owner_names
from dashboards.ops.queries import ops_settings
from dashboards.rendering import page_state, render_page
from routing_health.lib.format import format_rate
from routing_health.metrics.catalog import format_metric
from routing_health.reports.shadow import MSG_NOT_CONFIGURED, shadow_summary

BIAS_ROWS_SHOWN = 8  # per scope: the largest shifts first; the rest are counted


def _records(filters: Filters, **extra: object) -> str:
    return reverse("leads") + filters.querystring(**extra)


@require_GET
def shadow(request: HttpRequest) -> HttpResponse:
    state = page_state(request)
    filters = state.filters
    settings = ops_settings(state.report)
    config = state.report.config
    context: dict[str, Any] = {
        "has_data": has_leads(),
        "metrics_ready": settings.as_of is not None,
        "settings": settings,
        "not_configured": MSG_NOT_CONFIGURED if config is None or config.shadow is None else "",
    }
    if context["not_configured"] or settings.as_of is None or not context["has_data"]:
        return render_page(request, "dashboards/shadow.html", state, page="shadow",
                           context=context)
    assert config is not None and config.shadow is not None
    summary = shadow_summary(config, start=filters.start, end=filters.end, as_of=settings.as_of,
                             region=filters.region, tier=filters.tier)
    assert summary is not None
    total = summary.total
    names = owner_names(set(summary.bias["rep"].dropna()))

    def cell(name: str) -> str:
        return format_metric(name, total.get(name))

    headline = [
        {"label": "Leads", "value": cell("leads"), "href": _records(filters)},
        {"label": "With a candidate", "value": cell("shadow_candidates"),
         "note": f"coverage {cell('shadow_coverage_rate')}",
         "href": _records(filters, shadow="candidate")},
        {"label": "Agreed with routing", "value": cell("shadow_agreed"),
         "note": f"{cell('shadow_agreement_rate')} of {cell('shadow_compared')} compared",
         "href": _records(filters, shadow="agreed")},
        {"label": "Disagreed", "value": cell("shadow_disagreed"),
         "href": _records(filters, shadow="disagreed")},
        {"label": "Agreement with the first rep",
         "value": cell("shadow_first_rep_agreement_rate")},
    ]
    outcomes = [
        {"comparison": c, "agreed": _value(c.agreed, c.unit),
         "disagreed": _value(c.disagreed, c.unit)}
        for c in summary.review.comparisons
    ]
    weeks = []
    for row in summary.weeks:
        first, last = _week_days(row["week"], filters)
        weeks.append({
            "week": row["week"],
            "cells": [format_metric(n, row[n]) for n in WEEK_COLUMNS],
            "leads_href": _records(filters, start=first, end=last),
            "agreed": row["shadow_agreed"], "disagreed": row["shadow_disagreed"],
            "agreed_href": _records(filters, start=first, end=last, shadow="agreed"),
            "disagreed_href": _records(filters, start=first, end=last, shadow="disagreed"),
        })
    scopes = []
    for (dimension, scope), rows in summary.bias.groupby(["dimension", "scope"], sort=False):
        flagged = int(rows["flagged"].sum())
        shown = rows.head(BIAS_ROWS_SHOWN)
        region = scope if dimension == "region" else None
        tier = scope if dimension == "tier" else None
        scopes.append({
            "title": scope if dimension == "all" else f"{dimension.title()} {scope}",
            "leads": int(rows["leads"].iloc[0]),
            "flagged": flagged,
            "hidden": len(rows) - len(shown),
            "rows": [{
                "rep": names.get(r.rep) or r.rep,
                "candidate_share": format_rate(r.candidate_share),
                "actual_share": format_rate(r.actual_share),
                "shift": f"{r.shift * 100:+.1f} pts",
                "flagged": bool(r.flagged),
                "candidate_href": _records(filters, region=region or filters.region or None,
                                           tier=tier or filters.tier or None, candidate=r.rep),
                "actual_href": _records(filters, region=region or filters.region or None,
                                        tier=tier or filters.tier or None, shadow="compared",
                                        routed_owner=r.rep),
                "candidate_leads": int(r.candidate_leads),
                "actual_leads": int(r.actual_leads),
            } for r in shown.itertuples()],
        })
    context.update(
        headline=headline,
        verdict=summary.review.verdict,
        outcomes=outcomes,
        week_columns=[WEEK_LABELS[n] for n in WEEK_COLUMNS],
        weeks=weeks,
        scopes=scopes,
        threshold=format_rate(summary.bias_threshold),
        conversion_days=summary.conversion_days,
        shadow_config=config.shadow,
        agreed_href=_records(filters, shadow="agreed"),
        disagreed_href=_records(filters, shadow="disagreed"),
    )
    return render_page(request, "dashboards/shadow.html", state, page="shadow", context=context)


WEEK_COLUMNS = (
    "leads", "shadow_coverage_rate", "shadow_agreement_rate", "shadow_first_rep_agreement_rate",
    "shadow_agreed_acceptance_rate", "shadow_disagreed_acceptance_rate",
    "shadow_agreed_first_touch_p50_minutes", "shadow_disagreed_first_touch_p50_minutes",
)
WEEK_LABELS = {
    "leads": "Leads", "shadow_coverage_rate": "Coverage", "shadow_agreement_rate": "Agreement",
    "shadow_first_rep_agreement_rate": "First-rep agreement",
    "shadow_agreed_acceptance_rate": "Accept (agreed)",
    "shadow_disagreed_acceptance_rate": "Accept (disagreed)",
    "shadow_agreed_first_touch_p50_minutes": "Touch p50 (agreed)",
    "shadow_disagreed_first_touch_p50_minutes": "Touch p50 (disagreed)",
}


def _week_days(week: str, filters: Filters) -> tuple[str, str]:
    """The ISO week's Monday..Sunday ('2026-W46'), clipped to the page's range."""
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    first = max(monday, filters.start)
    last = min(monday + timedelta(days=6), filters.end)
    return first.isoformat(), last.isoformat()


def _value(value: float | None, unit: str) -> str:
    return format_rate(value) if unit == "rate" else format_metric(
        "first_touch_p50_minutes", value)
