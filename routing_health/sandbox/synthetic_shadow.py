"""The shadow-routing story of the synthetic org (issue 17): a candidate-owner field.

``generate_org(..., shadow=True)`` adds three Lead fields as an AI router in shadow mode would
fill them: ``AI_Recommended_Owner__c`` (a User Id), ``AI_Reason__c`` (why) and
``AI_Priority__c``. Most leads get a candidate; it is usually the rep routing chose first, less
often for leads that went badly (rejected, or touched late or never), so agreed leads do better
than disagreed ones; when it disagrees it prefers one rep of the lead's region (the
"favourite"), a shift the bias review flags. Drawn from its own random stream, so an org
generated without ``shadow`` is unchanged.

Vectorised: numpy over the timeline arrays, no per-lead loops.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from routing_health.sandbox.synthetic_arrays import Timeline
from routing_health.sandbox.synthetic_catalog import REGION_NAMES, Catalog
from routing_health.sandbox.synthetic_clock import HOUR

CANDIDATE_FIELD = "AI_Recommended_Owner__c"
REASON_FIELD = "AI_Reason__c"
PRIORITY_FIELD = "AI_Priority__c"
CUSTOM_FIELDS = [(CANDIDATE_FIELD, "string"), (REASON_FIELD, "string"),
                 (PRIORITY_FIELD, "picklist")]
COVERAGE = 0.9  # leads with a candidate
AGREE_GOOD = 0.85  # chance the candidate is the first rep when the lead went well
AGREE_BAD = 0.35  # ... when it was rejected or touched after an hour (or never)
FAVOURITE_SHARE = 0.7  # a disagreeing candidate names the region's favourite rep this often
SLOW_TOUCH = 1 * HOUR
REASONS = (
    "best win rate on {tier} leads in {region}",
    "closest working hours to the lead's timezone",
    "lowest open workload in {region}",
    "owned this company's last opportunity",
)
PRIORITIES = ("High", "Medium", "Low")
TIER_WORDS = ("hot", "warm", "standard")  # the timeline's tier codes
CONFIG = """
# Shadow routing (issue 17): an AI router writes its pick here while the rules still decide.
[shadow]
candidate_field = "{candidate}"
explanation_field = "{reason}"
priority_field = "{priority}"
conversion_days = 30
bias_threshold = 0.10
"""


def shadow_config() -> str:
    """The ``[shadow]`` table of an org generated with ``shadow=True``."""
    return CONFIG.format(candidate=CANDIDATE_FIELD, reason=REASON_FIELD, priority=PRIORITY_FIELD)


def shadow_columns(cat: Catalog, tl: Timeline, rng: np.random.Generator) -> tuple[
        dict[str, pd.Series], dict[str, Any]]:
    """The three Lead columns (aligned with the Lead frame) and the story's ground truth."""
    n = len(tl.created)
    regions = len(REGION_NAMES)
    region = np.where(tl.region_eff < regions, tl.region_eff, 0)  # unknown: AMER's reps
    sizes = cat.pool_sizes[region]
    random_rep = cat.pools[region, (rng.random(n) * sizes).astype(np.int64)]
    favourite = cat.pools[region, 0]
    first_touch = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    human = ~tl.activity_auto
    np.minimum.at(first_touch, tl.activity_lead[human], tl.activity_time[human])
    slow = (first_touch - tl.created) > SLOW_TOUCH
    bad = slow | (tl.rejection_reason >= 0)
    has_rep = tl.first_rep >= 0
    agree = has_rep & (rng.random(n) < np.where(bad, AGREE_BAD, AGREE_GOOD))
    other = np.where(rng.random(n) < FAVOURITE_SHARE, favourite, random_rep)
    # A disagreeing pick that happens to be the first rep anyway becomes the pool's next rep.
    clash = ~agree & (other == tl.first_rep)
    second = cat.pools[region, np.minimum(1, sizes - 1)]
    other = np.where(clash, np.where(other == favourite, second, favourite), other)
    pick = np.where(agree, tl.first_rep, other)
    covered = rng.random(n) < COVERAGE
    owner_ids = np.asarray(cat.owner_ids, dtype=object)
    candidate = np.where(covered, owner_ids[pick], None)
    reason_index = rng.integers(0, len(REASONS), n)
    tier_code = np.clip(tl.tier, 0, len(TIER_WORDS) - 1)
    # Every (reason, tier, region) text once, then one index per lead.
    texts = np.asarray([reason.format(tier=tier, region=name) for reason in REASONS
                        for tier in TIER_WORDS for name in REGION_NAMES], dtype=object)
    code = (reason_index * len(TIER_WORDS) + tier_code) * regions + region
    reasons = texts[code]
    reason = np.where(covered, reasons, None)
    priority = np.where(covered, np.asarray(PRIORITIES, dtype=object)[rng.integers(0, 3, n)],
                        None)
    columns = {
        CANDIDATE_FIELD: pd.Series(candidate, dtype="str"),
        REASON_FIELD: pd.Series(reason, dtype="str"),
        PRIORITY_FIELD: pd.Series(priority, dtype="str"),
    }
    truth = {
        "candidate_field": CANDIDATE_FIELD,
        "explanation_field": REASON_FIELD,
        "priority_field": PRIORITY_FIELD,
        "leads_with_candidate": int(covered.sum()),
        "agree_with_first_rep": int((covered & agree).sum()),
        "favourite_reps": {name: cat.owner_ids[cat.pools[k, 0]]
                           for k, name in enumerate(REGION_NAMES)},
    }
    return columns, truth
