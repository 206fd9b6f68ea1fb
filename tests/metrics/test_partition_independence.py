"""The premise of the partitioned full recompute and of the export's single pass (issue 18):
a lead's facts depend only on its own records, so the leads split by local creation day and
computed part by part give, together, the independent reference's facts of the whole org —
on random timelines (the engine-vs-reference property test's orgs)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing_health.metrics import lead_facts
from tests.metrics.helpers import assert_facts_agree
from tests.metrics.reference import reference_lead_facts
from tests.metrics.test_engine_matches_reference import OWNER_NAMES, orgs


def _local_days(leads: pd.DataFrame, timezone: str) -> pd.Series:
    return pd.to_datetime(leads["created_at"], utc=True).dt.tz_convert(ZoneInfo(timezone)).dt.date


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orgs(), st.data())
def test_facts_computed_part_by_part_are_the_whole_orgs(org: dict[str, Any], data: Any) -> None:
    params, as_of = org["params"], org["as_of"]
    leads = org["leads"]
    related = (org["owner_changes"], org["status_changes"], org["activities"])
    expected = reference_lead_facts(leads, *related, OWNER_NAMES, params, as_of)

    days = _local_days(leads, params.report_timezone)
    cuts = sorted(set(data.draw(st.lists(st.sampled_from(sorted(set(days))), max_size=3))))
    edges = [None, *cuts, None]
    parts = []
    for first, after in pairwise(edges):
        keep = pd.Series(True, index=leads.index)
        if first is not None:
            keep &= days >= first
        if after is not None:
            keep &= days < after
        part = leads[keep.to_numpy()]
        ids = set(part["id"])
        # A partition loads its leads' own records only (``facts.frames.load_frames``).
        mine = [frame[frame["lead_id"].isin(ids)] for frame in related]
        parts.append(lead_facts(part, *mine, OWNER_NAMES, params, as_of))
    together = pd.concat(parts, ignore_index=True)
    assert len(together) == len(expected)
    assert_facts_agree(together, expected)
