"""Words around the numbers of the reports: week-over-week changes and targets.

Every value itself is formatted by the one formatter, ``routing_health.lib.format`` (a metric
through ``routing_health.metrics.catalog.format_metric``), so the digest, the weekly review and
Slack read like the dashboard. What stays here is what is not a metric value: a change between
two weeks ("+1.2 pp", "−30%", "×2.5", "+12"), its glyph and word, and the wording of a target.
Minus signs are U+2212.
"""

from __future__ import annotations

from routing_health.lib.format import MINUS, NO_DATA
from routing_health.metrics.catalog import format_metric
from routing_health.reports.changes import Change, TargetCheck

RELATIVE_AS_MULTIPLE = 2.0

GLYPHS = {"better": "▲", "worse": "▼", "same": "=", "neutral": "", "n/a": ""}
STATUS_TEXT = {"met": "● on target", "missed": "■ off target", "n/a": ""}


def change_text(delta: Change) -> str:
    """"+1.2 pp", "−30%", "+12", "±0", or "—" without a comparison."""
    if delta.value is None:
        return NO_DATA
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


def count_change(current: int, previous: int) -> str:
    """The difference of two counts: "+3", "−2", "±0"."""
    diff = current - previous
    return "±0" if diff == 0 else f"{'+' if diff > 0 else MINUS}{abs(diff):,}"


def target_text(check: TargetCheck) -> str:
    """"target ≥ 99.50%" / "target ≤ 5 min" / "target ≤ 1 h in business time"."""
    sign = "≥" if check.comparison == ">=" else "≤"
    shown = format_metric(check.metric, check.threshold)
    clock = " in business time" if check.clock == "business" else ""
    return f"target {sign} {shown}{clock}"
