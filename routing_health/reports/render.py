"""The weekly review as one self-contained HTML file.

``render_weekly_html(report)`` renders ``templates/reports/weekly.html`` (Django autoescape on)
with display-ready values computed here, so the template only loops and escapes. The file needs
no network: the stylesheet is inline, plotly.js is inlined **once** (from the installed plotly
package), and each chart's data sits in a ``<script type="application/json">`` block written by
``json_script`` (which escapes ``<``, ``>`` and ``&``). No Salesforce value is ever marked safe.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from routing_health.alerts.slack_blocks import value_text
from routing_health.lib.format import (
    format_count,
    format_hours,
    format_minutes,
    format_rate,
    format_time,
)
from routing_health.metrics.catalog import format_metric, metric
from routing_health.metrics.definitions import rate
from routing_health.reports import formatting as fmt
from routing_health.reports.changes import Change, TargetCheck
from routing_health.reports.charts import daily_chart, failure_chart, tta_chart
from routing_health.reports.drivers import drivers_display, lead_filters
from routing_health.reports.weekly import SegmentRow, WeeklyReportData

TEMPLATE = "reports/weekly.html"

ASSIGNMENT_METRICS = (
    "leads", "failed", "assignment_success_rate", "tta_p50_minutes", "tta_p95_minutes",
    "assign_sla_met_rate", "queued", "queued_over_limit", "oldest_queue_age_hours",
)
FOLLOW_THROUGH_METRICS = (
    "assigned", "acceptance_rate", "bounce_rate", "first_touch_p50_minutes",
    "first_touch_p95_minutes", "touch_sla_met_rate", "rejected", "rejection_rate",
)
HEADLINE_METRICS = (
    "leads", "assignment_success_rate", "tta_p95_minutes", "assign_sla_met_rate",
    "first_touch_p95_minutes", "touch_sla_met_rate", "acceptance_rate", "bounce_rate",
    "rejection_rate", "queued_over_limit",
)
DAILY_METRICS = ("leads", "failed", "assignment_success_rate", "tta_p95_minutes")
"""The columns of the per-day table (``DailyRow`` fields), each week."""
CHANGES_NOTE = (
    "Rates in percentage points; durations relative (+25% = a quarter longer); counts as "
    "differences. Previous week judged as of seven days earlier."
)
# Bootstraps every chart from its JSON block; plotly.js is defined by the script before it.
CHARTS_JS = """
(function () {
  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var spec = JSON.parse(document.getElementById(el.getAttribute("data-chart")).textContent);
    Plotly.newPlot(el, spec.data, spec.layout, spec.config);
    charts.push(el);
  });
  function resize() { charts.forEach(function (el) { Plotly.Plots.resize(el); }); }
  window.addEventListener("beforeprint", resize);
  window.addEventListener("afterprint", resize);
})();
"""


@functools.cache
def plotly_bundle() -> SafeString:
    """plotly.js (minified) from the installed plotly package, safe inside a ``<script>``."""
    from plotly.offline import get_plotlyjs

    bundle = get_plotlyjs()
    if "</script" in bundle.lower() or "<!--" in bundle:
        raise ValueError("the plotly.js bundle cannot be inlined in a <script> element")
    return mark_safe(bundle)  # noqa: S308  (the package's own file, checked above)


@dataclass(frozen=True)
class Cell:
    value: str
    change: str = ""
    direction: str = ""
    status: str = ""  # "met" | "missed" | ""
    status_text: str = ""
    title: str = ""


def _shadow(report: WeeklyReportData) -> dict[str, Any] | None:
    """The shadow-comparison section (issue 17); ``None`` without ``[shadow]``."""
    shadow = report.shadow
    if shadow is None:
        return None
    totals = shadow.totals

    def value(v: float | None, unit: str) -> str:
        return format_rate(v) if unit == "rate" else format_minutes(v)

    return {
        "verdict": shadow.verdict,
        "stats": [
            (metric(name).label, format_metric(name, totals.get(name)))
            for name in ("shadow_candidates", "shadow_coverage_rate", "shadow_agreement_rate",
                         "shadow_first_rep_agreement_rate")
        ],
        "outcomes": [
            {"outcome": o.outcome, "agreed": value(o.agreed, o.unit), "n_agreed": o.n_agreed,
             "disagreed": value(o.disagreed, o.unit), "n_disagreed": o.n_disagreed,
             "verdict": o.verdict}
            for o in shadow.outcomes
        ],
        "flagged": [
            {"scope": b.scope if b.dimension == "all" else f"{b.dimension} {b.scope}",
             "rep": b.rep, "candidate": format_rate(b.candidate_share),
             "actual": format_rate(b.actual_share), "shift": f"{b.shift * 100:+.1f} pts"}
            for b in shadow.flagged
        ],
        "threshold": format_rate(shadow.bias_threshold),
    }


def _fairness(report: WeeklyReportData, base: str) -> dict[str, Any] | None:
    """The fairness section (issue 17); ``None`` in older reports."""
    fairness = report.fairness
    if fairness is None:
        return None
    week = urlencode({"start": report.period.start.isoformat(),
                      "end": report.period.end.isoformat()})
    return {
        "url": f"{base}/fairness?{week}",
        "min_leads": format_count(fairness.min_leads),
        "pools": [
            {"pool": p.pool, "leads": format_count(p.leads), "reps": format_count(p.reps),
             "ratio": "no data" if p.max_min_ratio is None else f"{p.max_min_ratio:.2f}",
             "gini": "no data" if p.gini is None else f"{p.gini:.2f}",
             "p_value": "no data" if p.p_value is None else f"{p.p_value:.3f}",
             "flagged": p.flagged}
            for p in fairness.pools
        ],
        "totals": [(metric(name).label, format_metric(name, value))
                   for name, value in fairness.totals.items()],
    }


def _duplicates(report: WeeklyReportData, base: str) -> dict[str, Any] | None:
    """The duplicates section (issue 17); ``None`` in older reports."""
    duplicates = report.duplicates
    if duplicates is None:
        return None
    week = urlencode({"start": report.period.start.isoformat(),
                      "end": report.period.end.isoformat()})
    return {
        "url": f"{base}/duplicates?{week}",
        "totals": [(metric(name).label, format_metric(name, value))
                   for name, value in duplicates.totals.items()],
        "companies": [
            {"company": c.company, "by_name": c.by_name, "leads": format_count(c.leads),
             "reps": format_count(c.reps)}
            for c in duplicates.companies
        ],
        "company_count": duplicates.company_count,
    }


def render_weekly_html(report: WeeklyReportData) -> str:
    """The complete HTML document of the weekly review (str, UTF-8 text)."""
    return render_to_string(TEMPLATE, weekly_context(report))


def weekly_context(report: WeeklyReportData) -> dict[str, Any]:
    """Display-ready values of the weekly review: every number through ``lib.format``, every
    metric's words from the catalog, every time in the report timezone."""
    tz = ZoneInfo(report.timezone)
    charts = [
        chart
        for chart in (
            _chart("chart-daily", "Leads and assignment success per day",
                   f"{report.period.week} (accent, solid) against {report.previous_period.week} "
                   "(grey, dashed).", daily_chart(report)),
            _chart("chart-tta", "Time to assignment p95 per region and tier",
                   f"{report.period.week}; the short black bars mark each tier's assignment "
                   "SLA. Log scale.", tta_chart(report)),
            _chart("chart-failures", "Failed leads by failure reason",
                   f"Top reasons, {report.period.week} against {report.previous_period.week}.",
                   failure_chart(report)),
        )
        if chart is not None
    ]
    charts_by_id = {c["id"]: c for c in charts}
    total = report.total
    return {
        "report": report,
        "title": f"Weekly routing review {report.period.week}",
        "period_text": _period_text(report.period.start, report.period.end),
        "previous_text": _period_text(report.previous_period.start, report.previous_period.end),
        "timezone": report.timezone,
        "as_of_text": format_time(report.period.as_of, tz),
        "previous_as_of_text": format_time(report.previous_period.as_of, tz),
        "generated_text": format_time(report.generated_at, tz),
        "complete": report.period.complete,
        "has_leads": total.current is not None,
        "headline": [_headline(m, total) for m in HEADLINE_METRICS],
        "daily_headers": [metric(m).short_label for m in DAILY_METRICS],
        "daily_rows": _daily_rows(report),
        "export_command": (
            f"manage.py export_metrics --start {report.period.start.isoformat()} "
            f"--end {report.period.end.isoformat()} --by region,tier "
            f"--as-of {report.period.as_of.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        ),
        "key_findings": _key_findings(report),
        "drivers": _drivers(report),
        "shadow": _shadow(report),
        "fairness": _fairness(report, (getattr(settings, "PUBLIC_URL", "") or "").rstrip("/")),
        "duplicates": _duplicates(report,
                                  (getattr(settings, "PUBLIC_URL", "") or "").rstrip("/")),
        "tables": _tables(report),
        "charts": charts,
        "chart_daily": charts_by_id.get("chart-daily"),
        "chart_tta": charts_by_id.get("chart-tta"),
        "chart_failures": charts_by_id.get("chart-failures"),
        "failure_rows": _reason_rows(report.failure_reasons, total, "failed"),
        "rejection_rows": _reason_rows(report.rejection_reasons, total, "rejected"),
        "input_rows": [
            {
                "source": row.source, "field": row.field, "leads": format_count(row.leads),
                "missing": format_count(row.missing), "share": format_rate(row.share),
                "previous": format_rate(row.previous_share),
                "missing_failure": format_rate(row.missing_failure_rate),
                "complete_failure": format_rate(row.complete_failure_rate),
            }
            for row in report.input_quality
        ],
        "worst_leads": [
            {**lead.__dict__, "created_text": format_time(lead.created_at, tz)}
            for lead in report.worst_leads
        ],
        "anomalies": None if report.anomalies is None else [
            {
                **anomaly.__dict__,
                "segment": " · ".join(p for p in (anomaly.region, anomaly.tier) if p) or "all",
                "started_text": format_time(anomaly.started_at, tz),
                "ended_text": format_time(anomaly.ended_at, tz) if anomaly.ended_at
                else "still firing",
                "value_text": value_text(anomaly.value, anomaly.value_format),
                "threshold_text": value_text(anomaly.threshold, anomaly.value_format),
            }
            for anomaly in report.anomalies
        ],
        "flow_changes": [
            {**change.__dict__, "changed_text": format_time(change.changed_at, tz)}
            for change in report.flow_changes
        ],
        "tier_sla": [
            {"tier": tier, "assign": format_minutes(a), "touch": format_minutes(t),
             "clock": ("business hours of the lead's region"
                       if report.tier_clock.get(tier) == "business" else "wall clock")}
            for tier, (a, t) in report.tier_sla.items()
        ],
        "queue_limit": format_hours(report.queue_age_limit_hours),
        "waits": [
            {"label": metric(w.metric).label, "now": format_metric(w.metric, w.now_exact),
             "now_km": fmt.estimate_text(w.metric, w.now_km),
             "before": format_metric(w.metric, w.before_exact),
             "before_km": fmt.estimate_text(w.metric, w.before_km)}
            for w in report.waits
        ],
        "definitions": _definitions(),
        "changes_note": CHANGES_NOTE,
        "plotly_js": plotly_bundle() if charts else "",
        "charts_js": mark_safe(CHARTS_JS),  # noqa: S308  (a constant of this module)
    }


def _drivers(report: WeeklyReportData) -> list[dict[str, Any]]:
    """What drove the change, each group linking to its leads of the week on the dashboard."""
    base = (getattr(settings, "PUBLIC_URL", "") or "").rstrip("/")
    week = {"start": report.period.start.isoformat(), "end": report.period.end.isoformat()}
    items = drivers_display(report.drivers)
    for item in items:
        for breakdown in item["breakdowns"]:
            for line in breakdown["lines"]:
                filters = lead_filters(line["keys"])
                line["url"] = f"{base}/leads?{urlencode({**week, **filters})}" if filters else ""
    return items


def _chart(chart_id: str, title: str, note: str, spec: Mapping[str, Any] | None) -> dict | None:
    if spec is None:
        return None
    return {"id": chart_id, "data_id": f"{chart_id}-data", "title": title, "note": note,
            "spec": spec}


def _daily_rows(report: WeeklyReportData) -> list[dict[str, Any]]:
    rows = []
    for now, before in zip(report.daily, report.previous_daily, strict=True):
        rows.append({
            "now_day": f"{now.day:%a %d %b}",
            "now": [format_metric(m, getattr(now, m)) for m in DAILY_METRICS],
            "before_day": f"{before.day:%a %d %b}",
            "before": [format_metric(m, getattr(before, m)) for m in DAILY_METRICS],
        })
    return rows


def _period_text(start: Any, end: Any) -> str:
    return f"{start:%a %d %b} – {end:%a %d %b %Y}"


def _headline(name: str, row: SegmentRow) -> dict[str, Any]:
    now = (row.current or {}).get(name)
    before = (row.previous or {}).get(name)
    delta = row.changes[name]
    check = next((c for c in row.targets if c.metric == name), None)
    return {
        "label": metric(name).label,
        "value": format_metric(name, now),
        "previous": format_metric(name, before),
        "change": fmt.change_label(delta),
        "direction": delta.direction,
        "status": check.status if check else "",
        "status_text": fmt.STATUS_TEXT[check.status] if check else "",
        "target": fmt.target_text(check) if check else "",
    }


def _cell(name: str, row: SegmentRow) -> Cell:
    now = (row.current or {}).get(name)
    delta: Change = row.changes[name]
    check = next((c for c in row.targets if c.metric == name), None)
    status = check.status if check and check.status != "n/a" else ""
    before = format_metric(name, (row.previous or {}).get(name))
    return Cell(
        value=format_metric(name, now),
        change=fmt.change_label(delta) if delta.value is not None else "",
        direction=delta.direction,
        status=status,
        status_text={"met": "●", "missed": "■"}.get(status, ""),
        title=f"previous week {before}" + (f"; {_check_words(check)}" if check else ""),
    )


def _check_words(check: TargetCheck) -> str:
    words = fmt.target_text(check)
    if check.clock == "business":
        words += f" (business-time value {format_metric(check.metric, check.value)})"
    return words


def _tables(report: WeeklyReportData) -> list[dict[str, Any]]:
    tables = []
    for key, title, rows in (
        ("region", "By region", report.regions),
        ("tier", "By tier", report.tiers),
        ("region-tier", "By region and tier", report.segments),
    ):
        keys = ["region", "tier"] if key == "region-tier" else [key]
        for part, metrics in (("Assignment", ASSIGNMENT_METRICS),
                              ("Rep follow-through", FOLLOW_THROUGH_METRICS)):
            tables.append({
                "id": f"table-{key}-{part.split()[0].lower()}",
                "title": f"{title}: {part.lower()}",
                "key_headers": [k.capitalize() for k in keys],
                "headers": [
                    {"text": metric(m).short_label, "title": metric(m).label} for m in metrics
                ],
                "rows": [
                    {"keys": [_key(r.keys.get(k)) for k in keys],
                     "cells": [_cell(m, r) for m in metrics]}
                    for r in (*rows, report.total)
                ],
                "total_keys": len(keys),
            })
    return tables


def _key(value: str | None) -> str:
    return "(none)" if value is None else value


def _reason_rows(reasons: Sequence[Any], total: SegmentRow, name: str) -> list[dict[str, Any]]:
    """Reasons of the ``name`` leads (``failed`` / ``rejected``) with their share of them."""
    base = (total.current or {}).get(name) or 0
    rows = []
    for reason in reasons:
        if not (reason.count or reason.previous):
            continue
        rows.append({
            "reason": reason.reason,
            "count": format_count(reason.count),
            "previous": format_count(reason.previous),
            "change": fmt.count_change(reason.count, reason.previous),
            "share": format_rate(rate(reason.count, base)),
        })
    return rows


def _definitions() -> list[dict[str, str]]:
    """The glossary: each metric of the tables with its catalog label and description."""
    shown = dict.fromkeys((*HEADLINE_METRICS, *ASSIGNMENT_METRICS, *FOLLOW_THROUGH_METRICS))
    return [
        {"term": metric(m).label, "short": metric(m).short_label,
         "description": metric(m).description}
        for m in shown
    ]


def _key_findings(report: WeeklyReportData) -> list[str]:
    """Three to five plain sentences: what a leader should take away (no Salesforce markup)."""
    total = report.total
    if total.current is None:
        return [f"No leads were created in {report.period.week}."]
    lines = []
    success = total.changes["assignment_success_rate"]
    lines.append(
        f"{format_count(total.current['leads'])} leads; "
        f"{metric('assignment_success_rate').label.lower()} "
        f"{format_metric('assignment_success_rate', total.current['assignment_success_rate'])}"
        + (f" ({fmt.change_label(success)} vs {report.previous_period.week})"
           if success.value is not None else "")
        + "."
    )
    missed = [
        r for r in report.segments
        for c in r.targets if c.status == "missed" and c.metric == "tta_p95_minutes"
    ]
    if missed:
        names = ", ".join(f"{_key(r.keys.get('region'))} {_key(r.keys.get('tier'))}"
                          for r in missed[:4])
        more = f" and {len(missed) - 4} more" if len(missed) > 4 else ""
        lines.append(f"{metric('tta_p95_minutes').label} was over the tier SLA in {names}{more}.")
    top = report.top_failure_reason
    if top is not None:
        lines.append(f"Top failure reason: {top.reason} ({format_count(top.count)} leads).")
    if report.anomalies:
        lines.append(
            f"{format_count(len(report.anomalies))} alert episode(s) were firing during the week."
        )
    if report.flow_changes:
        lines.append(
            f"{format_count(len(report.flow_changes))} flow version change(s) were recorded."
        )
    return lines
