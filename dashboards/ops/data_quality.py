"""The Data quality page (issue 17, item 4): per lead source, the share of new leads missing or
invalid on each ``[data_quality]`` field at creation, how much more often they fail routing,
the share per day, and a drill-down to the leads missing a field.

Computed from the stored leads and field history (``reports.export.cohort_facts``), not from the
rollups (which do not hold the input-quality counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from dashboards.csv_export import csv_response
from dashboards.ops.views import _wants_csv
from dashboards.rendering import page_state, render_page
from routing_health.facts.calendars import resolved_params
from routing_health.lib.format import format_count, format_rate
from routing_health.metrics.inputs import field_quality, missing_field_flags
from routing_health.models import Lead
from routing_health.reports.export import cohort_facts
from routing_health.salesforce import runtime

PAGE = "data-quality"
LEADS_SHOWN = 200
NO_SOURCE = "(no lead source)"


@dataclass(frozen=True)
class SourceRow:
    source: str | None
    field: str
    leads: int
    missing: int
    share: str
    missing_failure: str
    complete_failure: str
    difference: str
    ratio: str
    query: str  # the drill-down's query string


def _points(value: float | None) -> str:
    return "—" if value is None or pd.isna(value) else f"{value * 100:+.1f} pts"


def _times(value: float | None) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.1f}×"


def _rate(value: Any) -> str:
    return format_rate(None if value is None or pd.isna(value) else float(value))


def _query(state_params: dict[str, str], **extra: str | None) -> str:
    from urllib.parse import urlencode

    params = {**state_params, **{k: ("" if v is None else v) for k, v in extra.items()}}
    return "?" + urlencode(params)


def source_rows(table: pd.DataFrame, params: dict[str, str]) -> list[SourceRow]:
    rows = []
    for r in table.to_dict("records"):
        rows.append(SourceRow(
            source=r["lead_source"], field=r["input_field"], leads=int(r["leads"]),
            missing=int(r["missing"]), share=_rate(r["missing_rate"]),
            missing_failure=_rate(r["missing_failure_rate"]),
            complete_failure=_rate(r["complete_failure_rate"]),
            difference=_points(r["failure_rate_difference"]),
            ratio=_times(r["failure_rate_ratio"]),
            query=_query(params, field=r["input_field"], source=None)
            + f"&lead_source={_source_param(r['lead_source'])}",
        ))
    return rows


def _source_param(source: str | None) -> str:
    from urllib.parse import quote

    return quote(source if source is not None else NO_SOURCE)


@require_GET
def data_quality(request: HttpRequest) -> HttpResponse:
    state = page_state(request)
    filters = state.filters
    config = runtime.routing_config()
    settings = config.data_quality
    context: dict[str, Any] = {"enabled": settings.enabled, "fields": [],
                               "source_field": settings.source_field}
    if not settings.enabled:
        return render_page(request, "dashboards/data_quality.html", state, page=PAGE,
                           context=context)
    names = [rule.name for rule in settings.fields]
    as_of = datetime.now(UTC).replace(microsecond=0)
    facts = cohort_facts(resolved_params(config), filters.start, filters.end, as_of,
                         data_quality=settings)
    if filters.region:
        facts = facts[(facts["region"].astype(str) == filters.region).to_numpy()]
    if filters.tier:
        facts = facts[(facts["tier"].astype(str) == filters.tier).to_numpy()]
    field = request.GET.get("field", "")
    source = request.GET.get("lead_source")
    day = request.GET.get("day", "")
    params = filters.params()
    if field in names and source is not None:
        return _drill_down(request, state, facts, field, source, day, context)
    by_source = field_quality(facts, names, by=("lead_source",))
    by_day = field_quality(facts, names, by=("lead_source", "created_day"))
    if _wants_csv(request):
        header = ["lead_source", "day", "field", "leads", "missing", "missing_rate",
                  "missing_failure_rate", "complete_failure_rate", "failure_rate_difference",
                  "failure_rate_ratio"]
        return csv_response("data_quality.csv", header, (
            [r["lead_source"], r["created_day"], r["input_field"], r["leads"], r["missing"],
             *(None if pd.isna(r[c]) else r[c] for c in (
                 "missing_rate", "missing_failure_rate", "complete_failure_rate",
                 "failure_rate_difference", "failure_rate_ratio"))]
            for r in by_day.to_dict("records")))
    # Newest day first: a source whose share jumped shows at the top.
    days = sorted((r for r in by_day.to_dict("records") if r["missing"] > 0),
                  key=lambda r: r["created_day"], reverse=True)
    day_rows = [{
        "source": r["lead_source"], "day": r["created_day"], "field": r["input_field"],
        "leads": format_count(int(r["leads"])), "missing": format_count(int(r["missing"])),
        "share": _rate(r["missing_rate"]),
        "query": _query(params, field=r["input_field"], day=r["created_day"])
        + f"&lead_source={_source_param(r['lead_source'])}",
    } for r in days]
    context.update({
        "fields": names, "leads": len(facts), "rows": source_rows(by_source, params),
        "day_rows": day_rows, "csv_qs": _query(params, format="csv"),
    })
    return render_page(request, "dashboards/data_quality.html", state, page=PAGE,
                       context=context)


def _drill_down(request: HttpRequest, state: Any, facts: pd.DataFrame, field: str,
                source: str, day: str, context: dict[str, Any]) -> HttpResponse:
    lead_source = facts["lead_source"].astype("string").fillna(NO_SOURCE).astype(str)
    mask = missing_field_flags(facts["input_missing_fields"], [field])[field]
    mask = mask & (lead_source == source).to_numpy(dtype=bool)
    if day:
        mask = mask & (facts["created_day"].astype(str) == day).to_numpy(dtype=bool)
    chosen = facts[mask].sort_values("created_at", ascending=False)
    ids = chosen["lead_id"].astype(str).tolist()
    names = dict(Lead.objects.filter(id__in=ids[:LEADS_SHOWN]).values_list("id", "name"))
    companies = dict(Lead.objects.filter(id__in=ids[:LEADS_SHOWN]).values_list("id", "company"))
    rows = [{
        "id": r["lead_id"], "name": names.get(r["lead_id"]) or companies.get(r["lead_id"])
        or r["lead_id"], "created_at": r["created_at"].to_pydatetime(),
        "missing": str(r["input_missing_fields"]).replace("+", ", "),
        "outcome": r["outcome"], "region": r["region"], "tier": r["tier"],
    } for r in chosen.head(LEADS_SHOWN).to_dict("records")]
    if _wants_csv(request):
        return csv_response("data_quality_leads.csv",
                            ["lead_id", "created_at", "lead_source", "missing_fields", "outcome"],
                            ([r["lead_id"], r["created_at"], source, r["input_missing_fields"],
                              r["outcome"]] for r in chosen.to_dict("records")))
    context.update({
        "drill": True, "field": field, "source": source, "day": day, "lead_rows": rows,
        "total": len(chosen), "shown": len(rows),
        "back_qs": _query(state.filters.params()),
        "csv_qs": _query(state.filters.params(), field=field, day=day or None, format="csv")
        + f"&lead_source={_source_param(source)}",
    })
    return render_page(request, "dashboards/data_quality.html", state, page=PAGE,
                       context=context)
