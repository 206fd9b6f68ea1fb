"""Duplicates benchmark (issue 17 item 3): lead-to-account matching and duplicate outreach.

Synthetic frames, built here with numpy (no Salesforce, no database): 1,000,000 leads over 42
days, routed to 200 reps, from 300,000 companies (a third of the leads write from a public mail
domain, half give a Website, company names vary in case and legal suffix) and 200,000 Accounts
(Website and name) at scale "full"; a tenth of both at "small". Timed in this process:

1. ``metrics.duplicates.duplicate_facts``: normalising every key, matching every lead against the
   Accounts and every lead against the others within 30 days;
2. ``metrics.definitions.duplicate_group_values``: the five metrics by region × ISO week.

Peak memory is this process's ``ru_maxrss``. Target (2-core machine): matching ≤ 30 s.
Usage: ``python -m bench.run --only duplicates [--scale small]``.
"""

from __future__ import annotations

import resource
import time
from typing import Any

import numpy as np
import pandas as pd

LEADS = {"full": 1_000_000, "small": 100_000}
ACCOUNTS = {"full": 200_000, "small": 20_000}
COMPANIES = {"full": 300_000, "small": 30_000}
REPS = 200
TARGET_SECONDS = 30.0
SUFFIXES = np.array(["", " Inc.", ", Inc", " LLC", " GmbH", " Ltd", " Corp."], dtype=object)
PUBLIC = np.array(["gmail.com", "outlook.com", "yahoo.com"], dtype=object)


def frames(scale: str, seed: int = 17) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The leads (``LEAD_INPUT`` columns) and Accounts (``ACCOUNT_INPUT``) of the benchmark."""
    rng = np.random.default_rng(seed)
    n, m, c = LEADS[scale], ACCOUNTS[scale], COMPANIES[scale]
    company = rng.integers(0, c, n)
    code = pd.Series(company).astype(str)
    domain = "c" + code + "-corp.example"
    public = rng.random(n) < 1 / 3
    email = ("buyer" + pd.Series(np.arange(n)).astype(str) + "@"
             + domain.where(~public, pd.Series(PUBLIC[rng.integers(0, 3, n)])))
    website = ("https://www." + domain + "/").where(rng.random(n) < 0.5, None)
    name = ("Company " + code + pd.Series(SUFFIXES[rng.integers(0, len(SUFFIXES), n)]))
    name = name.where(rng.random(n) < 0.5, name.str.upper())
    start = pd.Timestamp("2026-10-01T00:00:00Z").value // 1_000_000_000
    created = pd.to_datetime(np.sort(start + rng.integers(0, 42 * 86_400, n)), unit="s", utc=True)
    rep = pd.Series(["005REP" + str(r).zfill(12) for r in range(REPS)], dtype=object)
    leads = pd.DataFrame({
        "lead_id": "00Q" + pd.Series(np.arange(n)).astype(str).str.zfill(15),
        "created_at": created,
        "rep": rep.take(rng.integers(0, REPS, n)).to_numpy(dtype=object),
        "email": email.to_numpy(dtype=object), "website": website.to_numpy(dtype=object),
        "company": name.to_numpy(dtype=object),
    })
    owned = rng.choice(c, m, replace=False)
    own_code = pd.Series(owned).astype(str)
    accounts = pd.DataFrame({
        "account_id": "001" + pd.Series(np.arange(m)).astype(str).str.zfill(15),
        "owner_id": rep.take(rng.integers(0, REPS, m)).to_numpy(dtype=object),
        "name": ("Company " + own_code + " Inc.").to_numpy(dtype=object),
        "website": ("c" + own_code + "-corp.example").to_numpy(dtype=object),
        "domain": np.full(m, None, dtype=object),
    })
    return leads, accounts


def run(scale: str = "full") -> dict[str, Any]:
    from routing_health.config.model import DuplicatesConfig
    from routing_health.metrics.definitions import duplicate_group_values
    from routing_health.metrics.duplicates import duplicate_facts

    leads, accounts = frames(scale)
    settings = DuplicatesConfig(window_days=30.0)
    as_of = pd.Timestamp("2026-11-12T00:00:00Z")
    started = time.perf_counter()
    found = duplicate_facts(leads, accounts, settings, as_of)
    matching = time.perf_counter() - started
    region = pd.Series(np.arange(len(leads)) % 3)
    week = leads["created_at"].dt.isocalendar().week.astype(np.int64)
    group, _ = pd.factorize(pd.MultiIndex.from_arrays([region, week]))
    started = time.perf_counter()
    values = duplicate_group_values(found, group.astype(np.int64), int(group.max()) + 1)
    aggregate = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "name": f"duplicates_{scale}",
        "leads": len(leads),
        "accounts": len(accounts),
        "matching_seconds": round(matching, 2),
        "metrics_by_region_week_seconds": round(aggregate, 3),
        "peak_rss_mb": round(peak_mb),
        "account_matched": int(found["account_matched"].sum()),
        "account_conflicts": int(found["account_conflict"].sum()),
        "duplicate_outreach": int(found["duplicate_outreach"].sum()),
        "groups": len(values["duplicate_outreach"]),
        "target_seconds": TARGET_SECONDS,
        "verdict": "ok" if matching <= TARGET_SECONDS else "MISSED",
    }


if __name__ == "__main__":
    print(run("small"))
