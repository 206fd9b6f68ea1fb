"""Fairness benchmark (issue 17): the cost of the fairness metrics on top of the engine.

On the metrics benchmark's synthetic org (``bench.frames.synthetic_frames``: 1,000,000 leads at
scale "full", 100,000 at "small"; 300 reps), with 30 of the reps inactive and 10 out of office
(their ``modified_at`` mid-way through the window) and random weights for 50 reps, after
``lead_facts`` (timed too, for scale), time:

- ``availability``: ``availability_members`` (per-lead flags) and ``availability_values`` by
  (region, week): what the export adds to each row;
- ``pools``: ``pool_shares`` + ``pool_indices`` per region pool and ISO week, and per region
  pool × tier over the whole range (the monthly review's two heaviest tables).

Usage: ``python -m bench.run --only fairness [--scale small]``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

LEADS = {"full": 1_000_000, "small": 100_000}
TARGET_SECONDS = 5.0  # both fairness steps together, at 1M leads


def run(scale: str = "full") -> dict[str, Any]:
    from bench.frames import synthetic_frames
    from routing_health.metrics import lead_facts_of
    from routing_health.metrics.fairness import (
        availability_members,
        availability_values,
        pool_indices,
        pool_shares,
    )

    org = synthetic_frames(LEADS[scale])
    started = time.perf_counter()
    facts = lead_facts_of(org, org.params, org.as_of)
    facts_seconds = time.perf_counter() - started
    rng = np.random.default_rng(17)
    reps = sorted({str(r) for r in facts["first_rep"].dropna().unique()})
    middle = org.as_of - pd.Timedelta(days=30)
    users = pd.DataFrame({
        "id": reps, "name": reps,
        "is_active": [i >= 30 for i in range(len(reps))],
        "out_of_office": [30 <= i < 40 for i in range(len(reps))],
        "modified_at": pd.to_datetime([middle] * len(reps), utc=True),
    })
    weights = {rep: float(rng.choice([0.5, 1.0, 2.0])) for rep in reps[:50]}
    facts = facts.assign(range="all")

    started = time.perf_counter()
    members = availability_members(facts, org.leads, users, org.params.closed_statuses)
    rows = availability_values(facts, members, ["region", "week"])
    availability_seconds = time.perf_counter() - started

    started = time.perf_counter()
    weekly = pool_indices(pool_shares(facts, users, weights=weights))
    by_tier = pool_indices(pool_shares(facts, users, weights=weights, period="range",
                                       split=("tier",)), split=("tier",))
    pools_seconds = time.perf_counter() - started
    total = availability_seconds + pools_seconds
    return {
        "name": "fairness",
        "leads": len(facts),
        "lead_facts_seconds": round(facts_seconds, 2),
        "availability_seconds": round(availability_seconds, 2),
        "pools_seconds": round(pools_seconds, 2),
        "groups": len(rows),
        "pool_weeks": len(weekly),
        "pool_tiers": len(by_tier),
        "leads_to_inactive_rep": int(members["to_inactive_rep"].sum()),
        "verdict": "ok" if scale != "full" or total <= TARGET_SECONDS else "MISSED",
    }
