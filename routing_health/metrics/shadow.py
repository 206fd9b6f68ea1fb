"""Shadow comparison facts and metrics (issue 17): a candidate owner next to routing's.

``shadow_facts`` adds, to a frame of lead facts, whether each lead has a candidate owner, whether
the candidate is the owner routing chose (``routed_owner``) and the first rep, and whether the
lead converted within ``conversion_days``. ``shadow_members`` says, for every count of
``catalog.SHADOW_METRICS`` / ``SHADOW_COMPONENTS``, which leads it counts; ``shadow_group_values``
computes the metrics per group number, the same arithmetic as ``definitions.group_values``.

Definitions (``docs/metrics.md``, "Shadow comparison"):

- the candidate is the stripped field value, as an 18-character Id when it is a Salesforce Id
  (15-character Ids are converted); blank or missing means no candidate;
- *compared*: a candidate and a routed owner (routing failed before choosing one: not compared);
- *agreed*: compared and candidate == routed owner; *disagreed*: compared and not agreed;
- *converted within N days*: converted, and its ConvertedDate at most N days after the local
  creation day; the lead counts in the conversion denominator once so converted or when it is
  at least N days old at T (a younger unconverted lead is still open: censored, not a miss).

Pure pandas/numpy: no Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import numpy as np
import pandas as pd

from routing_health.lib.sfid import is_sf_id, to_18, to_18_series
from routing_health.metrics.catalog import SHADOW_METRICS
from routing_health.metrics.definitions import formula_values

SHADOW_FACT_COLUMNS = (
    "shadow_candidate",
    "shadow_has_candidate",
    "shadow_compared",
    "shadow_agrees",
    "shadow_first_rep_compared",
    "shadow_agrees_first_rep",
    "shadow_converted_within",
    "shadow_conversion_closed",
)
"""Columns ``shadow_facts`` adds (their presence switches the shadow metrics on)."""

SIDES = ("agreed", "disagreed")
NS_PER_DAY = 86_400 * 10**9


def candidate_ids(values: pd.Series) -> pd.Series:
    """Stripped candidate values as object strings, ``None`` for blank; Salesforce Ids in their
    18-character form (anything else kept as text: it matches no owner)."""
    # Few distinct values (the reps): clean each once, then spread back by code.
    codes, uniques = pd.factorize(pd.Series(values.to_numpy(dtype=object), dtype=object),
                                  use_na_sentinel=True)
    text = pd.Series(np.asarray(uniques, dtype=object), dtype=object).str.strip()
    stripped = text.to_numpy(dtype=object)
    blank = pd.isna(stripped) | (stripped == "")
    filled = pd.Series(np.where(blank, "", stripped), dtype=object)
    ids = to_18_series(filled, errors="coerce").to_numpy(dtype=object)
    cleaned = np.append(np.where(pd.isna(ids), np.where(blank, None, stripped), ids), None)
    return pd.Series(cleaned[codes], index=values.index, dtype=object)  # code -1: the None


def candidate_id(value: object) -> str | None:
    """``candidate_ids`` for one value (the lead timeline)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    return to_18(text) if is_sf_id(text) else text


