"""The daily digest: yesterday's headline routing metrics against their targets, for Slack.

``build_daily_digest(config, day, as_of)`` computes the day's numbers from one load of its cohort
as ``reports.export.compute_export`` does (so they equal ``export_metrics --start D --end
D``): the total, per region, per tier and per region × tier. ``digest_payload(digest)`` turns them
into a Block Kit message: a headline section, one line per region and links to the dashboard.

Targets are those of ``routing_health.reports.changes`` (the alert thresholds: assignment success
≥ 99.5 %, TTA p95 ≤ the tier's assignment SLA, first-touch p95 ≤ the tier's touch SLA, rejection
rate ≤ 10 %), resolved per segment, so per-region overrides apply. The p95 targets are per tier,
so they are judged per tier (headline) and per region × tier (region lines).

Labels come from the metric catalog, numbers from the one formatter (``lib.format``), times in
the report timezone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.conf import settings

from routing_health.config import RoutingConfig
from routing_health.facts.calendars import resolved_params
from routing_health.lib.format import NO_DATA, format_count, format_minutes, format_time
from routing_health.lib.mrkdwn import MAX_BLOCKS
from routing_health.metrics import METRIC_NAMES, metrics_rows, total_metrics
from routing_health.metrics.catalog import format_metric, metric
from routing_health.models import AlertIncident
from routing_health.reports import formatting as fmt
from routing_health.reports import mrkdwn
from routing_health.reports.changes import TargetCheck, target_checks
from routing_health.reports.export import cohort_facts

MSG_FUTURE_DAY = "{day} has not started in {timezone} as of {as_of}: nothing to report"
MSG_BAD_DAY = "--date must be a date YYYY-MM-DD, got {value!r}"
MAX_REGION_LINES = 39  # header, context, headline, divider, regions, overflow, info, link <= 50
MAX_INFO_LINES = 10
REGION_CHARS = 80
TAIL_RESERVE = 600  # the "+N more" line and the closing link
assert MAX_REGION_LINES + 6 <= MAX_BLOCKS


class DigestError(ValueError):
    """A digest that cannot be made; the message says why."""


@dataclass(frozen=True)
class SegmentDigest:
    """One segment's metrics for the day and its target checks."""

    region: str | None
    tier: str | None
    metrics: Mapping[str, Any]
    targets: tuple[TargetCheck, ...]


@dataclass(frozen=True)
class RegionDigest:
    """A region's line: its own metrics, and each of its tiers (for the per-tier SLA targets)."""

    region: SegmentDigest
    tiers: tuple[SegmentDigest, ...]


@dataclass(frozen=True)
class DailyDigest:
    day: date
    timezone: str
    as_of: datetime
    complete: bool  # the local day had ended at as_of
    total: SegmentDigest
    tiers: tuple[SegmentDigest, ...]
    regions: tuple[RegionDigest, ...]
    dashboard_url: str  # PUBLIC_URL/?start=<day>&end=<day>
    info_alerts: tuple[str, ...] = ()  # firing `info` incidents: the digest is where they go


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DigestError(MSG_BAD_DAY.format(value=value)) from None


