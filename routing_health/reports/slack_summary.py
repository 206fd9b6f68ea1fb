"""The weekly review in Slack: a short Block Kit summary with a link to the full report.

Labels come from the metric catalog, numbers from the one formatter (``lib.format``).
"""

from __future__ import annotations

from typing import Any

from routing_health.lib.format import format_count
from routing_health.lib.mrkdwn import MAX_FIELD_TEXT, fit_mrkdwn
from routing_health.metrics.catalog import format_metric, metric
from routing_health.reports import formatting as fmt
from routing_health.reports import mrkdwn
from routing_health.reports.drivers import top_driver_text
from routing_health.reports.weekly import SegmentRow, WeeklyReportData

SUMMARY_METRICS = (
    "leads",
    "assignment_success_rate",
    "tta_p95_minutes",
    "assign_sla_met_rate",
    "touch_sla_met_rate",
    "first_touch_p95_minutes",
    "acceptance_rate",
    "rejection_rate",
)
REASON_CHARS = 200
SUMMARY_DRIVERS = ("assignment_success_rate", "acceptance_rate")
"""The rates whose "what drove the change" the summaries name (the review shows them all)."""


def driver_sentences(report: WeeklyReportData) -> list[str]:
    """``"What drove assignment success: −5.3 pp; largest part EMEA hot at …  (−4.9 pp)"``, for
    each of ``SUMMARY_DRIVERS`` that moved as shown (plain text: the caller escapes it)."""
    sentences = []
    for item in report.drivers:
        text = top_driver_text(item) if item.metric in SUMMARY_DRIVERS else None
        if text:
            sentences.append(f"What drove {metric(item.metric).label.lower()}: {text}")
    return sentences


def metric_words(row: SegmentRow, name: str) -> str:
    """A metric of a row with its change: ``"97.5% (▲ +1.2 pp better)"``."""
    now = (row.current or {}).get(name)
    text = format_metric(name, now)
    delta = row.changes[name]
    if delta.value is not None:
        text += f" ({fmt.change_label(delta)})"
    return text


def summary_line(report: WeeklyReportData) -> str:
    """One plain line: the week, leads, success, TTA p95 and the top failure reason."""
    total = report.total
    head = f"{report.period.week} ({report.period.start} – {report.period.end})"
    parts = []
    if total.current is None:
        parts.append("no leads")
    else:
        parts.append(f"{format_count(total.current['leads'])} leads")
        success, tta = metric("assignment_success_rate"), metric("tta_p95_minutes")
        parts.append(f"{success.label.lower()} {metric_words(total, success.name)}")
        parts.append(f"{tta.short_label} {metric_words(total, tta.name)}")
    top = report.top_failure_reason
    parts.append(f"top failure: {top.reason} ({format_count(top.count)})" if top
                 else "no routing failures")
    if not report.period.complete:
        parts.append("partial week")
    return f"{head}: " + "; ".join(parts)


def weekly_slack_payload(report: WeeklyReportData, *, report_url: str) -> dict[str, Any]:
    """chat.postMessage arguments (minus the channel) for the weekly summary."""
    total = report.total
    previous = report.previous_period.week
    blocks: list[dict[str, Any]] = [
        mrkdwn.header(f"Weekly routing review {report.period.week}"),
        mrkdwn.context(
            f"{report.period.start:%a %d %b} – {report.period.end:%a %d %b %Y} "
            f"({mrkdwn.value(report.timezone, 60)}) · compared with {previous}"
            + (" · *partial week*" if not report.period.complete else "")
        ),
    ]
    if total.current is None:
        blocks.append(mrkdwn.section(f"No leads were created in {report.period.week}."))
    else:
        fields = []
        for name in SUMMARY_METRICS:
            check = next((c for c in total.targets if c.metric == name), None)
            mark = ""
            if check is not None and check.status != "n/a":
                mark = f"\n{mrkdwn.STATUS_MARKS[check.status]}"
            text = f"*{metric(name).label}*\n{metric_words(total, name)}{mark}"
            fields.append({"type": "mrkdwn", "text": fit_mrkdwn(text, MAX_FIELD_TEXT)})
        blocks.append({"type": "section", "fields": fields})
    top = report.top_failure_reason
    if top is not None:
        blocks.append(mrkdwn.section(
            f"*Top failure reason:* {mrkdwn.value(top.reason, REASON_CHARS)} — "
            f"{format_count(top.count)} failed lead{'s' if top.count != 1 else ''} "
            f"({format_count(top.previous)} in {previous})"
        ))
    else:
        blocks.append(mrkdwn.section("*Routing failures:* none this week."))
    drove = driver_sentences(report)
    if drove:
        blocks.append(mrkdwn.section("\n".join(mrkdwn.value(line, 300) for line in drove)))
    extras = []
    if report.anomalies:
        extras.append(f"{format_count(len(report.anomalies))} alert episode(s) during the week")
    if report.flow_changes:
        extras.append(f"{format_count(len(report.flow_changes))} flow version change(s)")
    if extras:
        blocks.append(mrkdwn.context(" · ".join(extras)))
    blocks.append(mrkdwn.section(mrkdwn.link(report_url, "Open the full weekly review")))
    text = f"Weekly routing review {mrkdwn.value(summary_line(report), 3000)}"
    return {"text": mrkdwn.fallback(text), "blocks": blocks, "unfurl_links": False}
