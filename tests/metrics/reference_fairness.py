"""A literal reference for the fairness metrics (issue 17), written from docs/metrics.md with
plain Python loops over the reference's lead-fact dicts: slow and obviously correct."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd


def _time(value: Any) -> datetime:
    return pd.Timestamp(value).tz_convert("UTC").to_pydatetime()


def reference_availability(
    facts: list[dict[str, Any]], leads: pd.DataFrame, users: list[dict[str, Any]],
    closed: frozenset[str],
) -> dict[str, list[bool]]:
    """Per lead of ``facts``: sent to an inactive rep, to an out-of-office rep, open with an
    inactive owner."""
    state = {u["id"]: u for u in users}
    current = {row.id: row for row in leads.itertuples(index=False)}
    out: dict[str, list[bool]] = {"to_inactive_rep": [], "to_out_of_office_rep": [],
                                  "open_with_inactive_owner": []}
    for fact in facts:
        rep = state.get(fact["first_rep"]) if fact["first_rep"] is not None else None
        at = fact["rep_assigned_at"]
        after = rep is not None and at is not None and at >= _time(rep["modified_at"])
        out["to_inactive_rep"].append(bool(after and not rep["is_active"]))
        out["to_out_of_office_rep"].append(
            bool(after and rep["is_active"] and rep["out_of_office"]))
        lead = current[fact["lead_id"]]
        owner = state.get(str(lead.owner_id))
        is_open = not bool(lead.is_converted) and str(lead.status) not in closed
        out["open_with_inactive_owner"].append(
            bool(owner is not None and not owner["is_active"] and is_open))
    return out


def reference_pool_weeks(
    facts: list[dict[str, Any]], users: list[dict[str, Any]], weights: dict[str, float],
) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (region pool, week): leads, members, the max/min ratio and the Gini index (by the
    double sum over every pair of members), as defined in docs/metrics.md."""
    away = {u["id"] for u in users if not u["is_active"] or u["out_of_office"]}
    counted = [f for f in facts if f["first_rep"] is not None and f["first_rep"] not in away]
    weeks = sorted({f["created_week"] for f in facts})
    pools = sorted({f["region"] or "(no region)" for f in counted})
    result = {}
    for pool in pools:
        mine = [f for f in counted if (f["region"] or "(no region)") == pool]
        members = sorted({f["first_rep"] for f in mine})
        for week in weeks:
            n = {rep: sum(1 for f in mine if f["first_rep"] == rep and f["created_week"] == week)
                 for rep in members}
            x = [n[rep] / weights.get(rep, 1.0) for rep in members]
            total = sum(n.values())
            m = len(members)
            if total == 0:
                gini = None
                ratio = None
            else:
                mean = sum(x) / m
                gini = sum(abs(a - b) for a in x for b in x) / (2 * m * m * mean)
                ratio = max(x) / min(x) if min(x) > 0 else None
            chi = None
            if total and m >= 2:
                weight_total = sum(weights.get(rep, 1.0) for rep in members)
                chi = 0.0
                for rep in members:
                    expected = total * weights.get(rep, 1.0) / weight_total
                    chi += (n[rep] - expected) ** 2 / expected
            result[(pool, week)] = {"leads": total, "reps": m, "gini": gini, "ratio": ratio,
                                    "without": sum(1 for v in n.values() if v == 0),
                                    "chi": chi}
    return result