def build_daily_digest(config: RoutingConfig, day: date | None, as_of: datetime) -> DailyDigest:
    """The digest of local ``day`` (``None``: yesterday in the report time zone) as of ``as_of``."""
    as_of = as_of.astimezone(UTC).replace(microsecond=0)
    tz = ZoneInfo(config.report.timezone)
    today = as_of.astimezone(tz).date()
    day = day or today - timedelta(days=1)
    if day > today:
        raise DigestError(MSG_FUTURE_DAY.format(
            day=day, timezone=config.report.timezone,
            as_of=as_of.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ))

    # One load for the day, aggregated per grouping as compute_export does it.
    params = resolved_params(config)
    members = cohort_facts(params, day, day, as_of)
    by_segment = metrics_rows(members, ["region", "tier"], params)
    by_region = metrics_rows(members, ["region"], params)
    by_tier = metrics_rows(members, ["tier"], params)

    def digest(row: Mapping[str, Any], *, region: str | None, tier: str | None,
               has_tier: bool) -> SegmentDigest:
        metrics = {name: row[name] for name in METRIC_NAMES}
        checks = target_checks(config, metrics, region=region, tier=tier, has_tier=has_tier)
        return SegmentDigest(region, tier, metrics, checks)

    segments: dict[str | None, list[SegmentDigest]] = {}
    for row in by_segment:
        segments.setdefault(row["region"], []).append(
            digest(row, region=row["region"], tier=row["tier"], has_tier=True)
        )
    base = (getattr(settings, "PUBLIC_URL", "") or "").rstrip("/")
    return DailyDigest(
        day=day,
        timezone=config.report.timezone,
        as_of=as_of,
        complete=day < today,
        total=digest(total_metrics(members, params), region=None, tier=None, has_tier=False),
        tiers=tuple(digest(r, region=None, tier=r["tier"], has_tier=True)
                    for r in by_tier),
        regions=tuple(
            RegionDigest(
                digest(r, region=r["region"], tier=None, has_tier=False),
                tuple(segments.get(r["region"], ())),
            )
            for r in by_region
        ),
        dashboard_url=f"{base}/?start={quote(day.isoformat())}&end={quote(day.isoformat())}",
        info_alerts=info_alerts(),
    )


def info_alerts() -> tuple[str, ...]:
    """Incidents firing at ``info`` severity (spec section 6: they go only to the daily digest),
    as "title (segment)", oldest first."""
    firing = AlertIncident.objects.filter(
        state=AlertIncident.State.FIRING, severity=AlertIncident.Severity.INFO
    ).order_by("first_seen", "id")
    return tuple(
        f"{(i.details or {}).get('title') or i.rule} "
        f"({' · '.join(p for p in (i.region, i.tier) if p) or 'all leads'})"
        for i in firing
    )


# --------------------------------------------------------------------------------------------
# Slack


def _mark(check: TargetCheck | None) -> str:
    if check is None or check.status == "n/a":
        return ""
    return " ✓" if check.status == "met" else " ✗"


def _check(segment: SegmentDigest, metric: str) -> TargetCheck | None:
    return next((c for c in segment.targets if c.metric == metric), None)


def _rate_line(segment: SegmentDigest, name: str, detail: str = "") -> str:
    check = _check(segment, name)
    label = metric(name).label
    value = format_metric(name, segment.metrics.get(name))
    target = f", {fmt.target_text(check)}" if check else ""
    status = f" — {mrkdwn.STATUS_MARKS[check.status]}" if check and check.status != "n/a" else ""
    return f"*{label}:* {value}{detail}{target}{status}"


def _sla_words(check: TargetCheck | None) -> str:
    if check is None:
        return ""
    clock = " business time" if check.clock == "business" else ""
    return f" (SLA {format_minutes(check.threshold)}{clock})"


def _tier_p95_line(tiers: tuple[SegmentDigest, ...], name: str) -> str:
    parts = []
    for segment in tiers:
        check = _check(segment, name)
        if segment.metrics.get(name) is None:
            continue
        value = check.value if check is not None else segment.metrics[name]
        parts.append(
            f"{mrkdwn.value(segment.tier or '(none)', 40)} "
            f"{format_metric(name, value)}{_mark(check)}{_sla_words(check)}"
        )
    return f"*{metric(name).label}:* " + (" · ".join(parts) if parts else NO_DATA)


