"""Numbers for people: the one place the reports turn metrics into short strings.

Nulls (an empty denominator) show as an em dash, never as 0. Minus signs are U+2212.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from routing_health.reports.changes import Change, TargetCheck, kind_of

NULL = "—"
RELATIVE_AS_MULTIPLE = 2.0
MINUS = "−"

METRIC_LABELS: dict[str, str] = {
    "leads": "Leads",
    "succeeded": "Succeeded",
    "failed": "Failed routing",
    "pending": "Pending",
    "assignment_success_rate": "Assignment success",
    "assigned": "Assigned to a rep",
    "tta_p50_minutes": "Time to assignment p50",
    "tta_p95_minutes": "Time to assignment p95",
    "assign_sla_met_rate": "Assignment SLA met",
    "bounced": "Bounced",
    "bounce_rate": "Bounce rate",
    "accepted": "Accepted",
    "acceptance_rate": "Acceptance rate",
    "touched": "Touched",
    "first_touch_p50_minutes": "First touch p50",
    "first_touch_p95_minutes": "First touch p95",
    "touch_sla_met_rate": "Touch SLA met",
    "rejected": "Rejected",
    "rejection_rate": "Rejection rate",
    "queued": "Queued now",
    "queued_over_limit": "Queued over the limit",
    "oldest_queue_age_hours": "Oldest in a queue",
}

GLYPHS = {"better": "▲", "worse": "▼", "same": "=", "neutral": "", "n/a": ""}
STATUS_TEXT = {"met": "● on target", "missed": "■ off target", "n/a": ""}


def _number(value: float, decimals: int = 1) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace("-", MINUS)


def rate(value: float | None, decimals: int = 1) -> str:
    """0.9833 → "98.3%"."""
    return NULL if value is None else f"{_number(value * 100.0, decimals)}%"


def minutes(value: float | None) -> str:
    """A duration in minutes: "45 s", "12.5 min", "3.2 h", "2.1 d"."""
    if value is None:
        return NULL
    if value < 1.0:
        return f"{value * 60:.0f} s"
    if value < 60.0:
        return f"{_number(value)} min"
    if value < 48 * 60.0:
        return f"{_number(value / 60.0)} h"
    return f"{_number(value / 1440.0)} d"


def hours(value: float | None) -> str:
    return NULL if value is None else minutes(value * 60.0)


def count(value: int | float | None) -> str:
    return NULL if value is None else f"{int(value):,}"


def metric(name: str, value: Any) -> str:
    """Any metric of spec sections 5 and 10 in its unit."""
    if name.endswith(("_rate", "_rate_business")):
        return rate(value)
    if name.endswith("_minutes"):
        return minutes(value)
    if name.endswith("_hours"):
        return hours(value)
    return count(value)


def change_text(delta: Change) -> str:
    """"+1.2 pp", "−30%", "+12", "±0", or "—" without a comparison."""
    if delta.value is None:
        return NULL
    if delta.direction == "same":
        return "±0"
    sign = "+" if delta.value > 0 else MINUS
    size = abs(delta.value)
    if delta.kind == "pp":
        return f"{sign}{size:.1f} pp"
    if delta.kind == "relative":
        # Past +200 % a multiple reads better ("×58" rather than "+5,700%").
        if delta.value >= RELATIVE_AS_MULTIPLE:
            return f"×{delta.value + 1:,.0f}" if delta.value >= 9 else f"×{delta.value + 1:.1f}"
        return f"{sign}{size * 100:.0f}%"
    return f"{sign}{size:,.0f}"


def change_label(delta: Change) -> str:
    """The change with a glyph and a word, so it never depends on colour: "▲ +1.2 pp better"."""
    text = change_text(delta)
    if delta.direction in ("better", "worse"):
        return f"{GLYPHS[delta.direction]} {text} {delta.direction}"
    return text


def target_text(check: TargetCheck) -> str:
    """"target ≥ 99.5%" / "target ≤ 5.0 min" / "target ≤ 1.0 h in business time"."""
    sign = "≥" if check.comparison == ">=" else "≤"
    shown = metric(check.metric, check.threshold)
    clock = " in business time" if check.clock == "business" else ""
    return f"target {sign} {shown}{clock}"


def local_time(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return local.strftime("%a %d %b %Y %H:%M ") + (local.tzname() or "")


def kind_word(metric_name: str) -> str:
    return {"pp": "percentage points", "relative": "relative change", "count": "difference"}[
        kind_of(metric_name)
    ]
