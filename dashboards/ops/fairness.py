"""The Fairness page (issue 17): each pool's leads against the reps' weights over the filtered
range and week by week, and the leads that reached reps who could not work them; every number
links to its leads.

Computed from the stored Salesforce data like the export (``reports.export.cohort_frames``) as
of the last ``compute_metrics``, through ``metrics.fairness``; the region and tier filters
narrow the leads before the pools are formed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from dashboards.filters import Filters
from dashboards.leads.queries import has_leads
from dashboards.ops.queries import ops_settings
from dashboards.rendering import page_state, render_page
from routing_health.config import RoutingConfig
from routing_health.facts.calendars import resolved_params
from routing_health.facts.reps import load_rep_states, skips_of
from routing_health.lib.format import float_or_none
from routing_health.metrics import cohort, lead_facts_of
from routing_health.metrics.catalog import AVAILABILITY_METRICS
from routing_health.metrics.fairness import (
    NO_REGION,
    availability_members,
    availability_values,
    pool_indices,
    pool_shares,
    pools_of,
    unavailable_reps,
)
from routing_health.reports.export import cohort_frames

RANGE = "range"


def _records(filters: Filters, **extra: object) -> str:
    return reverse("leads") + filters.querystring(**extra)


def fairness_data(filters: Filters, config: RoutingConfig, as_of: datetime) -> dict[str, Any]:
    """Pools (with their reps and weeks) and the unavailable reps of the filtered cohort."""
    params = resolved_params(config)
    frames = cohort_frames(params, filters.start, filters.end, as_of, ())
    facts = cohort(lead_facts_of(frames, params, as_of), filters.start, filters.end)
    for name in ("region", "tier"):
        value = getattr(filters, name)
        if value:
            facts = facts[(facts[name].astype(object) == value).to_numpy(dtype=bool)]
    facts = facts.assign(**{RANGE: "range"})
    reps = load_rep_states()
    names = dict(zip(reps["id"].astype(str), reps["name"].astype(str), strict=True))
    pools = pools_of(config.fairness.pools)
    kwargs: dict[str, Any] = {"pools": pools, "weights": config.fairness.weights,
                              "skip_regions": skips_of(config)}
    shares = pool_shares(facts, reps, period=RANGE, **kwargs)
    indices = pool_indices(shares)
    weeks = pool_indices(pool_shares(facts, reps, period="created_week", **kwargs))
    region_of = {p.name: p.region for p in pools}

    def region(pool: str) -> str | None:
        if pools:
            return region_of.get(pool)
        return None if pool == NO_REGION else pool

    result = []
    for row in indices.to_dict("records"):
        pool = str(row["pool"])
        members = shares[shares["pool"] == pool].sort_values(["leads", "rep"],
                                                             ascending=[False, True])
        top = max(float(members["share"].max() if members["leads"].sum() else 0),
                  2 * float(members["weight_share"].max()), 1e-9)
        result.append({
            "name": pool,
            "leads": int(row["leads"]),
            "reps": int(row["reps"]),
            "reps_without_leads": int(row["reps_without_leads"]),
            "max_min_ratio": float_or_none(row["max_min_ratio"]),
            "gini": float_or_none(row["gini"]),
            "p_value": float_or_none(row["p_value"]),
            "flagged": config.fairness.judge(row),
            "records": _records(filters, region=region(pool) or filters.region or None),
            "members": [{
                "rep_id": str(m["rep"]), "name": names.get(str(m["rep"]), str(m["rep"])),
                "leads": int(m["leads"]), "weight": float(m["weight"]),
                "share": float_or_none(m["share"]), "weight_share": float(m["weight_share"]),
                "ratio": float_or_none(m["ratio"]),
                "bar": round(min((float_or_none(m["share"]) or 0.0) / top, 1.0) * 100, 2),
                "due_bar": round(min(float(m["weight_share"]) / top, 1.0) * 100, 2),
                "records": _records(filters, region=region(pool) or filters.region or None,
                                    first_rep=str(m["rep"])),
            } for m in members.to_dict("records")],
            "weeks": [{
                "week": str(w["period"]), "leads": int(w["leads"]),
                "max_min_ratio": float_or_none(w["max_min_ratio"]),
                "gini": float_or_none(w["gini"]),
                "p_value": float_or_none(w["p_value"]),
                "flagged": config.fairness.judge(w),
            } for w in weeks[weeks["pool"] == pool].to_dict("records")],
        })
    members_away = availability_members(facts, frames.leads, reps, params.closed_statuses)
    (totals,) = availability_values(facts, members_away, ())
    inactive, away = unavailable_reps(reps)
    first = facts["first_rep"].astype(object)
    unavailable = []
    for state, flag in (("Inactive", "to_inactive_rep"), ("Out of office", "to_out_of_office_rep")):
        for rep, count in first[members_away[flag]].astype(str).value_counts().items():
            unavailable.append({
                "name": names.get(str(rep), str(rep)), "state": state, "leads": int(count),
                "since": pd.Timestamp({**inactive, **away}[str(rep)], tz="UTC").to_pydatetime(),
                "records": _records(filters, first_rep=str(rep)),
            })
    unavailable.sort(key=lambda u: (-u["leads"], u["name"]))
    return {
        "pools": result,
        "flagged": sum(p["flagged"] for p in result),
        "totals": [(m, totals[m.name]) for m in AVAILABILITY_METRICS],
        "unavailable": unavailable,
        "configured_pools": bool(pools),
    }


@require_GET
def fairness(request: HttpRequest) -> HttpResponse:
    """Per pool: each rep's share of the leads against their weight, the max/min ratio and the
    Gini index, week by week; the leads sent to inactive or out-of-office reps."""
    state = page_state(request)
    settings = ops_settings(state.report)
    config = state.report.config  # None: the routing file is invalid (the banner says why)
    context: dict[str, Any] = {"has_data": has_leads(), "settings": settings,
                               "metrics_ready": settings.as_of is not None and config is not None}
    if settings.as_of is None or not context["has_data"] or config is None:
        return render_page(request, "dashboards/fairness.html", state, page="fairness",
                           context=context)
    context.update(fairness_data(state.filters, config, settings.as_of))
    context["fairness_settings"] = config.fairness
    return render_page(request, "dashboards/fairness.html", state, page="fairness",
                       context=context)
