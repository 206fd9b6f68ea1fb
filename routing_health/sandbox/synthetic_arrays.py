"""The synthetic org's lead lifecycles as arrays: ``Timeline`` (built by ``synthetic_timeline``,
turned into records by ``synthetic_frames``). Times are int64 epoch seconds."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Timeline:
    """Per-lead arrays (length ``leads``, sorted by creation) and per-slot event matrices."""

    created: np.ndarray
    region_true: np.ndarray  # 0..2: timezone / company style of the lead
    region_field: np.ndarray  # Region__c code or -1
    region_eff: np.ndarray  # 0..2 or UNKNOWN
    country: np.ndarray  # index into country_codes() or -1
    rating: np.ndarray  # index into RATINGS or -1
    tier: np.ndarray
    source: np.ndarray
    nasty: np.ndarray  # index into NASTY_LEADS or -1
    path: np.ndarray
    initial_owner: np.ndarray
    created_by: np.ndarray
    change_time: np.ndarray  # [lead, slot]
    change_owner: np.ndarray
    change_by: np.ndarray
    final_owner: np.ndarray
    owner_since: np.ndarray
    rep_assigned: np.ndarray
    first_rep: np.ndarray
    failed_node: np.ndarray  # index into BASELINE_FAILED_NODES + (incident), or -1
    status_time: np.ndarray  # [lead, 3]
    status_new: np.ndarray
    status_old: np.ndarray
    final_status: np.ndarray
    rejection_reason: np.ndarray
    converted_at: np.ndarray
    rating_change_time: np.ndarray
    rating_change_old: np.ndarray
    deleted_at: np.ndarray
    modstamp: np.ndarray
    activity_lead: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    activity_time: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    activity_owner: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    activity_auto: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
