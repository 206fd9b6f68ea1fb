"""A literal reference for the shadow-comparison metrics (issue 17), lead by lead.

Written from the definitions in ``docs/metrics.md`` ("Shadow comparison") with plain loops, to
be compared with the vectorised ``routing_health.metrics.shadow`` on random orgs.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

from tests.metrics.reference import percentile

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def _id18(text: str) -> str | None:
    """Salesforce's 15 -> 18 rule, written out; ``None`` for text that is not an Id."""
    if not text.isascii() or not text.isalnum() or len(text) not in (15, 18):
        return None
    head = text[:15]
    suffix = ""
    for block in range(3):
        bits = 0
        for position, char in enumerate(head[block * 5 : block * 5 + 5]):
            if "A" <= char <= "Z":
                bits += 1 << position
        suffix += _ALPHABET[bits]
    if len(text) == 18:
        return head + suffix if text[15:].upper() == suffix else None
    return head + suffix


def reference_candidate(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    return _id18(text) or text


def reference_shadow_facts(
    facts: list[dict[str, Any]],
    leads: dict[str, dict[str, Any]],
    conversion_days: int,
    as_of: datetime,
) -> list[dict[str, Any]]:
    """Each fact dict with the shadow facts added (``leads``: lead id -> raw lead dict with
    ``candidate``, ``is_converted``, ``converted_date``)."""
    out = []
    for fact in facts:
        lead = leads[fact["lead_id"]]
        candidate = reference_candidate(lead["candidate"])
        routed = fact["routed_owner"] or None
        first = fact["first_rep"] or None
        within = False
        if lead["is_converted"] and lead["converted_date"] is not None:
            converted: date = lead["converted_date"]
            within = (converted - date.fromisoformat(fact["created_day"])).days <= conversion_days
        old_enough = as_of - fact["created_at"] >= timedelta(days=conversion_days)
        out.append({
            **fact,
            "candidate": candidate,
            "compared": candidate is not None and routed is not None,
            "agrees": candidate is not None and candidate == routed,
            "first_compared": candidate is not None and first is not None,
            "agrees_first": candidate is not None and candidate == first,
            "converted_within": within,
            "conversion_closed": within or old_enough,
        })
    return out


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def reference_shadow_metrics(facts: list[dict[str, Any]]) -> dict[str, Any]:
    """The shadow metrics of a list of ``reference_shadow_facts`` rows."""
    with_candidate = [f for f in facts if f["candidate"] is not None]
    compared = [f for f in facts if f["compared"]]
    first_compared = [f for f in facts if f["first_compared"]]
    sides = {
        "agreed": [f for f in compared if f["agrees"]],
        "disagreed": [f for f in compared if not f["agrees"]],
    }
    out: dict[str, Any] = {
        "shadow_candidates": len(with_candidate),
        "shadow_coverage_rate": _share(len(with_candidate), len(facts)),
        "shadow_compared": len(compared),
        "shadow_agreed": len(sides["agreed"]),
        "shadow_disagreed": len(sides["disagreed"]),
        "shadow_agreement_rate": _share(len(sides["agreed"]), len(compared)),
        "shadow_first_rep_agreement_rate": _share(
            sum(f["agrees_first"] for f in first_compared), len(first_compared)
        ),
    }
    parts: dict[str, dict[str, Any]] = {}
    for side, leads in sides.items():
        accept_base = [f for f in leads if f["rep_assigned_at"] is not None
                       and not f["acceptance_pending"]]
        touched = [f["first_touch_minutes"] for f in leads
                   if f["first_touch_minutes"] is not None
                   and not (isinstance(f["first_touch_minutes"], float)
                            and math.isnan(f["first_touch_minutes"]))]
        sla = [f for f in leads if f["touch_sla_applicable"]]
        closed = [f for f in leads if f["conversion_closed"]]
        parts[side] = {
            "acceptance": _share(sum(f["accepted"] for f in accept_base), len(accept_base)),
            "p50": percentile(touched, 0.5),
            "sla": _share(sum(f["touch_sla_met"] for f in sla), len(sla)),
            "conversion": _share(sum(f["converted_within"] for f in closed), len(closed)),
        }
    for side in ("agreed", "disagreed"):
        out[f"shadow_{side}_acceptance_rate"] = parts[side]["acceptance"]
    for side in ("agreed", "disagreed"):
        out[f"shadow_{side}_first_touch_p50_minutes"] = parts[side]["p50"]
    for side in ("agreed", "disagreed"):
        out[f"shadow_{side}_touch_sla_met_rate"] = parts[side]["sla"]
    for side in ("agreed", "disagreed"):
        out[f"shadow_{side}_conversion_rate"] = parts[side]["conversion"]
    return out
