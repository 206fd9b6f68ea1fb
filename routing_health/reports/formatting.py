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
from routing_health.metrics.survival import Quantile
from routing_health.reports.changes import Change, TargetCheck

RELATIVE_AS_MULTIPLE = 2.0

# The arrow shows which way the number moved; whether that is good is the word (and, in HTML,
# the colour): "↓ −30% better" for a p95 that fell, "↓ −1.2 pp worse" for a success rate.
ARROW_UP, ARROW_DOWN = "↑", "↓"
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
    """The change with an arrow for its direction and a word for its meaning, so neither
    depends on colour: "↑ +1.2 pp better", "↓ −7% better", "↑ +12"."""
    text = change_text(delta)
    if delta.value is None or delta.direction == "same":
        return text
    arrow = ARROW_UP if delta.value > 0 else ARROW_DOWN
    word = f" {delta.direction}" if delta.direction in ("better", "worse") else ""
    return f"{arrow} {text}{word}"


def estimate_text(metric_name: str, quantile: Quantile) -> str:
    """A Kaplan–Meier quantile in ``metric_name``'s unit; "more than 9 h" when not reached yet
    (the estimate exceeds the longest wait observed), "—" without leads."""
    if quantile.reached or quantile.at_least is None:
        return format_metric(metric_name, quantile.value)
    return f"more than {format_metric(metric_name, quantile.at_least)}"


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
