"""``DailyRollup`` rows from stored ``LeadFact`` rows: the counts behind every metric and the
sorted minute values behind every percentile, per local creation day × region × tier × source.

``rollup_read`` merges these rows back into metrics; the two must agree with the export.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from routing_health.models import DailyRollup

COUNT_FIELDS = (
    "leads",
    "succeeded",
    "failed",
    "pending",
    "triaged",
    "assigned",
    "assign_sla_applicable",
    "assign_sla_met",
    "bounced",
    "accepted",
    "acceptance_base",
    "touched",
    "touch_sla_applicable",
    "touch_sla_met",
    "rejected",
    "queued",
    "queued_over_limit",
    "assign_sla_applicable_business",
    "assign_sla_met_business",
    "touch_sla_applicable_business",
    "touch_sla_met_business",
)
BUSINESS_FLAGS = (
    "assign_sla_applicable_business",
    "assign_sla_met_business",
    "touch_sla_applicable_business",
    "touch_sla_met_business",
)
VALUE_FIELDS = {
    "tta_values": "tta_minutes",
    "first_touch_values": "first_touch_minutes",
    "tta_business_values": "tta_business_minutes",
    "first_touch_business_values": "first_touch_business_minutes",
}
"""``DailyRollup`` field of sorted values -> the ``LeadFact`` minutes it holds."""


ROLLUP_INPUT = (
    "created_day", "region", "tier", "source", "outcome", "rep_assigned_at", "tta_minutes",
    "first_touch_minutes", "bounced", "accepted", "acceptance_pending", "rejected", "queued",
    "queued_over_limit", "queue_entered_at", "assign_sla_applicable", "assign_sla_met",
    "touch_sla_applicable", "touch_sla_met", "tta_business_minutes",
    "first_touch_business_minutes", *BUSINESS_FLAGS,
)
KEYS = ["day", "region", "tier", "source"]


def contributions(frame: pd.DataFrame) -> pd.DataFrame:
    """What each stored fact adds to its rollup row: the group keys and ``COUNT_FIELDS``."""
    frame = frame.rename(columns={"created_day": "day"})
    entered = pd.to_datetime(frame["queue_entered_at"], utc=True)
    assigned = frame["rep_assigned_at"].notna()
    touched = frame["first_touch_minutes"].notna()
    return pd.DataFrame(
        {
            "day": frame["day"],
            "region": frame["region"],
            "tier": frame["tier"],
            "source": frame["source"],
            "leads": 1,
            "succeeded": frame["outcome"] == "succeeded",
            "failed": frame["outcome"] == "failed",
            "pending": frame["outcome"] == "pending",
            "triaged": frame["outcome"] == "triaged",
            "assigned": assigned,
            "assign_sla_applicable": frame["assign_sla_applicable"],
            "assign_sla_met": frame["assign_sla_applicable"] & frame["assign_sla_met"],
            "bounced": frame["bounced"],
            "accepted": frame["accepted"],
            "acceptance_base": assigned & ~frame["acceptance_pending"],
            "touched": touched,
            "touch_sla_applicable": frame["touch_sla_applicable"],
            "touch_sla_met": frame["touch_sla_applicable"] & frame["touch_sla_met"],
            "rejected": frame["rejected"],
            "queued": frame["queued"],
            "queued_over_limit": frame["queued"] & frame["queued_over_limit"],
            "oldest_entered": entered.where(frame["queued"]),
            "assign_sla_applicable_business": frame["assign_sla_applicable_business"],
            "assign_sla_met_business": frame["assign_sla_applicable_business"]
            & frame["assign_sla_met_business"],
            "touch_sla_applicable_business": frame["touch_sla_applicable_business"],
            "touch_sla_met_business": frame["touch_sla_applicable_business"]
            & frame["touch_sla_met_business"],
        }
    )


def rollup_rows(frame: pd.DataFrame) -> list[DailyRollup]:
    """The rollup rows of the days covered by ``frame`` (stored facts, ``ROLLUP_INPUT``)."""
    if frame.empty:
        return []
    data = contributions(frame)
    grouped = data.groupby(KEYS, sort=True)
    sums = grouped[list(COUNT_FIELDS)].sum().astype(int)
    oldest = grouped["oldest_entered"].min()
    gid = grouped.ngroup().to_numpy()
    values = {
        field: sorted_groups(gid, frame[column].to_numpy(dtype=np.float64), len(sums))
        for field, column in VALUE_FIELDS.items()
    }
    rows = []
    for i, (key, counts) in enumerate(zip(sums.index, sums.to_dict("records"), strict=True)):
        rows.append(
            DailyRollup(
                day=key[0],
                region=key[1],
                tier=key[2],
                source=key[3],
                **{field: per_group[i].tobytes() for field, per_group in values.items()},
                oldest_queue_entered_at=None if pd.isna(oldest[key]) else oldest[key],
                **counts,
            )
        )
    return rows


def sort_by_group(
    gid: np.ndarray, values: np.ndarray, groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """``values`` without nulls, ordered by group id ``0..groups-1`` then value (one sort for
    all), and the number of values of each group; rows of no group (id -1, as ``ngroup``
    gives a null key) are left out."""
    present = ~np.isnan(values) & (gid >= 0)
    gid, values = gid[present], values[present]
    return values[np.lexsort((values, gid))], np.bincount(gid, minlength=groups)


def sorted_groups(gid: np.ndarray, values: np.ndarray, groups: int) -> list[np.ndarray]:
    """Per group id ``0..groups-1``: its non-null ``values``, sorted."""
    ordered, counts = sort_by_group(gid, values, groups)
    return np.split(ordered, np.cumsum(counts)[:-1])


def unpack(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float64) if blob else np.empty(0)