def shadow_facts(
    facts: pd.DataFrame,
    candidate: pd.Series,
    is_converted: pd.Series,
    converted_date: pd.Series,
    *,
    conversion_days: int,
    as_of: datetime | pd.Timestamp,
) -> pd.DataFrame:
    """``facts`` with ``SHADOW_FACT_COLUMNS`` added.

    ``facts`` has ``routed_owner``, ``first_rep``, ``created_at`` (UTC) and ``created_day``
    (local date, text or date); ``candidate``, ``is_converted`` and ``converted_date`` (a date
    or null) are aligned with it by position.
    """
    n = len(facts)
    if not (len(candidate) == len(is_converted) == len(converted_date) == n):
        raise ValueError("candidate, is_converted and converted_date must align with facts")
    cand = candidate_ids(candidate.reset_index(drop=True))
    routed = _owner_text(facts["routed_owner"])
    first = _owner_text(facts["first_rep"])
    has = cand.notna().to_numpy()
    cand_text = cand.fillna("").to_numpy(dtype=object)
    compared = has & (routed != "")
    first_compared = has & (first != "")
    converted = np.asarray(pd.Series(is_converted).fillna(False).to_numpy(), dtype=bool)
    within = np.zeros(n, dtype=bool)
    rows = np.flatnonzero(converted)
    if rows.size:  # only the converted leads' dates are read
        conv = pd.to_datetime(
            pd.Series(pd.Series(converted_date).to_numpy(dtype=object)[rows]), errors="coerce"
        )
        if getattr(conv.dt, "tz", None) is not None:
            conv = conv.dt.tz_localize(None)
        day = pd.to_datetime(pd.Series(facts["created_day"].astype(str).to_numpy()[rows]))
        days_after = (conv.dt.normalize() - day).dt.days.to_numpy(dtype=float)
        within[rows] = np.nan_to_num(days_after, nan=np.inf) <= conversion_days
    stamp = pd.Timestamp(as_of).tz_convert("UTC")
    created = pd.to_datetime(facts["created_at"], utc=True).reset_index(drop=True)
    age_ns = (stamp - created).to_numpy().astype("timedelta64[ns]").astype(np.int64)
    closed = within | (age_ns >= conversion_days * NS_PER_DAY)
    out = facts.copy()
    out["shadow_candidate"] = pd.Series(cand.to_numpy(dtype=object), index=out.index, dtype=object)
    out["shadow_has_candidate"] = has
    out["shadow_compared"] = compared
    out["shadow_agrees"] = compared & (cand_text == routed)
    out["shadow_first_rep_compared"] = first_compared
    out["shadow_agrees_first_rep"] = first_compared & (cand_text == first)
    out["shadow_converted_within"] = within
    out["shadow_conversion_closed"] = closed
    return out


def has_shadow(facts: pd.DataFrame) -> bool:
    """Whether ``facts`` carries the shadow columns (``shadow_facts`` ran on it)."""
    return "shadow_has_candidate" in facts.columns


def shadow_members(facts: pd.DataFrame) -> dict[str, np.ndarray]:
    """For every count the shadow formulas use, a boolean per lead of ``facts``."""

    def flag(column: str) -> np.ndarray:
        return facts[column].to_numpy(dtype=bool)

    assigned = _owner_text(facts["first_rep"]) != ""
    touched = facts["first_touch_minutes"].notna().to_numpy()
    acceptance_base = assigned & ~flag("acceptance_pending")
    compared = flag("shadow_compared")
    agrees = flag("shadow_agrees")
    members: dict[str, np.ndarray] = {
        "leads": np.ones(len(facts), dtype=bool),
        "shadow_candidates": flag("shadow_has_candidate"),
        "shadow_compared": compared,
        "shadow_agreed": agrees,
        "shadow_disagreed": compared & ~agrees,
        "shadow_first_rep_compared": flag("shadow_first_rep_compared"),
        "shadow_first_rep_agreed": flag("shadow_agrees_first_rep"),
    }
    for side, on in (("agreed", agrees), ("disagreed", compared & ~agrees)):
        members[f"shadow_{side}_accepted"] = on & acceptance_base & flag("accepted")
        members[f"shadow_{side}_acceptance_base"] = on & acceptance_base
        members[f"shadow_{side}_touched"] = on & touched
        applicable = on & flag("touch_sla_applicable")
        members[f"shadow_{side}_touch_sla_applicable"] = applicable
        members[f"shadow_{side}_touch_sla_met"] = applicable & flag("touch_sla_met")
        closed = on & flag("shadow_conversion_closed")
        members[f"shadow_{side}_conversion_base"] = closed
        members[f"shadow_{side}_converted"] = closed & flag("shadow_converted_within")
    return members


def shadow_group_values(
    facts: pd.DataFrame, group: np.ndarray, size: int
) -> dict[str, np.ndarray]:
    """Every ``SHADOW_METRICS`` metric per group number (counts int64, the rest float64 with
    NaN for an empty denominator; ``definitions.formula_values``)."""
    return formula_values(SHADOW_METRICS, facts, group, size, shadow_members(facts))


def side_masks(facts: pd.DataFrame) -> Mapping[str, np.ndarray]:
    """``agreed`` and ``disagreed`` as boolean masks over ``facts``."""
    compared = facts["shadow_compared"].to_numpy(dtype=bool)
    agrees = facts["shadow_agrees"].to_numpy(dtype=bool)
    return {"agreed": agrees, "disagreed": compared & ~agrees}


def _owner_text(column: pd.Series) -> np.ndarray:
    """Owner Ids as object strings, ``""`` for none."""
    return column.astype(object).where(column.notna(), "").to_numpy(dtype=object)
