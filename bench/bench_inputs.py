"""Routing-input data quality benchmark (issue 17, item 4): the cost of the input columns and
metrics at 1,000,000 leads (100,000 at "small").

On random leads (three ``[data_quality]`` fields, one with ``allowed`` values and one with a
``pattern``, about 10 % blank, 0.3 history rows per lead), timed separately:

1. ``values_at_creation`` + ``input_columns`` (what the loader adds to the lead frame);
2. the engine's extra counts: ``count_members`` / ``group_values`` by lead source × day with the
   input columns against the same facts without them (the difference is the new metrics' cost);
3. ``field_quality`` by lead source × day (the per-field breakdown of the Data quality page).

Usage: ``python -m bench.run --only inputs [--scale small]`` or ``python -m bench.bench_inputs``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

LEADS = {"full": 1_000_000, "small": 100_000}
TARGET_SECONDS = 10.0  # all three steps together, 2-core machine
SOURCES = ("Web", "Content Download", "Webinar", "Partner Referral", "Trade Show", "Other")
COUNTRIES = ("US", "DE", "FR", "GB", "Germany", "", None)
STATES = ("NY", "CA", "TX", "ny", "N/A", None)


def _timed(call: Callable[[], object]) -> tuple[object, float]:
    began = time.perf_counter()
    result = call()
    return result, time.perf_counter() - began


def _inputs(n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = pd.Series([f"00Q{i:015d}" for i in range(n)], dtype=object)
    current = pd.DataFrame({
        "id": ids,
        "Country": np.array(COUNTRIES, dtype=object)[rng.integers(0, len(COUNTRIES), n)],
        "State": np.array(STATES, dtype=object)[rng.integers(0, len(STATES), n)],
        "Territory__c": np.where(rng.random(n) < 0.1, None, "T1").astype(object),
        "LeadSource": np.array(SOURCES, dtype=object)[rng.integers(0, len(SOURCES), n)],
    })
    changed = rng.choice(n, size=int(n * 0.3), replace=False)
    changes = pd.DataFrame({
        "id": [f"017{i:015d}" for i in range(len(changed))],
        "lead_id": ids.to_numpy()[changed],
        "field": np.array(["Country", "State"], dtype=object)[rng.integers(0, 2, len(changed))],
        "created_at": pd.Timestamp("2026-11-01", tz="UTC")
        + pd.to_timedelta(rng.integers(0, 86400 * 30, len(changed)), unit="s"),
        "old_value": np.array(COUNTRIES, dtype=object)[rng.integers(0, len(COUNTRIES),
                                                                  len(changed))],
    })
    return current, changes


def run(scale: str = "full") -> list[dict]:
    from routing_health.config.model import FieldRule
    from routing_health.metrics.definitions import group_values
    from routing_health.metrics.inputs import field_quality, input_columns, values_at_creation

    n = LEADS[scale]
    rng = np.random.default_rng(17)
    current, changes = _inputs(n, rng)
    rules = (FieldRule("Country", allowed=frozenset({"US", "DE", "FR", "GB"})),
             FieldRule("State", pattern="[A-Z]{2}"), FieldRule("Territory__c"))
    names = ["Country", "State", "Territory__c", "LeadSource"]
    at_creation, t_history = _timed(lambda: values_at_creation(current, changes, names))
    inputs, t_columns = _timed(lambda: input_columns(at_creation, rules, "LeadSource"))
    outcome = np.array(["succeeded", "failed", "pending"], dtype=object)[
        rng.choice(3, n, p=[0.9, 0.07, 0.03])]
    facts = _facts(n, rng, outcome)
    facts["lead_source"] = inputs["lead_source"].to_numpy(dtype=object)
    facts["created_day"] = pd.Series(rng.integers(1, 29, n)).map(lambda d: f"2026-11-{d:02d}")
    group = pd.factorize(facts["lead_source"].astype(str) + facts["created_day"])[0]
    size = int(group.max()) + 1
    _, t_without = _timed(lambda: group_values(facts, group, size, 24.0))
    facts["input_missing_fields"] = inputs["input_missing_fields"].to_numpy(dtype=object)
    _, t_with = _timed(lambda: group_values(facts, group, size, 24.0))
    _, t_fields = _timed(lambda: field_quality(facts, ["Country", "State", "Territory__c"]))
    total = t_history + t_columns + max(t_with - t_without, 0.0) + t_fields
    return [{
        "name": "inputs",
        "leads": n,
        "history_rows": len(changes),
        "values_at_creation_seconds": round(t_history, 3),
        "input_columns_seconds": round(t_columns, 3),
        "engine_extra_seconds": round(max(t_with - t_without, 0.0), 3),
        "engine_with_inputs_seconds": round(t_with, 3),
        "field_quality_seconds": round(t_fields, 3),
        "total_seconds": round(total, 3),
        "target_seconds": TARGET_SECONDS,
        "verdict": "met" if total <= TARGET_SECONDS else "MISSED",
        "detail": {"fields": 3, "sources": len(SOURCES), "days": 28, "scale": scale},
    }]


def _facts(n: int, rng: np.random.Generator, outcome: np.ndarray) -> pd.DataFrame:
    """The fact columns ``count_members`` reads, random but well-formed."""
    assigned = rng.random(n) < 0.8
    when = pd.Timestamp("2026-11-02", tz="UTC")
    frame = pd.DataFrame({
        "outcome": pd.Categorical(outcome),
        "rep_assigned_at": pd.Series(np.where(assigned, when, pd.NaT)).astype(
            "datetime64[ns, UTC]"),
        "first_touch_at": pd.Series(np.where(rng.random(n) < 0.7, when, pd.NaT)).astype(
            "datetime64[ns, UTC]"),
        "queue_age_hours": np.where(rng.random(n) < 0.05, rng.random(n) * 48, np.nan),
    })
    for name in ("bounced", "accepted", "acceptance_pending", "rejected", "queued",
                 "assign_sla_applicable", "assign_sla_met", "touch_sla_applicable",
                 "touch_sla_met", "assign_sla_applicable_business", "assign_sla_met_business",
                 "touch_sla_applicable_business", "touch_sla_met_business"):
        frame[name] = rng.random(n) < 0.5
    for name in ("tta_minutes", "first_touch_minutes", "tta_business_minutes",
                 "first_touch_business_minutes"):
        frame[name] = rng.random(n) * 600
    return frame


if __name__ == "__main__":
    print(json.dumps(run(), indent=2, default=str))
