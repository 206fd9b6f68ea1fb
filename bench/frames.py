"""Synthetic input frames at scale, and a one-shot benchmark of the metric engine.

``synthetic_frames(leads=...)`` builds the four input frames of ``lead_facts`` (plus owner names,
params and T) with realistic shapes: most leads start with a holding owner and move to a rep, a
few go to a working or fallback queue, some bounce, statuses move, reps log activities, some
automation logs activities too, and ~2% of history changes tie to the second.

Run ``python -m bench.frames --leads 1000000`` to time the engine on one
million leads; it prints the build and compute times and the process's peak memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from routing_health.lib.calendar import WHOLE_DAY, Calendar
from routing_health.metrics.params import MetricParams

AS_OF = pd.Timestamp("2026-11-20 12:00:00", tz="UTC")
HOLDING = ("005HOLDING00000001", "00GHOLDING00000001")
FALLBACK = ("00GFALLBACK0000001", "005DEFAULTOWNER001")
STATUSES = np.array(
    ["Open", "Working - Contacted", "Nurture", "Closed - Not Converted", "Closed - Converted"],
    dtype=object,
)


_WEEKDAYS_ONLY = ((), ())
BENCH_CALENDARS = {
    "amer": Calendar("amer", "America/New_York", (((540, 1020),),) * 5 + _WEEKDAYS_ONLY),
    "emea": Calendar(
        "emea",
        "Europe/Berlin",
        (((540, 720), (780, 1050)),) * 5 + _WEEKDAYS_ONLY,
        ((date(2026, 10, 3), WHOLE_DAY), (date(2026, 11, 1), WHOLE_DAY)),
    ),
    "apac": Calendar("apac", "Asia/Singapore", (((540, 1080),),) * 5 + _WEEKDAYS_ONLY),
}


@dataclass(frozen=True)
class SyntheticOrg:
    leads: pd.DataFrame
    owner_changes: pd.DataFrame
    status_changes: pd.DataFrame
    activities: pd.DataFrame
    owner_names: dict[str, str]
    params: MetricParams
    as_of: pd.Timestamp


def _ids(prefix: str, count: int, start: int = 0) -> pd.Series:
    numbers = pd.Series(np.arange(start, start + count)).astype("str").str.zfill(15)
    return prefix + numbers


def _times(ns: np.ndarray) -> pd.Series:
    return pd.Series(ns.view("datetime64[ns]")).dt.tz_localize("UTC")


def _per_lead(rng: np.random.Generator, n: int, mean: float, cap: int) -> np.ndarray:
    """Event counts per lead and, repeated, the lead index of each event."""
    counts = np.minimum(rng.poisson(mean, n), cap)
    return np.repeat(np.arange(n), counts)


def synthetic_frames(
    leads: int = 1_000_000, seed: int = 7, *, calendars: bool = False
) -> SyntheticOrg:
    """A synthetic org of ``leads`` leads: ~1.8 owner and ~1.2 status changes and ~1 activity
    per lead, created over the 60 days before ``AS_OF`` (a few created after it). With
    ``calendars``, AMER, EMEA and APAC get business-hours calendars (``BENCH_CALENDARS``)."""
    rng = np.random.default_rng(seed)
    n = leads
    reps = _ids("005", 300, 1).to_numpy(dtype=object)
    queues = _ids("00G", 20, 1).to_numpy(dtype=object)
    minute = 60_000_000_000
    as_of = AS_OF.value
    second = 1_000_000_000
    created = as_of - rng.integers(-3600, 60 * 86400, n) * second
    lead_ids = _ids("00Q", n)

    start_kind = rng.choice(4, n, p=[0.75, 0.15, 0.07, 0.03])  # holding, rep, queue, fallback
    initial = np.where(
        start_kind == 0,
        rng.choice(np.array(HOLDING, dtype=object), n),
        np.where(
            start_kind == 1,
            rng.choice(reps, n),
            np.where(start_kind == 2, rng.choice(queues, n), FALLBACK[0]),
        ),
    )

    # Owner changes: the first usually takes a holding lead to a rep; later ones move it on.
    lead = _per_lead(rng, n, 1.8, 6)
    m = len(lead)
    first = np.ones(m, dtype=bool)
    first[1:] = lead[1:] != lead[:-1]
    gaps = (rng.exponential(90 * 60, m) + 1).astype(np.int64) * second
    gaps[rng.random(m) < 0.02] = 0  # same-second ties
    elapsed = np.cumsum(gaps)
    run_start = np.maximum.accumulate(np.where(first, np.arange(m), 0))
    at = created[lead] + elapsed - (elapsed - gaps)[run_start]
    kind = rng.choice(3, m, p=[0.85, 0.10, 0.05])
    new = np.where(
        kind == 0,
        rng.choice(reps, m),
        np.where(kind == 1, rng.choice(queues, m), rng.choice(np.array(FALLBACK), m)),
    )
    old = np.empty(m, dtype=object)
    old[1:] = new[:-1]
    old[first] = initial[lead[first]]
    current = initial.copy()
    last = np.ones(m, dtype=bool)
    last[:-1] = lead[1:] != lead[:-1]
    current[lead[last]] = new[last]
    owner_changes = pd.DataFrame(
        {
            "id": _ids("017", m),
            "lead_id": lead_ids.to_numpy()[lead],
            "created_at": _times(at),
            "old_owner_id": pd.array(old, dtype="str"),
            "new_owner_id": pd.array(new, dtype="str"),
        }
    )

    lead = _per_lead(rng, n, 1.2, 4)
    k = len(lead)
    status_new = rng.choice(STATUSES, k, p=[0.1, 0.5, 0.2, 0.1, 0.1])
    status_changes = pd.DataFrame(
        {
            "id": _ids("017", k, m),
            "lead_id": lead_ids.to_numpy()[lead],
            "created_at": _times(
                created[lead] + (rng.exponential(600 * 60, k)).astype(np.int64) * second
            ),
            "old_status": pd.array(rng.choice(STATUSES[:3], k), dtype="str"),
            "new_status": pd.array(status_new, dtype="str"),
        }
    )

    lead = _per_lead(rng, n, 1.0, 5)
    a = len(lead)
    activity_owner = np.where(rng.random(a) < 0.1, HOLDING[0], rng.choice(reps, a))
    activities = pd.DataFrame(
        {
            "id": _ids("00T", a),
            "lead_id": lead_ids.to_numpy()[lead],
            "owner_id": pd.array(activity_owner, dtype="str"),
            "created_at": _times(
                created[lead] + (rng.exponential(300 * 60, a)).astype(np.int64) * second
            ),
            "is_deleted": rng.random(a) < 0.02,
        }
    )

    converted = rng.random(n) < 0.05
    converted_date = pd.Series(_times(created + 3 * 24 * 60 * minute).dt.date, dtype=object)
    frame = pd.DataFrame(
        {
            "id": lead_ids,
            "name": "Lead " + lead_ids.str.slice(12),
            "company": pd.array(
                rng.choice(np.array(["Acme", "Globex", "Initech", "Umbrella"]), n), dtype="str"
            ),
            "created_at": _times(created),
            "owner_id": pd.array(current, dtype="str"),
            "status": pd.array(rng.choice(STATUSES, n), dtype="str"),
            "is_converted": converted,
            "converted_date": converted_date.where(converted, None),
            "converted_contact_id": "",
            "is_deleted": rng.random(n) < 0.01,
            "region": pd.Categorical(rng.choice(["AMER", "EMEA", "APAC", "Unknown"], n)),
            "tier": pd.Categorical(rng.choice(["hot", "warm", "standard"], n, p=[0.1, 0.3, 0.6])),
            "failed_node": pd.array(
                np.where(rng.random(n) < 0.02, "Route > Territory", ""), dtype="str"
            ),
            "rejection_reason": "",
            "LeadSource": pd.Categorical(rng.choice(["Web", "Partner", "Event", ""], n)),
        }
    )
    names = {owner: f"Owner {owner[-4:]}" for owner in [*reps, *queues, *HOLDING, *FALLBACK]}
    params = MetricParams(
        holding=frozenset(HOLDING),
        fallback=frozenset(FALLBACK),
        accepted_statuses=frozenset({"Working - Contacted"}),
        rejected_statuses=frozenset({"Closed - Not Converted"}),
        closed_statuses=frozenset({"Closed - Converted", "Closed - Not Converted"}),
        tier_sla={"hot": (5, 15), "warm": (60, 240), "standard": (240, 1440)},
        report_timezone="America/New_York",
        calendars=BENCH_CALENDARS if calendars else {},
        region_calendars={name: name.lower() for name in ("AMER", "EMEA", "APAC")}
        if calendars
        else {},
    )
    return SyntheticOrg(frame, owner_changes, status_changes, activities, names, params, AS_OF)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def run(leads: int, calendars: bool = False, shadow: bool = False) -> dict[str, Any]:
    """Build an org, then time ``lead_facts`` and the groupings; memory in MiB. ``shadow``
    also times the shadow comparison (issue 17) over the same facts (``shadow_seconds``)."""
    from routing_health.metrics import group_metrics, lead_facts_of, total_metrics

    started = time.perf_counter()
    org = synthetic_frames(leads, calendars=calendars)
    built = time.perf_counter()
    rss_inputs = _rss_mb()
    facts = lead_facts_of(org, org.params, org.as_of)
    computed = time.perf_counter()
    by_segment = group_metrics(facts, ["region", "tier"], org.params)
    by_day = group_metrics(facts, ["day"], org.params)
    total_metrics(facts, org.params)
    grouped = time.perf_counter()
    extra = _shadow_timing(facts, org) if shadow else {}
    return {
        "leads": leads,
        "calendars": calendars,
        "owner_changes": len(org.owner_changes),
        "status_changes": len(org.status_changes),
        "activities": len(org.activities),
        "facts_rows": len(facts),
        "build_seconds": round(built - started, 2),
        "lead_facts_seconds": round(computed - built, 2),
        "group_seconds": round(grouped - computed, 2),
        "groups": len(by_segment) + len(by_day),
        "rss_with_inputs_mib": round(rss_inputs),
        "peak_rss_mib": round(_peak_mb()),
        "facts_memory_mib": round(facts.memory_usage(deep=True).sum() / 2**20),
        **extra,
    }


def _shadow_timing(facts: pd.DataFrame, org: SyntheticOrg) -> dict[str, Any]:
    """A candidate per lead (90 % covered; the first rep 70 % of the time, else another
    owner), then ``shadow_facts``, the shadow metrics by region x tier x week and in total,
    the outcome review (Newcombe and the 2,000-resample bootstrap) and the bias review."""
    from routing_health.metrics import group_metrics, total_metrics
    from routing_health.metrics.shadow import shadow_facts
    from routing_health.metrics.shadow_review import bias_review, compare_outcomes

    rng = np.random.default_rng(17)
    n = len(facts)
    first = facts["first_rep"].astype(object).to_numpy()
    owners = org.leads["owner_id"].astype(object).to_numpy()[rng.integers(0, len(org.leads), n)]
    candidate = np.where(rng.random(n) < 0.7, first, owners)
    candidate = np.where(rng.random(n) < 0.9, candidate, None)
    leads = org.leads.set_index("id").reindex(facts["lead_id"].astype(object))
    started = time.perf_counter()
    with_shadow = shadow_facts(
        facts, pd.Series(candidate, dtype=object), leads["is_converted"], leads["converted_date"],
        conversion_days=30, as_of=org.as_of,
    )
    facts_done = time.perf_counter()
    # The export's grouping with the shadow columns (every metric) against the plain one.
    group_metrics(with_shadow, ["region", "tier", "week"], org.params)
    total_metrics(with_shadow, org.params)
    grouped = time.perf_counter()
    group_metrics(facts, ["region", "tier", "week"], org.params)
    total_metrics(facts, org.params)
    plain = time.perf_counter()
    compare_outcomes(with_shadow, 30)
    compared = time.perf_counter()
    bias_review(with_shadow, 0.10)
    done = time.perf_counter()
    return {
        "shadow_facts_seconds": round(facts_done - started, 2),
        "shadow_group_seconds": round(grouped - facts_done, 2),
        "plain_group_seconds": round(plain - grouped, 2),
        "shadow_compare_seconds": round(compared - plain, 2),
        "shadow_bias_seconds": round(done - compared, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--calendars", action="store_true", help="business-hours calendars")
    parser.add_argument("--shadow", action="store_true", help="time the shadow comparison too")
    args = parser.parse_args()
    print(json.dumps(run(args.leads, args.calendars, args.shadow), indent=2))


if __name__ == "__main__":
    main()
