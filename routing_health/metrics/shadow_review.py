"""The shadow comparison as people review it (issue 17): outcomes with intervals, a verdict,
and the bias review. Input is a frame of lead facts with the ``metrics.shadow`` columns.

- ``compare_outcomes``: acceptance, first touch p50, touch SLA met and conversion within N days
  of the agreed vs the disagreed leads (``shadow_compare``: Newcombe / bootstrap intervals).
- ``bias_review``: over the compared leads of each scope (all leads, each region, each tier),
  each rep's share of the leads as the candidate would assign them next to the share routing
  gave them; ``flagged`` when the two differ by more than the threshold (absolute points).

Pure pandas/numpy: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from routing_health.metrics.shadow import shadow_members, side_masks
from routing_health.metrics.shadow_compare import (
    Comparison,
    median_comparison,
    overall_verdict,
    rate_comparison,
)

SCOPES = (("all", None), ("region", "region"), ("tier", "tier"))
ALL_LEADS = "All leads"
NO_VALUE = "(none)"
BIAS_COLUMNS = ("dimension", "scope", "rep", "leads", "candidate_leads", "actual_leads",
                "candidate_share", "actual_share", "shift", "flagged")


@dataclass(frozen=True)
class Review:
    comparisons: tuple[Comparison, ...]
    compared: int
    verdict: str


def compare_outcomes(facts: pd.DataFrame, conversion_days: int) -> Review:
    """The four outcomes, agreed vs disagreed, and the overall verdict."""
    members = shadow_members(facts)

    def count(name: str) -> int:
        return int(members[name].sum())

    sides = side_masks(facts)
    touch = facts["first_touch_minutes"].to_numpy(dtype=float)
    comparisons = (
        rate_comparison("acceptance", count("shadow_agreed_accepted"),
                        count("shadow_agreed_acceptance_base"),
                        count("shadow_disagreed_accepted"),
                        count("shadow_disagreed_acceptance_base")),
        median_comparison("first touch", touch[sides["agreed"] & ~np.isnan(touch)],
                          touch[sides["disagreed"] & ~np.isnan(touch)]),
        rate_comparison("touch SLA met", count("shadow_agreed_touch_sla_met"),
                        count("shadow_agreed_touch_sla_applicable"),
                        count("shadow_disagreed_touch_sla_met"),
                        count("shadow_disagreed_touch_sla_applicable")),
        rate_comparison(f"conversion within {conversion_days} days",
                        count("shadow_agreed_converted"), count("shadow_agreed_conversion_base"),
                        count("shadow_disagreed_converted"),
                        count("shadow_disagreed_conversion_base")),
    )
    compared = count("shadow_compared")
    return Review(comparisons, compared, overall_verdict(comparisons, compared))


def bias_review(facts: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """One row per scope and rep (``BIAS_COLUMNS``), scopes in ``SCOPES`` order, then by scope
    value, then the largest absolute shift first. Shares are of the scope's compared leads.

    Integer codes and ``bincount`` (no per-lead Python): reps are coded once over the
    candidates and the routed owners together."""
    compared = facts[facts["shadow_compared"].to_numpy(dtype=bool)]
    both = pd.concat([compared["shadow_candidate"].astype(object),
                      compared["routed_owner"].astype(object)], ignore_index=True)
    rep_codes, reps = pd.factorize(both)
    m = len(compared)
    candidate_code, actual_code = rep_codes[:m], rep_codes[m:]
    n_reps = len(reps)
    parts = []
    for dimension, column in SCOPES:
        if not m:
            break
        if column is None:
            scope_code, scopes = np.zeros(m, dtype=np.int64), np.array([ALL_LEADS], dtype=object)
        else:
            values = compared[column].astype(object)
            values = values.where(values.notna() & (values != ""), NO_VALUE)
            scope_code, scopes = pd.factorize(values)
            scopes = np.asarray(scopes, dtype=object)
        size = len(scopes) * n_reps
        candidate = np.bincount(scope_code * n_reps + candidate_code, minlength=size)
        actual = np.bincount(scope_code * n_reps + actual_code, minlength=size)
        leads = np.bincount(scope_code, minlength=len(scopes))
        cell = np.flatnonzero((candidate > 0) | (actual > 0))
        scope_of, rep_of = cell // n_reps, cell % n_reps
        table = pd.DataFrame({
            "scope": scopes[scope_of],
            "rep": np.asarray(reps, dtype=object)[rep_of],
            "leads": leads[scope_of],
            "candidate_leads": candidate[cell],
            "actual_leads": actual[cell],
        })
        table["candidate_share"] = table["candidate_leads"] / table["leads"]
        table["actual_share"] = table["actual_leads"] / table["leads"]
        table["shift"] = table["candidate_share"] - table["actual_share"]
        # A tiny tolerance keeps 0.30 - 0.20 (0.0999...) from being judged by float noise.
        table["flagged"] = table["shift"].abs() > threshold + 1e-12
        table["dimension"] = dimension
        table["order"] = -table["shift"].abs()
        parts.append(table.sort_values(["scope", "order", "rep"], kind="stable"))
    if not parts:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in BIAS_COLUMNS})
    return pd.concat(parts, ignore_index=True)[list(BIAS_COLUMNS)]
