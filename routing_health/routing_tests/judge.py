"""Judge a pack's leads: what happened to each (spec section 4's routing model) against what
its case expects. Pure pandas, no Django, no Salesforce.

Input frames (columns):
- ``leads``: ``lead_id``, ``case``, ``created`` (UTC), ``owner_id`` (now), ``failed_node``;
- ``owner_changes``: ``lead_id``, ``at`` (UTC), ``new_owner_id`` — the LeadHistory ``Owner``
  rows of DataType EntityId.

Per lead, as in spec section 4: ``routed_at`` is the first time the owner is not a holding
owner (CreatedDate when the lead was created with another owner), ``routed_owner_id`` the
owner then; the outcome is ``failed`` when the failed-node field is set, ``triage`` when the
routed owner is a fallback owner (the spec's ``fallback: <name>`` failure), ``succeeded`` when
routed elsewhere, ``timeout`` when still unrouted (the run stopped waiting).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from routing_health.metrics.definitions import percentile
from routing_health.routing_tests.pack import Case

TIMEOUT = "timeout"


@dataclass(frozen=True)
class Owners:
    """The owner classes and names the judgement needs (18-character Ids)."""

    holding: frozenset[str]
    fallback: frozenset[str]
    names: Mapping[str, str]

    def name(self, owner_id: str | None) -> str:
        if owner_id is None:
            return "—"
        return self.names.get(owner_id, owner_id)


@dataclass(frozen=True)
class CaseResult:
    name: str
    expected: str
    actual: str
    leads: int
    passed_leads: int
    seconds_to_route: float | None  # the lead's, or the p95 over a case's routed leads
    sla_seconds: float | None  # set when the case checks the tier SLA
    passed: bool
    timed_out: int
    failed_node: str


def judge_leads(leads: pd.DataFrame, owner_changes: pd.DataFrame, owners: Owners,
                expected_owner_ids: Mapping[str, str | None],
                cases: Sequence[Case]) -> pd.DataFrame:
    """One row per lead: ``routed_at``, ``routed_owner_id``, ``outcome``, ``failure_reason``,
    ``seconds_to_route`` (float, NaN when not routed) and ``passed``."""
    frame = leads.copy()
    holding = list(owners.holding)
    moves = owner_changes[~owner_changes["new_owner_id"].isin(holding)]
    moves = moves.sort_values(["lead_id", "at"], kind="stable").drop_duplicates("lead_id")
    frame = frame.merge(moves.rename(columns={"at": "moved_at", "new_owner_id": "moved_to"}),
                        on="lead_id", how="left")
    born_routed = ~frame["owner_id"].isin(holding) & frame["moved_at"].isna()
    frame["routed_at"] = frame["moved_at"].where(~born_routed, frame["created"])
    frame["routed_owner_id"] = frame["moved_to"].where(~born_routed, frame["owner_id"])
    node = frame["failed_node"].where(frame["failed_node"].fillna("").astype(str) != "")
    routed = frame["routed_at"].notna()
    to_fallback = routed & frame["routed_owner_id"].isin(list(owners.fallback))
    frame["outcome"] = np.select(
        [node.notna(), to_fallback, routed], ["failed", "triage", "succeeded"], TIMEOUT)
    names = frame["routed_owner_id"].map(owners.names).fillna(frame["routed_owner_id"])
    holder = frame["owner_id"].map(owners.names).fillna(frame["owner_id"])
    frame["failure_reason"] = np.select(
        [node.notna(), to_fallback, ~routed],
        [node, "fallback: " + names.astype(str), "unrouted: " + holder.astype(str)], None)
    frame["failure_reason"] = frame["failure_reason"].astype(object).where(
        frame["failure_reason"].notna(), None)
    frame["seconds_to_route"] = (frame["routed_at"] - frame["created"]).dt.total_seconds()
    frame["passed"] = _matches(frame, expected_owner_ids, cases)
    return frame.drop(columns=["moved_at", "moved_to"])


def _matches(frame: pd.DataFrame, expected_owner_ids: Mapping[str, str | None],
             cases: Sequence[Case]) -> pd.Series:
    want_owner = frame["case"].map(dict(expected_owner_ids))
    want_outcome = frame["case"].map({c.name: c.outcome for c in cases})
    want_reason = frame["case"].map({c.name: c.failure_reason for c in cases})
    outcome = frame["outcome"]
    owner_ok = want_owner.notna() & (frame["routed_owner_id"] == want_owner) & (
        outcome != "failed")
    failed_ok = (want_outcome == "failed") & outcome.isin(["failed", "triage"]) & (
        want_reason.isna() | (frame["failure_reason"] == want_reason))
    plain_ok = want_outcome.isin(["succeeded", "triage"]) & (outcome == want_outcome)
    return (owner_ok | failed_ok | plain_ok) & (outcome != TIMEOUT)


def summarise(judged: pd.DataFrame, cases: Sequence[Case], owners: Owners,
              sla_seconds: Mapping[str, float]) -> list[CaseResult]:
    """One result per case, in pack order. ``sla_seconds``: the assignment SLA of the cases
    that check it (their tier's)."""
    results = []
    grouped = dict(tuple(judged.groupby("case", sort=False)))
    for case in cases:
        rows = grouped.get(case.name, judged.iloc[0:0])
        seconds = rows["seconds_to_route"].dropna().to_numpy()
        time = percentile(seconds, 0.95) if len(rows) > 1 else (
            float(seconds[0]) if len(seconds) else None)
        sla = sla_seconds.get(case.name) if case.check_sla else None
        within = sla is None or (time is not None and time <= sla)
        passed_leads = int(rows["passed"].sum())
        nodes = rows["failed_node"].where(rows["failed_node"].fillna("") != "").dropna()
        results.append(CaseResult(
            name=case.name, expected=case.expected, actual=_actual(rows, owners),
            leads=len(rows), passed_leads=passed_leads, seconds_to_route=time,
            sla_seconds=sla,
            passed=len(rows) == case.count and passed_leads == len(rows) and within,
            timed_out=int((rows["outcome"] == TIMEOUT).sum()),
            failed_node=", ".join(sorted(set(nodes.astype(str)))),
        ))
    return results


def _actual(rows: pd.DataFrame, owners: Owners) -> str:
    """What happened, as the table shows it: the one result, or the commonest with counts."""
    if rows.empty:
        return "no lead found"
    owner = rows["routed_owner_id"].map(owners.name).astype(str)
    described = np.select(
        [rows["outcome"] == "succeeded", rows["outcome"] == "triage"],
        ["owner " + owner, "triage: " + owner],
        rows["outcome"] + ": " + rows["failure_reason"].astype(str))
    counts = pd.Series(described).value_counts()
    if len(counts) == 1:
        return str(counts.index[0]) if len(rows) == 1 else f"{counts.index[0]} (all {len(rows)})"
    return "; ".join(f"{text} ({n})" for text, n in counts.head(3).items())
