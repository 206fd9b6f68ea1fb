"""Stored rollups: what ``compute_metrics`` writes so dashboard pages never scan raw leads.

Two tables:

- ``LeadFact``: the engine's per-lead facts as of the last run, plus ``next_change_at``: the
  earliest instant at which a fact would change by the passage of time alone (a pending
  outcome turning failed, an acceptance window closing, an SLA clock running out, a queued
  lead crossing the age limit). An incremental run recomputes only the leads whose data
  changed since the last run and those whose ``next_change_at`` has come.
- ``DailyRollup``: per local creation day × region × tier × lead source, the counts behind
  every metric and the sorted TTA / first-touch values (for exact percentiles over any range).
  Only the days of recomputed leads are rewritten.

A run with a different configuration, an earlier ``as_of`` or ``--full`` recomputes everything.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Max

from routing_health.config import RoutingConfig
from routing_health.frames import Frames, load_frames
from routing_health.metric_params import params_from_config
from routing_health.metrics import MetricParams, lead_facts
from routing_health.models import (
    Activity,
    DailyRollup,
    Lead,
    LeadFact,
    MetricsState,
    OwnerChange,
    StatusChange,
)
from routing_health.upsert import upsert

log = logging.getLogger(__name__)

ID_CHUNK = 5_000
SOURCE_FIELD = "LeadSource"


@dataclass
class ComputeOutcome:
    mode: str  # full | incremental
    as_of: datetime
    leads_recomputed: int
    days_rewritten: int
    seconds: float

    def summary(self) -> str:
        return (
            f"compute_metrics {self.mode}: {self.leads_recomputed} leads recomputed, "
            f"{self.days_rewritten} day(s) of rollups rewritten as of "
            f"{self.as_of.isoformat()} in {self.seconds:.2f}s"
        )


def config_fingerprint(config: RoutingConfig) -> str:
    return hashlib.sha256(repr(params_from_config(config)).encode()).hexdigest()[:16]


def compute_metrics(
    *,
    config: RoutingConfig,
    as_of: datetime,
    full: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ComputeOutcome:
    """Refresh ``LeadFact`` and ``DailyRollup`` as of ``as_of``."""
    say = progress or (lambda _m: None)
    started = time.monotonic()
    params = params_from_config(config)
    fingerprint = config_fingerprint(config)
    state = MetricsState.objects.filter(pk=1).first()
    sync_mark = _sync_mark()
    mode = "incremental"
    if (
        full
        or state is None
        or state.config_fingerprint != fingerprint
        or state.as_of is None
        or as_of < state.as_of
    ):
        mode = "full"
        lead_ids: list[str] | None = None
    else:
        lead_ids = _dirty_lead_ids(state.sync_mark, state.as_of, as_of)
    say(f"compute_metrics: {mode} run as of {as_of.isoformat()}")
    extra = [SOURCE_FIELD] if SOURCE_FIELD in config.lead_fields.extra else []
    frames = _load(lead_ids, extra)
    facts = lead_facts(
        frames.leads,
        frames.owner_changes,
        frames.status_changes,
        frames.activities,
        frames.owner_names,
        params,
        as_of,
    )
    say(f"compute_metrics: {len(facts)} lead facts computed")
    rows = _fact_rows(facts, params, as_of, source=SOURCE_FIELD if extra else None)
    with transaction.atomic():
        if lead_ids is None:
            LeadFact.objects.all().delete()
            upsert(LeadFact, rows)
            days = None
        else:
            # A recomputed lead may leave its old day (or the facts, when deleted).
            days = _replace_facts(lead_ids, rows)
        rewritten = _rewrite_days(days, as_of=as_of, params=params)
        MetricsState.objects.update_or_create(
            pk=1,
            defaults={
                "as_of": as_of,
                "config_fingerprint": fingerprint,
                "sync_mark": sync_mark,
                "computed_seconds": time.monotonic() - started,
            },
        )
    outcome = ComputeOutcome(mode, as_of, len(rows), rewritten, time.monotonic() - started)
    say(outcome.summary())
    return outcome


def _sync_mark() -> datetime | None:
    marks = [
        model.objects.aggregate(m=Max("synced_at"))["m"]
        for model in (Lead, OwnerChange, StatusChange, Activity)
    ]
    marks = [m for m in marks if m is not None]
    return max(marks) if marks else None


def _dirty_lead_ids(since: datetime | None, previous: datetime, as_of: datetime) -> list[str]:
    """Leads whose facts may differ from those computed as of ``previous``.

    Those whose stored data changed after the sync mark ``since``; those with an event (their
    creation, an owner or status change, an activity) in ``(previous, as_of]``, which the
    previous run did not count yet; and those with a time-driven change due by ``as_of``.
    """
    ids: set[str] = set()
    window = {"created_at__gt": previous, "created_at__lte": as_of}
    ids |= set(Lead.objects.filter(**window).values_list("id", flat=True))
    for model in (OwnerChange, StatusChange, Activity):
        ids |= set(model.objects.filter(**window).values_list("lead_id", flat=True))
    if since is None:
        ids |= set(Lead.objects.values_list("id", flat=True))
    else:
        ids |= set(Lead.objects.filter(synced_at__gt=since).values_list("id", flat=True))
        for model in (OwnerChange, StatusChange, Activity):
            ids |= set(
                model.objects.filter(synced_at__gt=since)
                .exclude(lead_id="")
                .values_list("lead_id", flat=True)
            )
    ids |= set(
        LeadFact.objects.filter(next_change_at__lte=as_of).values_list("lead_id", flat=True)
    )
    ids.discard("")
    return sorted(ids)


def _load(lead_ids: list[str] | None, extra: list[str]) -> Frames:
    if lead_ids is None:
        return load_frames(extra=extra)
    parts = [
        load_frames(lead_ids=lead_ids[i : i + ID_CHUNK], extra=extra)
        for i in range(0, len(lead_ids), ID_CHUNK)
    ] or [load_frames(lead_ids=[], extra=extra)]

    def cat(name: str) -> pd.DataFrame:
        return pd.concat([getattr(p, name) for p in parts], ignore_index=True)

    return Frames(
        leads=cat("leads"),
        owner_changes=cat("owner_changes"),
        status_changes=cat("status_changes"),
        activities=cat("activities"),
        owner_names=parts[0].owner_names,
    )


def _replace_facts(lead_ids: list[str], rows: list[LeadFact]) -> set:
    """Swap the facts of ``lead_ids`` for ``rows``; returns every day touched, old or new."""
    days: set = {row.created_day for row in rows}
    for i in range(0, len(lead_ids), ID_CHUNK):
        chunk = LeadFact.objects.filter(lead_id__in=lead_ids[i : i + ID_CHUNK])
        days |= set(chunk.values_list("created_day", flat=True))
        chunk.delete()
    upsert(LeadFact, rows)
    return days


def _next_change_at(facts: pd.DataFrame, params: MetricParams, as_of: datetime) -> pd.Series:
    """Earliest future instant at which a fact would change with time alone (NaT: none)."""
    created = facts["created_at"]
    minutes = pd.to_timedelta(1, unit="min")
    sla = facts["tier"].astype("object").map(
        lambda tier: params.tier_sla.get(tier, params.default_tier_sla)
    )
    assign_limit = sla.map(lambda s: s[0]).astype(float)
    touch_limit = sla.map(lambda s: s[1]).astype(float)
    candidates = [
        created.where(facts["outcome"].astype("object") == "pending")
        + params.routing_grace_minutes * minutes,
        facts["rep_assigned_at"].where(facts["acceptance_pending"].astype(bool))
        + params.accept_hours * 60 * minutes,
        (created + assign_limit * minutes).where(
            facts["rep_assigned_at"].isna() & ~facts["assign_sla_applicable"].astype(bool)
        ),
        (created + touch_limit * minutes).where(
            facts["first_touch_at"].isna() & ~facts["touch_sla_applicable"].astype(bool)
        ),
        (facts["queue_entered_at"] + params.queue_age_limit_hours * 60 * minutes).where(
            facts["queued"].astype(bool)
        ),
    ]
    stacked = pd.concat(candidates, axis=1)
    future = stacked.where(stacked > pd.Timestamp(as_of))
    # A breach is strict (> limit): the fact flips just after the limit instant.
    return future.min(axis=1) + pd.to_timedelta(1, unit="us")


def _fact_rows(
    facts: pd.DataFrame, params: MetricParams, as_of: datetime, *, source: str | None
) -> list[LeadFact]:
    if facts.empty:
        return []
    next_change = _next_change_at(facts, params, as_of)
    frame = pd.DataFrame(
        {
            "lead_id": facts["lead_id"].astype(str),
            "created_at": facts["created_at"],
            "created_day": pd.to_datetime(facts["created_day"].astype(str)).dt.date,
            "region": _text(facts["region"]),
            "tier": _text(facts["tier"]),
            "source": _text(facts[source]) if source else "",
            "outcome": _text(facts["outcome"]),
            "failure_reason": _text(facts["failure_reason"]),
            "routed_owner": _text(facts["routed_owner"]),
            "first_rep": _text(facts["first_rep"]),
            "rep_assigned_at": facts["rep_assigned_at"],
            "tta_minutes": facts["tta_minutes"],
            "first_touch_minutes": facts["first_touch_minutes"],
            "bounced": facts["bounced"].astype(bool),
            "accepted": facts["accepted"].astype(bool),
            "acceptance_pending": facts["acceptance_pending"].astype(bool),
            "rejected": facts["rejected"].astype(bool),
            "rejection_reason": _text(facts["rejection_reason"]),
            "queued": facts["queued"].astype(bool),
            "queue_owner": _text(facts["queue_owner"]),
            "queue_entered_at": facts["queue_entered_at"],
            "assign_sla_applicable": facts["assign_sla_applicable"].astype(bool),
            "assign_sla_met": facts["assign_sla_met"].astype(bool),
            "touch_sla_applicable": facts["touch_sla_applicable"].astype(bool),
            "touch_sla_met": facts["touch_sla_met"].astype(bool),
            "next_change_at": next_change,
        }
    )
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [LeadFact(**record) for record in records]


def _text(series: pd.Series) -> pd.Series:
    return series.astype("object").where(series.notna(), "").astype(str)


COUNT_FIELDS = (
    "leads",
    "succeeded",
    "failed",
    "pending",
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
)


def _rewrite_days(days: set | None, *, as_of: datetime, params: MetricParams) -> int:
    """Recompute ``DailyRollup`` rows of ``days`` (all days when None) from ``LeadFact``."""
    facts = LeadFact.objects.all()
    if days is not None:
        if not days:
            return 0
        facts = facts.filter(created_day__in=sorted(days))
    frame = pd.DataFrame.from_records(
        list(facts.values_list(*_ROLLUP_INPUT)), columns=list(_ROLLUP_INPUT)
    )
    rows = _rollup_rows(frame, as_of=as_of, limit_hours=params.queue_age_limit_hours)
    stale = DailyRollup.objects.all()
    if days is not None:
        stale = stale.filter(day__in=sorted(days))
    stale.delete()
    DailyRollup.objects.bulk_create(rows, batch_size=2_000)
    return len({r.day for r in rows}) if days is None else len(days)


_ROLLUP_INPUT = (
    "created_day", "region", "tier", "source", "outcome", "rep_assigned_at", "tta_minutes",
    "first_touch_minutes", "bounced", "accepted", "acceptance_pending", "rejected", "queued",
    "queue_entered_at", "assign_sla_applicable", "assign_sla_met", "touch_sla_applicable",
    "touch_sla_met",
)


def _rollup_rows(frame: pd.DataFrame, *, as_of: datetime, limit_hours: float) -> list[DailyRollup]:
    if frame.empty:
        return []
    frame = frame.rename(columns={"created_day": "day"})
    entered = pd.to_datetime(frame["queue_entered_at"], utc=True)
    queue_age_hours = (pd.Timestamp(as_of) - entered).dt.total_seconds() / 3600
    assigned = frame["rep_assigned_at"].notna()
    touched = frame["first_touch_minutes"].notna()
    data = pd.DataFrame(
        {
            "day": frame["day"],
            "region": frame["region"],
            "tier": frame["tier"],
            "source": frame["source"],
            "leads": 1,
            "succeeded": frame["outcome"] == "succeeded",
            "failed": frame["outcome"] == "failed",
            "pending": frame["outcome"] == "pending",
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
            "queued_over_limit": frame["queued"] & (queue_age_hours > limit_hours),
            "oldest_entered": entered.where(frame["queued"]),
        }
    )
    keys = ["day", "region", "tier", "source"]
    grouped = data.groupby(keys, sort=True)
    sums = grouped[list(COUNT_FIELDS)].sum().astype(int)
    oldest = grouped["oldest_entered"].min()
    tta = frame.assign(v=frame["tta_minutes"]).dropna(subset=["v"]).groupby(keys)["v"]
    touch = frame.assign(v=frame["first_touch_minutes"]).dropna(subset=["v"]).groupby(keys)["v"]
    tta_values = {k: _pack(v) for k, v in tta}
    touch_values = {k: _pack(v) for k, v in touch}
    rows = []
    for key, counts in zip(sums.index, sums.to_dict("records"), strict=True):
        rows.append(
            DailyRollup(
                day=key[0],
                region=key[1],
                tier=key[2],
                source=key[3],
                tta_values=tta_values.get(key, b""),
                first_touch_values=touch_values.get(key, b""),
                oldest_queue_entered_at=None if pd.isna(oldest[key]) else oldest[key],
                **counts,
            )
        )
    return rows


def _pack(values: pd.Series) -> bytes:
    return np.sort(values.to_numpy(dtype=np.float64)).tobytes()


def unpack(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float64) if blob else np.empty(0)


__all__ = ["COUNT_FIELDS", "ComputeOutcome", "compute_metrics", "unpack"]
