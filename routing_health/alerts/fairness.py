"""``distribution_imbalance`` (issue 17): one pool's leads unevenly shared against the reps'
weights. Pure: lead facts and the users' state in, findings out (``metrics.fairness``).

Over the leads created in the rule's window (``[alerts.rules.distribution_imbalance]
window_hours``, a week by default) and first assigned to an available pool member, each pool
(``[[fairness.pools]]``, else each region's reps) with at least ``min_sample`` such leads
(``[alerts.rules…] min_sample``, else ``[fairness] min_leads``: 20) breaches when any of:

- its max/min share-per-weight ratio is at or above the threshold (``[alerts.rules…]
  threshold``, else ``[fairness] max_ratio``: 2.0);
- a member got none of its leads (the ratio is then undefined);
- the Gini index of the weight-normalised counts is at or above ``[fairness] max_gini`` (0.3);

and only when a split so uneven is less likely than ``[fairness] max_p_value`` (0.05) by chance
(Pearson's chi-square against the weights, ``metrics.fairness``): random routing over a few
dozen leads easily gives one rep twice another's count.

Its value is the ratio (null when a member got none). One finding per pool (fingerprint: rule,
the pool's region, no tier, the pool's name); the leads behind it are the most loaded rep's.
Per-region overrides apply to a region's pool (``enabled``, ``threshold``, ``min_sample``,
``severity``); the window is the rule's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType

import numpy as np
import pandas as pd

from routing_health.alerts.evaluate import Finding, fingerprint
from routing_health.alerts.rules import effective_rule, window_words
from routing_health.config import RoutingConfig
from routing_health.facts.reps import skips_of
from routing_health.lib.format import format_count, format_rate
from routing_health.metrics.fairness import NO_REGION, pool_indices, pool_shares, pools_of

RULE = "distribution_imbalance"
WINDOW = "window"


def _threshold(config: RoutingConfig, region: str) -> tuple[float, int]:
    """The ratio threshold and the least pool leads of the pool of ``region``."""
    rule = effective_rule(config, RULE, region or None)
    base = config.alerts.rules.get(RULE)
    overrides = [o for o in config.alerts.overrides if o.rule == RULE and o.region == region]
    ratio_set = (base is not None and base.threshold is not None) or any(
        o.threshold is not None for o in overrides)
    sample_set = (base is not None and base.min_sample is not None) or any(
        o.min_sample is not None for o in overrides)
    threshold = rule.threshold if ratio_set else config.fairness.max_ratio
    min_sample = rule.min_sample if sample_set else config.fairness.min_leads
    return threshold, min_sample


def imbalance_findings(
    facts: pd.DataFrame,
    reps: pd.DataFrame,
    config: RoutingConfig,
    as_of: datetime,
    *,
    labels: Mapping[str, str] | pd.Series | None = None,
) -> tuple[list[Finding], dict[str, float | None]]:
    """The findings of the imbalanced pools and the value of every pool measured."""
    hours = effective_rule(config, RULE).window_hours or 168.0
    created = pd.to_datetime(facts["created_at"], utc=True)
    start = pd.Timestamp(as_of) - timedelta(hours=hours)
    window = facts[((created > start) & (created <= pd.Timestamp(as_of))).to_numpy(dtype=bool)]
    window = window.assign(**{WINDOW: "last"})
    pools = pools_of(config.fairness.pools)
    shares = pool_shares(window, reps, pools=pools, weights=config.fairness.weights,
                         period=WINDOW, skip_regions=skips_of(config))
    indices = pool_indices(shares)
    region_of = {p.name: p.region or "" for p in pools}
    names = dict(zip(reps["id"].astype(str), reps["name"].astype(str), strict=True)) if len(
        reps) else {}
    findings: list[Finding] = []
    values: dict[str, float | None] = {}
    for index in indices.to_dict("records"):
        pool = str(index["pool"])
        region = region_of.get(pool, "" if pool == NO_REGION else pool) if pools else (
            "" if pool == NO_REGION else pool)
        rule = effective_rule(config, RULE, region or None)
        if not rule.enabled:
            continue
        threshold, min_sample = _threshold(config, region)
        ratio = None if np.isnan(index["max_min_ratio"]) else float(index["max_min_ratio"])
        gini = None if np.isnan(index["gini"]) else float(index["gini"])
        key = fingerprint(RULE, region, "", pool)
        values[key] = ratio
        if not config.fairness.judge(index, max_ratio=threshold, min_leads=min_sample):
            continue
        members = shares[shares["pool"] == pool].sort_values(["ratio", "rep"],
                                                             ascending=[False, True])
        top = str(members.iloc[0]["rep"])
        top_rows = window["first_rep"].astype(object) == top
        if pools and region_of.get(pool):
            top_rows &= window["region"].astype(object) == region_of[pool]
        elif not pools:
            top_rows &= window["region"].astype(object).fillna(NO_REGION) == pool
        chosen = window[top_rows.to_numpy(dtype=bool)].sort_values("created_at")
        ids = chosen["lead_id"].astype(str)
        shown = ids.map(labels).fillna(ids) if labels is not None else ids
        reasons = tuple((names.get(str(r.rep), str(r.rep)), int(r.leads))
                        for r in members.itertuples())
        findings.append(Finding(
            fingerprint=key, rule=RULE,
            segment=MappingProxyType({"region": region, "tier": ""}),
            failure_reason=pool, value=ratio, threshold=threshold, comparison=">=",
            window=window_words(hours), sample=int(index["leads"]),
            lead_ids=tuple(ids), labels=tuple(shown.astype(str)), reasons=reasons,
            window_hours=hours, severity=rule.severity, for_minutes=rule.for_minutes,
            summary=summary(pool, members, names, ratio, gini, int(index["leads"]),
                            float(index["p_value"])),
        ))
    return findings, values


def summary(pool: str, members: pd.DataFrame, names: Mapping[str, str], ratio: float | None,
            gini: float | None, leads: int, p_value: float) -> str:
    """"AMER: Ann got 60.0% of 20 leads (due 33.3%), Cat 20.0% (due 33.3%); max/min 3.0, Gini
    0.27 (p = 0.041 by chance)"."""
    first, last = members.iloc[0], members.iloc[-1]

    def who(row: pd.Series) -> str:
        return names.get(str(row["rep"]), str(row["rep"]))

    text = (f"{pool}: {who(first)} got {format_rate(first['share'])} of "
            f"{format_count(leads)} leads (due {format_rate(first['weight_share'])}), "
            f"{who(last)} {format_rate(last['share'])} (due {format_rate(last['weight_share'])})")
    ratio_text = f"{ratio:.1f}" if ratio is not None else "undefined (a rep got none)"
    gini_text = f"{gini:.2f}" if gini is not None else "no data"
    return f"{text}; max/min {ratio_text}, Gini {gini_text} (p = {p_value:.2g} by chance)."