def _region_line(line: RegionDigest, digest: DailyDigest) -> str:
    region = line.region
    metrics = region.metrics
    name = mrkdwn.value(region.region or "(no region)", REGION_CHARS)
    parts = [f"*{name}*", f"{format_count(metrics['leads'])} leads"]
    parts.append(
        "success "
        + format_metric("assignment_success_rate", metrics["assignment_success_rate"])
        + _mark(_check(region, "assignment_success_rate"))
        + (f" ({format_count(metrics['failed'])} failed)" if metrics["failed"] else "")
    )
    judged = False
    for p95 in ("tta_p95_minutes", "first_touch_p95_minutes"):
        label = f"{metric(p95).short_label} over SLA"
        over = []
        for tier in line.tiers:
            check = _check(tier, p95)
            if check is None or check.status == "n/a":
                continue
            judged = True
            if check.status == "missed":
                over.append(
                    f"{mrkdwn.value(tier.tier or '(none)', 40)} "
                    f"{format_metric(p95, check.value)}{_sla_words(check)}"
                )
        if over:
            parts.append(f"{label}: " + ", ".join(over) + " ✗")
    if judged and not any("over SLA" in part for part in parts):
        parts.append("p95s within SLA ✓")
    parts.append(
        "rejection " + format_metric("rejection_rate", metrics["rejection_rate"])
        + _mark(_check(region, "rejection_rate"))
    )
    if region.region is not None:
        parts.append(mrkdwn.link(digest.dashboard_url, "open", {"region": region.region}))
    return " · ".join(parts)


def digest_payload(digest: DailyDigest) -> dict[str, Any]:
    """chat.postMessage arguments (minus the channel) for the digest; within Slack's limits."""
    total = digest.total
    day_text = f"{digest.day:%a %d %b %Y}"
    blocks: list[dict[str, Any]] = [
        mrkdwn.header(f"Routing daily digest · {day_text}"),
        mrkdwn.context(
            f"Leads created on {digest.day.isoformat()} ({mrkdwn.value(digest.timezone, 60)}), "
            f"as of {format_time(digest.as_of, digest.timezone)}"
            + ("" if digest.complete else " · *the day is not over yet*")
            + " · ✓ on target, ✗ off target"
        ),
    ]
    metrics = total.metrics
    if not metrics["leads"]:
        blocks.append(mrkdwn.section(f"No leads were created on {day_text}."))
    else:
        lines = [
            f"*{metric('leads').short_label}:* {format_count(metrics['leads'])} "
            f"({format_count(metrics['failed'])} failed routing, "
            f"{format_count(metrics['pending'])} pending)",
            _rate_line(total, "assignment_success_rate"),
            _tier_p95_line(digest.tiers, "tta_p95_minutes"),
            _tier_p95_line(digest.tiers, "first_touch_p95_minutes"),
            _rate_line(total, "rejection_rate",
                       f" ({format_count(metrics['rejected'])} of "
                       f"{format_count(metrics['assigned'])} assigned)"),
        ]
        blocks.append(mrkdwn.section("\n".join(lines)))
        blocks.append({"type": "divider"})
        used = mrkdwn.blocks_text_length(blocks) + TAIL_RESERVE
        shown = 0
        for line in digest.regions[:MAX_REGION_LINES]:
            block = mrkdwn.section(_region_line(line, digest))
            size = mrkdwn.blocks_text_length(block)
            if used + size > mrkdwn.BLOCKS_TEXT_BUDGET:
                break
            blocks.append(block)
            used += size
            shown += 1
        if len(digest.regions) > shown:
            blocks.append(mrkdwn.context(
                f"+{format_count(len(digest.regions) - shown)} more regions on the dashboard"
            ))
    if digest.info_alerts:
        shown = [f"• {mrkdwn.value(text, 300)}" for text in digest.info_alerts[:MAX_INFO_LINES]]
        if len(digest.info_alerts) > MAX_INFO_LINES:
            shown.append(f"+{format_count(len(digest.info_alerts) - MAX_INFO_LINES)} more")
        blocks.append(mrkdwn.section("*Info alerts* (not paged)\n" + "\n".join(shown)))
    blocks.append(
        mrkdwn.section(mrkdwn.link(digest.dashboard_url, "Open the dashboard for this day"))
    )
    success = format_metric("assignment_success_rate", metrics["assignment_success_rate"])
    text = (
        f"Routing daily digest {digest.day.isoformat()}: {format_count(metrics['leads'])} "
        f"leads, assignment success {success}{_mark(_check(total, 'assignment_success_rate'))}"
    )
    return {"text": mrkdwn.fallback(text), "blocks": blocks, "unfurl_links": False}
